"""``dumpsys device_policy``: device administrators, the device owner, profile owners.

Formats handled (``DevicePolicyManagerService.dump``, ``Owners`` / ``OwnersData.dump``,
``DevicePolicyData.dump``, ``ActiveAdmin.dump``; Android 5-15)::

    Current Device Policy Manager state:
      Device Owner:
        admin=ComponentInfo{com.example.mdm/com.example.mdm.Receiver}
        name=Example
        package=com.example.mdm
        User ID: 0
      Profile Owner (User 10):
        admin=ComponentInfo{...}
        ...
      Enabled Device Admins (User 0, provisioningState: 3):
        com.example.app/.AdminReceiver:
          uid=10123
          testOnlyAdmin=false
          policies:
            wipe-data
            force-lock
          passwordQuality=0x0
          ...

Older builds print ``Enabled Device Admins (User 0):`` without the provisioning state; the
indentation differs between versions (``IndentingPrintWriter`` or hand-made prefixes), so
blocks are told apart by relative indentation, not by fixed columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stalkerscan.model.android import DeviceAdmin, ManagementOwner
from stalkerscan.model.common import ParseProblem
from stalkerscan.parse.android._text import (
    MAX_TEXT,
    ProblemLog,
    complete_lines,
    decode,
    is_package_name,
    null_to_none,
    split_component,
    to_int,
)

_ADMINS = re.compile(r"^Enabled Device Admins \(User (-?\d+)")
_PROFILE_OWNER = re.compile(r"^Profile Owner \(User (-?\d+)\)")
_COMPONENT_INFO = re.compile(r"ComponentInfo\{([^{}]+)\}")
_POLICY = re.compile(r"[a-z][a-z0-9-]*")


@dataclass(frozen=True)
class DevicePolicyResult:
    """Administrators and owners, as ``dumpsys device_policy`` printed them."""

    admins: tuple[DeviceAdmin, ...] = ()
    """Active device administrators of every user."""

    owners: tuple[ManagementOwner, ...] = ()
    """Device owner and profile owners."""

    admin_lines: tuple[int, ...] = ()
    """1-based line of each admin's component line, same order as ``admins``."""

    owner_lines: tuple[int, ...] = ()
    """1-based line of each owner block, same order as ``owners``."""

    recognized: bool = False
    """True when the output looked like ``dumpsys device_policy``."""

    problems: tuple[ParseProblem, ...] = ()
    """What could not be read."""


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


class _Admin:
    def __init__(self, component: str, user_id: int, line: int, indent: int) -> None:
        self.component = component
        self.user_id = user_id
        self.line = line
        self.indent = indent
        self.uid: int | None = None
        self.policies: list[str] = []
        self.field_indent: int | None = None
        self.policies_indent: int | None = None
        self.policies_done = False


class _Owner:
    def __init__(self, kind: str, user_id: int | None, line: int, indent: int) -> None:
        self.kind = kind
        self.user_id = user_id
        self.line = line
        self.indent = indent
        self.component: str | None = None
        self.package: str | None = None
        self.name: str | None = None


def parse_dumpsys_device_policy(data: bytes, *, source: str = "dumpsys_device_policy") -> DevicePolicyResult:
    """Parse ``dumpsys device_policy``; never raises."""
    log = ProblemLog(source)
    text = decode(data)
    admins: list[_Admin] = []
    owners: list[_Owner] = []
    admins_user: int | None = None
    admins_indent = -1
    admin: _Admin | None = None
    owner: _Owner | None = None
    recognized = "Device Policy Manager" in text

    for lineno, line in complete_lines(text, log):
        stripped = line.strip()
        if not stripped:
            continue
        indent = _indent(line)

        # Block headers (any indentation).
        if stripped.startswith("Device Owner"):
            if stripped.startswith("Device Owner:") or stripped == "Device Owner":
                owner = _Owner("device_owner", None, lineno, indent)
                owners.append(owner)
                admin, admins_user = None, None
                recognized = True
                # Android 5 printed the admin on the same line: "Device Owner: admin=..."
                _owner_field(owner, stripped.partition(":")[2].strip())
            continue
        found = _PROFILE_OWNER.match(stripped)
        if found:
            owner = _Owner("profile_owner", to_int(found.group(1)), lineno, indent)
            owners.append(owner)
            admin, admins_user = None, None
            recognized = True
            continue
        found = _ADMINS.match(stripped)
        if found:
            admins_user, admins_indent = to_int(found.group(1)), indent
            admin, owner = None, None
            recognized = True
            continue

        if owner is not None:
            if indent > owner.indent:
                _owner_field(owner, stripped)
                continue
            owner = None

        if admins_user is None:
            continue
        if indent <= admins_indent:
            admins_user, admin = None, None
            continue
        # A component line ("pkg/.Receiver:") opens one admin.
        if stripped.endswith(":") and "/" in stripped and "=" not in stripped and " " not in stripped:
            component = stripped[:-1]
            if split_component(component) is None:
                log.add("An administrator line without a readable component", lineno, line)
                admin = None
                continue
            admin = _Admin(component, admins_user, lineno, indent)
            admins.append(admin)
            continue
        if admin is None:
            continue
        if indent <= admin.indent:
            admin = None  # mPasswordOwner=... and other per-user fields
            continue
        _admin_field(admin, stripped, indent)

    result_admins = []
    admin_lines = []
    for item in admins:
        parts = split_component(item.component)
        if parts is None:
            continue
        result_admins.append(DeviceAdmin(
            component=item.component, package=parts[0], uid=item.uid,
            policies=tuple(dict.fromkeys(item.policies)), user_id=item.user_id,
        ))
        admin_lines.append(item.line)
    result_owners = []
    owner_lines = []
    for item in owners:
        component = item.component
        package = item.package
        if component and not package:
            parts = split_component(component)
            package = parts[0] if parts else None
        if not package or not is_package_name(package):
            log.add("An owner block without a readable package", item.line, component or "")
            continue
        result_owners.append(ManagementOwner(
            kind=item.kind, component=component or package, package=package,
            name=item.name, user_id=item.user_id,
        ))
        owner_lines.append(item.line)
    if not recognized and text.strip():
        log.add("This does not look like dumpsys device_policy output", 1, text[:200])
    return DevicePolicyResult(
        admins=tuple(result_admins), owners=tuple(result_owners),
        admin_lines=tuple(admin_lines), owner_lines=tuple(owner_lines),
        recognized=recognized, problems=log.freeze(),
    )


def _owner_field(owner: _Owner, stripped: str) -> None:
    if not stripped:
        return
    if stripped.startswith("admin="):
        found = _COMPONENT_INFO.search(stripped)
        value = found.group(1) if found else stripped[6:].strip()
        if owner.component is None and split_component(value) is not None:
            owner.component = value
    elif stripped.startswith("package="):
        owner.package = owner.package or null_to_none(stripped[8:])
    elif stripped.startswith("name="):
        owner.name = owner.name or null_to_none(stripped[5:MAX_TEXT + 5])
    elif stripped.startswith("User ID:"):
        owner.user_id = owner.user_id if owner.user_id is not None else to_int(stripped[8:])


def _admin_field(admin: _Admin, stripped: str, indent: int) -> None:
    if admin.field_indent is None:
        admin.field_indent = indent
    if admin.policies_indent is not None and not admin.policies_done:
        if indent > admin.policies_indent:
            # "wipe-data, reset-password," wrapped lists appear on some vendor builds.
            for word in stripped.replace(",", " ").split():
                if _POLICY.fullmatch(word):
                    admin.policies.append(word)
            return
        admin.policies_done = True
    if indent != admin.field_indent:
        return  # nested blocks (parentAdmin:, ...) are not this admin's own fields
    if stripped.startswith("uid=") and admin.uid is None:
        admin.uid = to_int(stripped[4:])
    elif stripped.startswith("policies:") and admin.policies_indent is None:
        admin.policies_indent = indent
        inline = stripped[len("policies:"):]
        for word in inline.replace(",", " ").split():
            if _POLICY.fullmatch(word):
                admin.policies.append(word)
