"""``settings`` / ``cmd settings``: list and get, as ``SettingsService`` answers them.

``settings list NAMESPACE`` prints ``key=value`` lines sorted by the whole line;
``settings get NAMESPACE KEY`` prints the value or ``null``. Writes (``put``, ``delete``,
``reset``) never get here: the read-only guard refuses them first.
"""

from __future__ import annotations

from stalkerscan.simulator.android.base import ShellResult
from stalkerscan.simulator.android.outputs.common import Context, encode, fail

_USAGE = """Settings provider (settings) commands:
  help
      Print this help text.
  get [--user <USER_ID> | current] NAMESPACE KEY
      Retrieve the current value of KEY.
  put [--user <USER_ID> | current] NAMESPACE KEY VALUE [TAG] [default]
      Change the contents of KEY to VALUE.
      TAG to associate with the setting.
      {default} to set as the default, case-insensitive only for global/secure namespace
  delete [--user <USER_ID> | current] NAMESPACE KEY
      Delete the entry for KEY.
  reset [--user <USER_ID> | current] NAMESPACE {PACKAGE_NAME | RESET_MODE}
      Reset the global/secure table for a package with mode.
      RESET_MODE is one of {untrusted_defaults, untrusted_clear, trusted_defaults}, case-insensitive
  list [--user <USER_ID> | current] NAMESPACE
      Print all defined keys.
      NAMESPACE is one of {system, secure, global}, case-insensitive
"""

_NON_UTF8_DEVICE_NAME = "Jos\udce9's phone"  # Latin-1 'é' as a lone byte: invalid UTF-8


def values(ctx: Context, namespace: str) -> dict[str, str]:
    """The settings of one namespace, with content faults applied."""
    table = dict(ctx.profile.settings.get(namespace, {}))
    if ctx.faults.non_utf8 and namespace == "global":
        table["device_name"] = _NON_UTF8_DEVICE_NAME
    return table


def settings(ctx: Context, args: list[str]) -> ShellResult:
    """``settings ARGS``."""
    rest = list(args)
    if rest and rest[0] == "--user":
        rest = rest[2:] if len(rest) >= 2 else []
    if not rest:
        return fail(_USAGE, 255)
    verb = rest[0]
    rest = rest[1:]
    if rest and rest[0] == "--user":
        rest = rest[2:] if len(rest) >= 2 else []
    if verb == "list":
        if len(rest) != 1:
            return fail("Invalid arguments\n" + _USAGE, 255)
        namespace = rest[0].lower()
        if namespace not in ("system", "secure", "global"):
            return fail(f"Invalid namespace '{rest[0]}'\n" + _USAGE, 255)
        table = values(ctx, namespace)
        lines = sorted(f"{key}={value}" for key, value in table.items())
        return ShellResult(encode("".join(f"{line}\n" for line in lines)))
    if verb == "get":
        if len(rest) != 2:
            return fail("Invalid arguments\n" + _USAGE, 255)
        namespace = rest[0].lower()
        if namespace not in ("system", "secure", "global"):
            return fail(f"Invalid namespace '{rest[0]}'\n" + _USAGE, 255)
        value = values(ctx, namespace).get(rest[1])
        return ShellResult(encode(("null" if value is None else value) + "\n"))
    if verb in ("help", "-h"):
        return ShellResult(encode(_USAGE))
    return fail(f"Invalid command: {verb}\n" + _USAGE, 255)
