"""Assemble an :class:`AndroidInventory` from the preserved raw outputs of one acquisition.

Each artifact is read through :func:`~stalkerscan.model.artifacts.latest` (fallback attempts
replace failed ones; an interrupted answer is still read) and parsed by its own pure parser;
this module only merges what they found. Where two outputs say the same thing (the package
list and ``dumpsys package`` both name the installer), ``dumpsys package`` wins and the
package list fills gaps, so an acquisition cut short still yields what it can. ``None`` stays
``None`` wherever nothing usable said otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from stalkerscan.model.android import (
    AccessibilityService,
    AndroidApp,
    AndroidInventory,
    AndroidUser,
    ApkFile,
    NotificationListener,
)
from stalkerscan.model.artifacts import AndroidArtifact, EvidenceReader, Outcome, RawRecord, latest
from stalkerscan.model.common import ParseProblem, SourceRef
from stalkerscan.parse.android._text import full_component, problem, split_component
from stalkerscan.parse.android.accessibility import AccessibilityResult, parse_dumpsys_accessibility
from stalkerscan.parse.android.appops import parse_usage_access
from stalkerscan.parse.android.device_policy import parse_dumpsys_device_policy
from stalkerscan.parse.android.dumpsys_package import (
    DumpsysPackageInfo,
    DumpsysPackageResult,
    SharedUserInfo,
    parse_dumpsys_package,
)
from stalkerscan.parse.android.getprop import device_info_from_props, parse_getprop
from stalkerscan.parse.android.install_source import classify_install_source
from stalkerscan.parse.android.launcher import parse_launcher_activities
from stalkerscan.parse.android.package_list import PackageListEntry, parse_package_list
from stalkerscan.parse.android.risky_settings import derive_risky_settings, split_component_list
from stalkerscan.parse.android.root import parse_root_check, root_signs
from stalkerscan.parse.android.settings import parse_settings
from stalkerscan.parse.android.users import AndroidUser as ParsedUser
from stalkerscan.parse.android.users import parse_users

INVENTORY_ARTIFACTS: tuple[AndroidArtifact, ...] = (
    AndroidArtifact.GETPROP,
    AndroidArtifact.PACKAGE_LIST,
    AndroidArtifact.DUMPSYS_PACKAGE,
    AndroidArtifact.DUMPSYS_ACCESSIBILITY,
    AndroidArtifact.DUMPSYS_DEVICE_POLICY,
    AndroidArtifact.SETTINGS_SECURE,
    AndroidArtifact.SETTINGS_GLOBAL,
    AndroidArtifact.SETTINGS_SYSTEM,
    AndroidArtifact.LAUNCHER_ACTIVITIES,
    AndroidArtifact.USAGE_ACCESS,
    AndroidArtifact.INSTALL_UNKNOWN_APPS,
    AndroidArtifact.USERS,
    AndroidArtifact.ROOT_CHECK,
)
"""The artifacts an inventory is built from; any without a usable answer is listed as missing."""

SETTINGS_ARTIFACTS = {
    "secure": AndroidArtifact.SETTINGS_SECURE,
    "global": AndroidArtifact.SETTINGS_GLOBAL,
    "system": AndroidArtifact.SETTINGS_SYSTEM,
}

# Where APKs of the system image live: an app there without dumpsys flags is a system app.
_SYSTEM_PREFIXES = ("/system/", "/system_ext/", "/product/", "/vendor/", "/odm/", "/oem/", "/apex/")
# Where installed (non-system) APK directories live; inside, AOSP names files base.apk and
# split_<name>.apk (PackageInstallerSession).
_APP_DIR_PREFIXES = ("/data/app/", "/mnt/expand/")
_SOURCE_FIELDS = (
    "installerPackageName", "initiatingPackageName", "installInitiatingPackageName",
    "originatingPackageName", "installOriginatingPackageName", "firstInstallTime",
    "lastUpdateTime", "pkgFlags",
)


@dataclass
class _Artifact:
    """One artifact as read from the evidence."""

    name: str
    record: RawRecord | None = None
    stdout: bytes = b""
    stderr: bytes = b""
    path: str | None = None
    problems: list[ParseProblem] = field(default_factory=list)

    @property
    def present(self) -> bool:
        return self.record is not None and self.record.outcome is not Outcome.REFUSED


def _read(reader: EvidenceReader, name: str) -> _Artifact:
    artifact = _Artifact(name)
    record = latest(reader, name)
    if record is None:
        return artifact
    artifact.record = record
    stream = "stdout" if "stdout" in record.files else next(iter(record.files), "stdout")
    artifact.path = record.files.get(stream)
    if record.outcome is Outcome.REFUSED:
        artifact.problems.append(problem(name, f"The request was not sent: {record.error or 'refused'}"))
        return artifact
    artifact.stdout = reader.read(record, stream)
    if "stderr" in record.files:
        artifact.stderr = reader.read(record, "stderr")
    if record.outcome is Outcome.INTERRUPTED:
        artifact.problems.append(problem(
            name, "The phone stopped answering while this was read"
            + (f" ({record.error})" if record.error else "") + "; what arrived was used"))
    elif record.outcome is Outcome.FAILED and name != AndroidArtifact.ROOT_CHECK.value:
        artifact.problems.append(problem(
            name, "The phone reported an error"
            + (f" ({record.error})" if record.error else "")
            + "; whatever it printed was read", excerpt=artifact.stderr.decode("utf-8", "replace")))
    return artifact


def _usable(artifact: _Artifact, recognized: bool) -> bool:
    """True when an answer can be relied on for "none" as well as for "some"."""
    if not artifact.present or not recognized:
        return False
    assert artifact.record is not None
    if artifact.record.outcome is Outcome.FAILED:
        return bool(artifact.stdout.strip())
    return True


def _ref(path: str | None, line: int | None, detail: str) -> SourceRef | None:
    if path is None:
        return None
    return SourceRef(path=path, line=line, detail=detail[:300])


def _derived_apk_paths(entry: PackageListEntry | None, info: DumpsysPackageInfo | None) -> tuple[str, ...]:
    base = entry.apk_path if entry is not None else None
    code_path = info.code_path if info is not None else None
    paths: list[str] = []
    if base:
        paths.append(base)
    elif code_path:
        if code_path.endswith(".apk"):
            paths.append(code_path)
        elif code_path.startswith(_APP_DIR_PREFIXES):
            paths.append(code_path.rstrip("/") + "/base.apk")
    if info is not None and code_path and code_path.startswith(_APP_DIR_PREFIXES):
        for split in info.splits:
            if split != "base":
                paths.append(f"{code_path.rstrip('/')}/split_{split}.apk")
    return tuple(dict.fromkeys(paths))


def _enabled(info: DumpsysPackageInfo | None) -> bool | None:
    if info is None:
        return None
    state = info.user(0)
    if state is None or state.enabled_state is None:
        return None
    if state.enabled_state in (0, 1):
        return True
    if state.enabled_state in (2, 3, 4):
        return False
    return None


def _permissions(
    info: DumpsysPackageInfo | None, shared: Mapping[str, SharedUserInfo]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(requested, granted for user 0), taking a shared uid's grants where the app has one."""
    if info is None:
        return (), ()
    requested = info.all_requested_permissions()
    granted = info.granted_permissions(0)
    owner = shared.get(info.shared_user) if info.shared_user else None
    if owner is not None:
        granted = tuple(dict.fromkeys((*granted, *owner.granted_permissions(0))))
        if not info.requested_listed:
            listed = (perm.name for perm in (*owner.install_permissions, *owner.runtime_permissions))
            requested = tuple(dict.fromkeys((*requested, *listed)))
    return requested, granted


def build_android_inventory(
    reader: EvidenceReader,
    *,
    apks: Mapping[str, Sequence[ApkFile]] | None = None,
    serial: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> AndroidInventory:
    """Parse every preserved Android artifact into one inventory; never raises on bad output.

    ``apks`` attaches already-inspected APK files by package; ``labels`` gives app names
    read from APKs (taken before a bound accessibility service's label); ``serial`` is the
    adb serial the case was acquired from.
    """
    problems: list[ParseProblem] = []
    missing: list[str] = []
    read = {artifact.value: _read(reader, artifact.value) for artifact in INVENTORY_ARTIFACTS}
    for artifact in read.values():
        problems.extend(artifact.problems)

    def note_missing(name: str, usable: bool) -> bool:
        if not usable:
            missing.append(name)
        return usable

    # --- device
    getprop_art = read[AndroidArtifact.GETPROP.value]
    getprop = parse_getprop(getprop_art.stdout, source=getprop_art.name)
    problems.extend(getprop.problems)
    props = getprop.props if note_missing(getprop_art.name, _usable(getprop_art, getprop.recognized)) else {}
    device = device_info_from_props(props, serial=serial)

    # --- packages
    list_art = read[AndroidArtifact.PACKAGE_LIST.value]
    package_list = parse_package_list(list_art.stdout, source=list_art.name)
    problems.extend(package_list.problems)
    list_ok = note_missing(list_art.name, _usable(list_art, package_list.recognized))
    entries = package_list.by_package() if list_ok else {}

    dumpsys_art = read[AndroidArtifact.DUMPSYS_PACKAGE.value]
    dumpsys = parse_dumpsys_package(dumpsys_art.stdout, source=dumpsys_art.name)
    problems.extend(dumpsys.problems)
    dumpsys_ok = note_missing(dumpsys_art.name, _usable(dumpsys_art, dumpsys.recognized))
    if not dumpsys_ok:
        dumpsys = DumpsysPackageResult()

    launcher_art = read[AndroidArtifact.LAUNCHER_ACTIVITIES.value]
    launcher = parse_launcher_activities(launcher_art.stdout, source=launcher_art.name)
    problems.extend(launcher.problems)
    launcher_ok = note_missing(launcher_art.name, _usable(launcher_art, launcher.recognized))

    # --- accessibility and settings (needed for labels)
    access_art = read[AndroidArtifact.DUMPSYS_ACCESSIBILITY.value]
    access = parse_dumpsys_accessibility(access_art.stdout, source=access_art.name)
    problems.extend(access.problems)
    access_ok = note_missing(access_art.name, _usable(access_art, access.recognized))

    settings: dict[str, dict[str, str]] = {}
    for namespace, artifact_name in SETTINGS_ARTIFACTS.items():
        art = read[artifact_name.value]
        parsed = parse_settings(art.stdout, namespace, source=art.name)
        problems.extend(parsed.problems)
        if note_missing(art.name, _usable(art, parsed.recognized)):
            settings[namespace] = dict(parsed.values)

    services = _accessibility_services(access if access_ok else None, settings.get("secure"))
    service_labels = {
        service.package: service.label for service in services if service.label
    }

    apps = _apps(
        entries, dumpsys, list_art.path, dumpsys_art.path,
        launcher.packages if launcher_ok else None, launcher_art.path,
        apks or {}, {**service_labels, **(labels or {})},
    )

    # --- management, usage access, root
    policy_art = read[AndroidArtifact.DUMPSYS_DEVICE_POLICY.value]
    policy = parse_dumpsys_device_policy(policy_art.stdout, source=policy_art.name)
    problems.extend(policy.problems)
    policy_ok = note_missing(policy_art.name, _usable(policy_art, policy.recognized))

    usage_art = read[AndroidArtifact.USAGE_ACCESS.value]
    usage = parse_usage_access(usage_art.stdout, source=usage_art.name)
    problems.extend(usage.problems)
    usage_ok = note_missing(usage_art.name, _usable(usage_art, usage.recognized))

    # Same answer format as usage access (query-op lists packages in the mode asked for).
    installers_art = read[AndroidArtifact.INSTALL_UNKNOWN_APPS.value]
    installers = parse_usage_access(installers_art.stdout, source=installers_art.name)
    problems.extend(installers.problems)
    installers_ok = note_missing(installers_art.name, _usable(installers_art, installers.recognized))

    users_art = read[AndroidArtifact.USERS.value]
    users = parse_users(users_art.stdout, source=users_art.name)
    problems.extend(users.problems)
    users_ok = note_missing(users_art.name, _usable(users_art, users.recognized))
    phone_users = tuple(
        AndroidUser(
            user_id=user.user_id, name=user.name, kind=_user_kind(user), running=user.running,
            sources=tuple(ref for ref in (_ref(users_art.path, user.line, f"UserInfo{{{user.user_id}:{user.name}}}"),)
                          if ref is not None),
        )
        for user in users.users
    ) if users_ok else ()

    root_art = read[AndroidArtifact.ROOT_CHECK.value]
    root = parse_root_check(root_art.stdout, source=root_art.name, stderr=root_art.stderr)
    problems.extend(root.problems)
    root_ok = note_missing(root_art.name, _root_usable(root_art))

    listeners = tuple(
        NotificationListener(component=component, package=parts[0])
        for component in split_component_list(settings.get("secure", {}).get("enabled_notification_listeners", ""))
        if (parts := split_component(component)) is not None
    )
    ordered_missing = [a.value for a in INVENTORY_ARTIFACTS if a.value in set(missing)]
    return AndroidInventory(
        device=device,
        apps=apps,
        accessibility_services=services,
        notification_listeners=listeners,
        device_admins=policy.admins if policy_ok else (),
        users=phone_users,
        owners=policy.owners if policy_ok else (),
        usage_access=usage.packages if usage_ok else (),
        install_unknown_apps=installers.packages if installers_ok else (),
        settings=settings,
        risky_settings=derive_risky_settings(settings, sdk=device.sdk),
        root_signs=root_signs(props, found_paths=root.found if root_ok else (),
                              packages=[app.package for app in apps]),
        missing=tuple(ordered_missing),
        problems=tuple(problems),
    )


def _root_usable(artifact: _Artifact) -> bool:
    # ``ls`` exits 1 whenever one of the paths is missing, which is the normal case: a
    # failed answer is still a complete one as long as it came back whole.
    if not artifact.present or artifact.record is None:
        return False
    outcome = artifact.record.outcome
    if outcome is Outcome.OK:
        return True
    if outcome is Outcome.FAILED:
        exit_code = artifact.record.exit_code
        return exit_code == 1 or (exit_code is None and bool(artifact.stdout or artifact.stderr))
    return False


def _accessibility_services(
    access: AccessibilityResult | None, secure: Mapping[str, str] | None
) -> tuple[AccessibilityService, ...]:
    state = access.user() if access is not None else None
    printed: dict[str, str] = {}  # normalised component -> form first printed
    from_dumpsys: list[str] = []
    if state is not None:
        for component in state.enabled:
            key = full_component(component)
            printed.setdefault(key, component)
            from_dumpsys.append(key)
    if secure is not None:
        for component in split_component_list(secure.get("enabled_accessibility_services", "")):
            printed.setdefault(full_component(component), component)
    not_bound: set[str] = set()
    if state is not None:
        not_bound = {full_component(c) for c in (*state.binding, *state.crashed)}
    result = []
    for key, component in printed.items():
        parts = split_component(component)
        if parts is None:
            continue
        bound: bool | None = None
        label: str | None = None
        if state is not None:
            nothing_bound = "bound" in state.lists_seen and not state.bound_labels
            if key in not_bound or key not in from_dumpsys or nothing_bound:
                bound = False
            elif not not_bound and len(state.bound_labels) == len(from_dumpsys):
                bound = True
                if len(from_dumpsys) == 1:
                    label = state.bound_labels[0] or None
        result.append(AccessibilityService(component=component, package=parts[0], enabled=True,
                                           bound=bound, label=label))
    return tuple(result)


def _apps(
    entries: Mapping[str, PackageListEntry],
    dumpsys: DumpsysPackageResult,
    list_path: str | None,
    dumpsys_path: str | None,
    launcher_packages: frozenset[str] | None,
    launcher_path: str | None,
    apks: Mapping[str, Sequence[ApkFile]],
    labels: Mapping[str, str],
) -> tuple[AndroidApp, ...]:
    names = dict.fromkeys([*entries, *dumpsys.packages])
    apps = []
    for package in names:
        entry = entries.get(package)
        info = dumpsys.packages.get(package)
        sources: list[SourceRef | None] = []
        if entry is not None:
            sources.append(_ref(list_path, entry.line, entry.text))
        if info is not None:
            sources.append(_ref(dumpsys_path, info.line, f"Package [{package}]"))
            for key in _SOURCE_FIELDS:
                if key in info.field_lines:
                    sources.append(_ref(dumpsys_path, info.field_lines[key], info.field_text[key]))
            user0 = info.user(0)
            if user0 is not None:
                sources.append(_ref(dumpsys_path, user0.line,
                                    f"User 0: installed={user0.installed} enabled={user0.enabled_state}"))
                if user0.first_install_line is not None:
                    sources.append(_ref(dumpsys_path, user0.first_install_line,
                                        f"firstInstallTime={user0.first_install_time}"))
        apk_paths = _derived_apk_paths(entry, info)
        if info is not None:
            system = info.system
            updated = info.updated_system or package in dumpsys.hidden_system_packages
        else:
            system = bool(apk_paths) and apk_paths[0].startswith(_SYSTEM_PREFIXES)
            updated = False
            if system:
                sources.append(_ref(list_path, entry.line if entry else None,
                                    "system app: judged from where its APK lives"))
        # dumpsys prints installerPackageName=null, or (Android 11) nothing when there is none.
        installer = info.installer if info is not None else None
        if installer is None and entry is not None:
            installer = entry.installer
        initiating = info.initiating_installer if info is not None else None
        originating = info.originating_installer if info is not None else None
        requested, granted = _permissions(info, dumpsys.shared_users)
        hidden: bool | None = None
        if launcher_packages is not None:
            hidden = package not in launcher_packages
            if hidden:
                sources.append(_ref(launcher_path, None, f"no launcher activity listed for {package}"))
        apps.append(AndroidApp(
            package=package,
            label=labels.get(package),
            apk_paths=apk_paths,
            installer=installer,
            initiating_installer=initiating,
            originating_installer=originating,
            install_source=classify_install_source(installer, initiating, originating, system=system),
            uid=(info.uid if info is not None and info.uid is not None else (entry.uid if entry else None)),
            version_code=(info.version_code if info is not None and info.version_code is not None
                          else (entry.version_code if entry else None)),
            version_name=info.version_name if info is not None else None,
            first_install_time=info.first_install(0) if info is not None else None,
            last_update_time=info.last_update_time if info is not None else None,
            system=system,
            updated_system=updated,
            enabled=_enabled(info),
            hidden_from_launcher=hidden,
            requested_permissions=requested,
            granted_permissions=granted,
            apks=tuple(apks.get(package, ())),
            installed_for_owner=_installed_for_owner(info),
            sources=tuple(ref for ref in sources if ref is not None),
        ))
    apps.sort(key=lambda app: app.package)
    return tuple(apps)


def _user_kind(user: ParsedUser) -> str:
    if user.user_id == 0:
        return "owner"
    if user.managed_profile:
        return "work_profile"
    if user.guest:
        return "guest"
    return "secondary"


def _installed_for_owner(info: DumpsysPackageInfo | None) -> bool | None:
    user0 = info.user(0) if info is not None else None
    return None if user0 is None else user0.installed
