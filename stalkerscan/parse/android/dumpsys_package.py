"""``dumpsys package`` (all packages, or ``dumpsys package PKG``): per-package details.

What is read (``Settings.dumpPackageLPr`` / ``dumpSharedUsersLPr`` in AOSP, Android 6-15):

- the ``Packages:`` section, one ``  Package [name] (hash):`` block per package, with
  ``appId=`` (``userId=`` before Android 12), ``codePath=``, ``versionCode=``,
  ``versionName=``, ``splits=``, ``flags=`` / ``pkgFlags=``, ``timeStamp=``,
  ``firstInstallTime=`` (per package up to Android 12, per user after), ``lastUpdateTime=``,
  ``installerPackageName=`` and, on Android 11+, ``initiatingPackageName=`` /
  ``originatingPackageName=`` (``installInitiatingPackageName=`` / ``installOriginating...``
  on some builds), ``requested permissions:`` (only printed for ``dumpsys package PKG`` on
  most versions), ``install permissions:`` and, per ``User N:`` line, the enabled state and
  ``runtime permissions:`` with ``granted=true|false``;
- ``Hidden system packages:``: the factory copies of system apps that were updated;
- ``Shared users:``: install and runtime permissions of apps that share a uid (their
  package blocks do not list them).

The ``signatures=PackageSignatures{... [b378e95c]}`` value is a Java identity hash, not a
certificate fingerprint, and is deliberately not read. Everything else in the (often tens of
megabytes long) output is skipped: the three sections are located first, then read line by
line in a single pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from stalkerscan.model.common import ParseProblem
from stalkerscan.parse.android._text import (
    MAX_TEXT,
    ProblemLog,
    complete_lines,
    decode,
    is_package_name,
    null_to_none,
    numbered,
    to_int,
)

SYSTEM_FLAG = "SYSTEM"
UPDATED_SYSTEM_FLAG = "UPDATED_SYSTEM_APP"

ENABLED_STATES = {
    0: "default",
    1: "enabled",
    2: "disabled",
    3: "disabled-user",
    4: "disabled-until-used",
}
"""``PackageManager.COMPONENT_ENABLED_STATE_*`` as printed in ``enabled=N``."""

_SECTION_NAMES = ("Packages", "Hidden system packages", "Shared users")
_NEXT_TOP_LEVEL = re.compile(r"\n(?=[^ \t\r\n])")
# No \S+ or .+ that could overlap: those made long hostile lines quadratic.
_SHARED_USER_NAME = re.compile(r"\{[^\s{}]+ ([^{}]*)/(-?\d+)\}")
_PACKAGE_SETTING = re.compile(r"\{[^\s{}]+ ([^/\s{}]+)/")

# Field name -> attribute. "token" values end at the first space (several may share a line,
# as in "versionCode=1 minSdk=28 targetSdk=28"); "rest" values run to the end of the line.
_TOKEN_FIELDS = {
    "appId": "uid",
    "userId": "uid",
    "versionCode": "version_code",
    "installerPackageName": "installer",
    "installerPackageUid": "installer_uid",
    "initiatingPackageName": "initiating_installer",
    "installInitiatingPackageName": "initiating_installer",
    "originatingPackageName": "originating_installer",
    "installOriginatingPackageName": "originating_installer",
    "updateOwnerPackageName": "update_owner",
    "packageSource": "package_source",
}
_REST_FIELDS = {
    "versionName": "version_name",
    "codePath": "code_path",
    "timeStamp": "timestamp",
    "firstInstallTime": "first_install_time",
    "lastUpdateTime": "last_update_time",
}
_INT_ATTRS = frozenset({"uid", "version_code", "installer_uid", "package_source"})
_NULLABLE_ATTRS = frozenset({
    "installer", "initiating_installer", "originating_installer", "update_owner",
})
_LIST_HEADERS = {
    "requested permissions:": "requested",
    "install permissions:": "install",
    "runtime permissions:": "runtime",
    "grantedPermissions:": "granted",  # Android 5 and older: every entry is granted
    "Packages": "shared_packages",  # inside a SharedUser block, no colon
}


@dataclass(frozen=True)
class PermissionState:
    """One permission line: ``name: granted=true|false, flags=[ ... ]``."""

    name: str
    """The permission name."""

    granted: bool
    """Whether it is granted."""

    user_id: int | None
    """The user a runtime (or per-user install) grant applies to; None for install-time."""

    line: int
    """1-based line number."""


@dataclass(frozen=True)
class PackageUserState:
    """A ``User N: ... installed=true hidden=false ... enabled=0`` line and what follows."""

    user_id: int
    """The Android user."""

    line: int
    """1-based line number of the ``User N:`` line."""

    installed: bool | None = None
    """``installed=``: installed for this user."""

    hidden: bool | None = None
    """``hidden=``: hidden by a device administrator."""

    suspended: bool | None = None
    """``suspended=``."""

    stopped: bool | None = None
    """``stopped=``: force-stopped or never started."""

    not_launched: bool | None = None
    """``notLaunched=``: never opened by the user."""

    enabled_state: int | None = None
    """``enabled=``: 0 default, 1 enabled, 2 disabled, 3 disabled by the user, 4 disabled
    until used (:data:`ENABLED_STATES`)."""

    first_install_time: str | None = None
    """Per-user ``firstInstallTime=`` (Android 13+)."""

    first_install_line: int | None = None
    """Line of the per-user ``firstInstallTime=``."""

    install_reason: int | None = None
    """``installReason=`` (0 unknown, 1 policy, 2 device restore, 3 device setup, 4 user)."""


@dataclass(frozen=True)
class DumpsysPackageInfo:
    """One ``Package [name]`` block."""

    package: str
    """The package name in the block header."""

    line: int
    """1-based line number of the block header."""

    uid: int | None = None
    """``appId=`` / ``userId=``: the app's uid for user 0."""

    shared_user: str | None = None
    """Name of the shared user id, e.g. ``android.uid.system``, where the app has one."""

    code_path: str | None = None
    """``codePath=``: the APK directory (or file, on old phones)."""

    version_code: int | None = None
    """``versionCode=``."""

    version_name: str | None = None
    """``versionName=`` as printed."""

    timestamp: str | None = None
    """``timeStamp=``: last modification of the APK, phone local time."""

    first_install_time: str | None = None
    """Package-level ``firstInstallTime=`` (Android 12 and older); see :meth:`first_install`."""

    last_update_time: str | None = None
    """``lastUpdateTime=``."""

    installer: str | None = None
    """``installerPackageName=`` (None when ``null`` or absent)."""

    installer_uid: int | None = None
    """``installerPackageUid=`` (Android 14+)."""

    initiating_installer: str | None = None
    """``initiatingPackageName=`` / ``installInitiatingPackageName=`` (Android 11+)."""

    originating_installer: str | None = None
    """``originatingPackageName=`` / ``installOriginatingPackageName=`` (Android 11+)."""

    update_owner: str | None = None
    """``updateOwnerPackageName=`` (Android 14+)."""

    package_source: int | None = None
    """``packageSource=`` (Android 13+: 1 other, 2 store, 3 local file, 4 downloaded file)."""

    flags: tuple[str, ...] = ()
    """``flags=[ ... ]`` (application flags)."""

    pkg_flags: tuple[str, ...] = ()
    """``pkgFlags=[ ... ]`` (package setting flags)."""

    splits: tuple[str, ...] = ()
    """``splits=[base, config.arm64_v8a]``: split names, revision codes removed."""

    requested_permissions: tuple[str, ...] = ()
    """The ``requested permissions:`` list, where printed."""

    requested_listed: bool = False
    """True when a ``requested permissions:`` list was printed."""

    install_permissions: tuple[PermissionState, ...] = ()
    """``install permissions:`` entries."""

    runtime_permissions: tuple[PermissionState, ...] = ()
    """``runtime permissions:`` entries of every user."""

    users: tuple[PackageUserState, ...] = ()
    """Per-user states."""

    field_lines: Mapping[str, int] = field(default_factory=dict)
    """Field name (as printed, e.g. ``installerPackageName``) to its 1-based line number."""

    field_text: Mapping[str, str] = field(default_factory=dict)
    """Field name to the line as printed (bounded), to cite as evidence."""

    complete: bool = True
    """False when the block ends early (no ``User`` line: the output was cut)."""

    @property
    def system(self) -> bool:
        """``SYSTEM`` in pkgFlags / flags."""
        return SYSTEM_FLAG in self.pkg_flags or SYSTEM_FLAG in self.flags

    @property
    def updated_system(self) -> bool:
        """``UPDATED_SYSTEM_APP`` in pkgFlags / flags."""
        return UPDATED_SYSTEM_FLAG in self.pkg_flags or UPDATED_SYSTEM_FLAG in self.flags

    def user(self, user_id: int = 0) -> PackageUserState | None:
        """The state for one user, if printed."""
        for state in self.users:
            if state.user_id == user_id:
                return state
        return None

    def first_install(self, user_id: int = 0) -> str | None:
        """First install time: the user's own (Android 13+), else the package-level one."""
        state = self.user(user_id)
        if state is not None and state.first_install_time:
            return state.first_install_time
        return self.first_install_time

    def granted_permissions(self, user_id: int = 0) -> tuple[str, ...]:
        """Install-time plus runtime permissions granted for one user, in printed order."""
        return _granted(self.install_permissions, self.runtime_permissions, user_id)

    def all_requested_permissions(self) -> tuple[str, ...]:
        """The requested list where printed, else every permission named in the grant lists.

        A full ``dumpsys package`` omits ``requested permissions:`` on most versions, but
        every requested permission still appears, granted or not, under install or runtime
        permissions.
        """
        if self.requested_listed:
            return self.requested_permissions
        names: dict[str, None] = {}
        for perm in (*self.install_permissions, *self.runtime_permissions):
            names[perm.name] = None
        return tuple(names)


@dataclass(frozen=True)
class SharedUserInfo:
    """A ``SharedUser [name]`` block: permissions shared by every app with that uid."""

    name: str
    """The shared user id, e.g. ``android.uid.system``."""

    line: int
    """1-based line number of the block header."""

    uid: int | None = None
    """``userId=`` / ``appId=``."""

    packages: tuple[str, ...] = ()
    """Packages listed as sharing it."""

    install_permissions: tuple[PermissionState, ...] = ()
    """Install-time permissions."""

    runtime_permissions: tuple[PermissionState, ...] = ()
    """Runtime permissions of every user."""

    def granted_permissions(self, user_id: int = 0) -> tuple[str, ...]:
        """Install-time plus runtime permissions granted to every app of this uid, for one user."""
        return _granted(self.install_permissions, self.runtime_permissions, user_id)


def _granted(
    install: Iterable[PermissionState], runtime: Iterable[PermissionState], user_id: int
) -> tuple[str, ...]:
    """Names granted for one user: install-time grants (for every user, or printed per user on
    Android 14+) and that user's runtime grants, in printed order."""
    names: dict[str, None] = {}
    for perm in install:
        if perm.granted and perm.user_id in (None, user_id):
            names[perm.name] = None
    for perm in runtime:
        if perm.granted and perm.user_id == user_id:
            names[perm.name] = None
    return tuple(names)


@dataclass(frozen=True)
class DumpsysPackageResult:
    """What was read from one ``dumpsys package`` output."""

    packages: Mapping[str, DumpsysPackageInfo] = field(default_factory=dict)
    """``Packages:`` blocks by package name, in printed order."""

    hidden_system_packages: Mapping[str, DumpsysPackageInfo] = field(default_factory=dict)
    """``Hidden system packages:`` blocks: factory versions of updated system apps."""

    shared_users: Mapping[str, SharedUserInfo] = field(default_factory=dict)
    """``Shared users:`` blocks by name."""

    recognized: bool = False
    """True when a ``Packages:`` section was found."""

    truncated: bool = False
    """True when the output was cut short (a package block or the last line incomplete)."""

    problems: tuple[ParseProblem, ...] = ()
    """What could not be read."""


# --------------------------------------------------------------------------- block builders
class _Block:
    """Mutable scratch state for one package or shared-user block."""

    __slots__ = (
        "name", "line", "shared", "values", "flags", "pkg_flags", "splits", "requested",
        "requested_listed", "install", "runtime", "users", "field_lines", "field_text",
        "user_fields", "shared_packages",
    )

    def __init__(self, name: str, line: int, shared: bool) -> None:
        self.name = name
        self.line = line
        self.shared = shared
        self.values: dict[str, object] = {}
        self.flags: tuple[str, ...] = ()
        self.pkg_flags: tuple[str, ...] = ()
        self.splits: tuple[str, ...] = ()
        self.requested: list[str] = []
        self.requested_listed = False
        self.install: list[PermissionState] = []
        self.runtime: list[PermissionState] = []
        self.users: list[dict[str, object]] = []
        self.field_lines: dict[str, int] = {}
        self.field_text: dict[str, str] = {}
        self.shared_packages: list[str] = []

    def set_field(self, key: str, attr: str, raw: str, lineno: int, text: str) -> None:
        if attr in self.values:  # first occurrence wins (a block never repeats a field)
            return
        value: object
        if attr in _INT_ATTRS:
            value = to_int(raw)
        elif attr in _NULLABLE_ATTRS:
            value = null_to_none(raw)
        else:
            value = raw.strip()
        self.values[attr] = value
        self.field_lines[key] = lineno
        self.field_text[key] = text[:300]

    def freeze_package(self, complete: bool) -> DumpsysPackageInfo:
        get = self.values.get
        users = tuple(
            PackageUserState(**state)  # type: ignore[arg-type]
            for state in self.users
        )
        return DumpsysPackageInfo(
            package=self.name, line=self.line,
            uid=get("uid"), shared_user=get("shared_user"),  # type: ignore[arg-type]
            code_path=get("code_path"), version_code=get("version_code"),  # type: ignore[arg-type]
            version_name=get("version_name"), timestamp=get("timestamp"),  # type: ignore[arg-type]
            first_install_time=get("first_install_time"),  # type: ignore[arg-type]
            last_update_time=get("last_update_time"),  # type: ignore[arg-type]
            installer=get("installer"), installer_uid=get("installer_uid"),  # type: ignore[arg-type]
            initiating_installer=get("initiating_installer"),  # type: ignore[arg-type]
            originating_installer=get("originating_installer"),  # type: ignore[arg-type]
            update_owner=get("update_owner"), package_source=get("package_source"),  # type: ignore[arg-type]
            flags=self.flags, pkg_flags=self.pkg_flags, splits=self.splits,
            requested_permissions=tuple(dict.fromkeys(self.requested)),
            requested_listed=self.requested_listed,
            install_permissions=tuple(self.install), runtime_permissions=tuple(self.runtime),
            users=users, field_lines=dict(self.field_lines), field_text=dict(self.field_text),
            complete=complete,
        )

    def freeze_shared(self) -> SharedUserInfo:
        return SharedUserInfo(
            name=self.name, line=self.line, uid=self.values.get("uid"),  # type: ignore[arg-type]
            packages=tuple(self.shared_packages), install_permissions=tuple(self.install),
            runtime_permissions=tuple(self.runtime),
        )


def _flag_list(value: str) -> tuple[str, ...]:
    """``[ SYSTEM HAS_CODE ]`` -> ("SYSTEM", "HAS_CODE")."""
    inner = value.strip().strip("[]")
    return tuple(word for word in inner.replace(",", " ").split() if word)


def _split_names(value: str) -> tuple[str, ...]:
    """``[base:10, config.mdpi]`` -> ("base", "config.mdpi")."""
    inner = value.strip().strip("[]")
    names = []
    for part in inner.split(","):
        name = part.strip().split(":", 1)[0].strip()
        if name:
            names.append(name)
    return tuple(names)


def _permission_entry(text: str, user_id: int | None, lineno: int) -> PermissionState | None:
    """``android.permission.X: granted=true, flags=[ ... ]`` (``, userId=N`` on 14+)."""
    name, sep, rest = text.partition(":")
    name = name.strip()
    if not name or " " in name:
        return None
    granted = "granted=true" in rest if sep else True
    if ", userId=" in rest:
        user_id = to_int(rest.rsplit(", userId=", 1)[1].split(",", 1)[0])
    return PermissionState(name=name, granted=granted, user_id=user_id, line=lineno)


def _user_line(text: str, lineno: int) -> dict[str, object] | None:
    """``User 0: ceDataInode=... installed=true ... enabled=0 ...`` as keyword arguments."""
    head, _, rest = text.partition(":")
    user_id = to_int(head[5:])
    if user_id is None:
        return None
    state: dict[str, object] = {"user_id": user_id, "line": lineno}
    bools = {"installed": "installed", "hidden": "hidden", "suspended": "suspended",
             "stopped": "stopped", "notLaunched": "not_launched"}
    for token in rest.split():
        key, eq, value = token.partition("=")
        if not eq:
            continue
        if key in bools:
            state[bools[key]] = {"true": True, "false": False}.get(value)
        elif key == "enabled":
            state["enabled_state"] = to_int(value)
    return state


# --------------------------------------------------------------------------- the scanner
class _SectionReader:
    """Reads the lines of one section into blocks."""

    def __init__(self, kind: str, log: ProblemLog) -> None:
        self.kind = kind
        self.log = log
        self.shared = kind == "Shared users"
        self.header = "SharedUser [" if self.shared else "Package ["
        self.blocks: list[tuple[_Block, bool]] = []
        self.block: _Block | None = None
        self.list_kind: str | None = None
        self.list_indent = 0
        self.user: dict[str, object] | None = None

    def close(self) -> None:
        if self.block is not None:
            complete = self.shared or bool(self.block.users)
            self.blocks.append((self.block, complete))
        self.block = None
        self.list_kind = None
        self.user = None

    def feed(self, lines: Iterable[tuple[int, str]]) -> None:
        for lineno, line in lines:
            if not line:
                continue
            stripped = line.lstrip(" ")
            if not stripped:
                continue
            indent = len(line) - len(stripped)
            if indent <= 2:
                self.close()
                if stripped.startswith(self.header):
                    self._start(stripped, lineno)
                continue
            block = self.block
            if block is None:
                continue
            if self.list_kind is not None:
                if indent > self.list_indent:
                    self._list_entry(block, stripped, lineno)
                    continue
                self.list_kind = None
            self._field(block, stripped, indent, lineno)
        self.close()

    def _start(self, stripped: str, lineno: int) -> None:
        end = stripped.find("]", len(self.header))
        name = stripped[len(self.header):end] if end > 0 else ""
        if not name or (not self.shared and not is_package_name(name)):
            self.log.add("A block header without a readable package name", lineno, stripped)
            return
        self.block = _Block(name, lineno, self.shared)

    def _list_entry(self, block: _Block, stripped: str, lineno: int) -> None:
        kind = self.list_kind
        user_id = self.user["user_id"] if self.user is not None else None
        if kind == "requested":
            name = stripped.split(":", 1)[0].split(",", 1)[0].split()[0]
            block.requested.append(name)
        elif kind in ("install", "granted"):
            entry = _permission_entry(stripped, None, lineno)
            if entry is not None:
                block.install.append(entry)
        elif kind == "runtime":
            entry = _permission_entry(stripped, 0 if user_id is None else user_id, lineno)  # type: ignore[arg-type]
            if entry is not None:
                block.runtime.append(entry)
        elif kind == "shared_packages":
            match = _PACKAGE_SETTING.search(stripped)
            if match:
                block.shared_packages.append(match.group(1))

    def _field(self, block: _Block, stripped: str, indent: int, lineno: int) -> None:
        if stripped.startswith("User ") and ":" in stripped:
            state = _user_line(stripped, lineno)
            if state is not None:
                block.users.append(state)
                self.user = state
            return
        if indent <= 4:
            self.user = None
        kind = _LIST_HEADERS.get(stripped.rstrip())
        if kind is not None:
            self.list_kind = kind
            self.list_indent = indent
            if kind == "requested":
                block.requested_listed = True
            return
        key, eq, value = stripped.partition("=")
        if not eq:
            if stripped.endswith(":"):
                self.list_kind = "skip"  # a list we do not need (declared permissions, ...)
                self.list_indent = indent
            return
        if self.user is not None and indent >= 6:
            self._user_field(key, value, lineno)
            return
        attr = _TOKEN_FIELDS.get(key)
        if attr is not None:
            block.set_field(key, attr, value.split(" ", 1)[0], lineno, stripped)
            # Builds that print several install-source fields on one line.
            for token in value.split()[1:]:
                extra_key, extra_eq, extra_value = token.partition("=")
                extra_attr = _TOKEN_FIELDS.get(extra_key)
                if extra_eq and extra_attr is not None:
                    block.set_field(extra_key, extra_attr, extra_value, lineno, stripped)
            return
        attr = _REST_FIELDS.get(key)
        if attr is not None:
            if len(value) > MAX_TEXT:
                self.log.add(f"{key} of {block.name} is {len(value)} characters long; shortened "
                             "here (the raw output keeps it whole)", lineno, stripped)
                value = value[:MAX_TEXT]
            block.set_field(key, attr, value, lineno, stripped)
        elif key == "pkgFlags":
            block.pkg_flags = _flag_list(value)
            block.field_lines[key] = lineno
            block.field_text[key] = stripped[:300]
        elif key == "flags":
            block.flags = _flag_list(value)
            block.field_lines.setdefault(key, lineno)
            block.field_text.setdefault(key, stripped[:300])
        elif key == "splits":
            block.splits = _split_names(value)
        elif key == "sharedUser":
            match = _SHARED_USER_NAME.search(value[:MAX_TEXT])
            if match:
                block.values.setdefault("shared_user", match.group(1))

    def _user_field(self, key: str, value: str, lineno: int) -> None:
        assert self.user is not None
        if key == "firstInstallTime" and "first_install_time" not in self.user:
            self.user["first_install_time"] = value.strip()
            self.user["first_install_line"] = lineno
        elif key == "installReason":
            self.user["install_reason"] = to_int(value)


def _sections(text: str) -> list[tuple[str, int, int]]:
    """``(name, start offset of the first body line, end offset)`` of the wanted sections."""
    found = []
    for name in _SECTION_NAMES:
        marker = name + ":"
        position = 0 if text.startswith(marker) else text.find("\n" + marker)
        while position >= 0:
            start = position if position == 0 and text.startswith(marker) else position + 1
            line_end = text.find("\n", start)
            line_end = len(text) if line_end < 0 else line_end
            if text[start + len(marker):line_end].strip(" \t\r") == "":
                nxt = _NEXT_TOP_LEVEL.search(text, line_end)
                found.append((start, name, min(line_end + 1, len(text)), nxt.start() if nxt else len(text)))
            position = text.find("\n" + marker, line_end)
    found.sort()
    return [(name, body, end) for _, name, body, end in found]


def parse_dumpsys_package(data: bytes, *, source: str = "dumpsys_package") -> DumpsysPackageResult:
    """Parse ``dumpsys package`` output; never raises, skips what it does not need."""
    log = ProblemLog(source)
    text = decode(data)
    packages: dict[str, DumpsysPackageInfo] = {}
    hidden: dict[str, DumpsysPackageInfo] = {}
    shared: dict[str, SharedUserInfo] = {}
    truncated = False
    sections = _sections(text)
    for name, start, end in sections:
        first_line = text.count("\n", 0, start) + 1
        body = text[start:end]
        at_end = end >= len(text)
        # A section that ends where the next begins has no newline of its own to check.
        lines = complete_lines(body, log, first_line) if at_end else numbered(body, first_line)
        if at_end and not text.endswith("\n") and body.strip():
            truncated = True
        reader = _SectionReader(name, log)
        reader.feed(lines)
        for block, complete in reader.blocks:
            if name == "Shared users":
                shared.setdefault(block.name, block.freeze_shared())
                continue
            target = packages if name == "Packages" else hidden
            if block.name in target:
                log.add(f"{block.name} appears twice; the first block is kept", block.line, block.name)
                continue
            if not complete:
                truncated = True
                log.add(f"The details of {block.name} end early (output cut short?); what was "
                        "printed is kept", block.line, block.name)
            target[block.name] = block.freeze_package(complete)
    recognized = any(name == "Packages" for name, _, _ in sections)
    if not recognized and text.strip():
        log.add("No 'Packages:' section: this does not look like dumpsys package output",
                1, text[:200])
    return DumpsysPackageResult(
        packages=packages, hidden_system_packages=hidden, shared_users=shared,
        recognized=recognized, truncated=truncated, problems=log.freeze(),
    )
