"""Read an androidqf acquisition folder, so clinics can analyse what they already hold.

androidqf (the MVT project's acquisition tool) writes one folder per phone:
``getprop.txt``, ``dumpsys.txt`` (every service, ``DUMP OF SERVICE x:`` separated),
``settings_secure.txt`` / ``settings_global.txt`` / ``settings_system.txt``,
``packages.json`` (per package: installer, uid, disabled / system flags, and the APK files
with hashes and signing certificate), ``root_binaries.json`` (root paths found),
``processes.json`` / ``ps.txt``, ``files.json`` and more. The text files hold the same command
outputs this project acquires itself, so they go through the same parsers; ``packages.json``
fills what ``pm list packages`` would have said. The folder is only read, never changed.
"""

from __future__ import annotations

import dataclasses
import json
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stalkerscan.model.android import (
    AndroidApp,
    AndroidInventory,
    ApkFile,
    CertificateInfo,
    RootSign,
)
from stalkerscan.model.artifacts import AndroidArtifact, MemoryEvidence, Outcome, RawRecord
from stalkerscan.model.common import ParseProblem, SourceRef
from stalkerscan.parse.android._text import is_package_name, null_to_none, problem
from stalkerscan.parse.android.appops import parse_dumpsys_appops_usage
from stalkerscan.parse.android.dumpsys_split import split_dumpsys
from stalkerscan.parse.android.install_source import classify_install_source
from stalkerscan.parse.android.inventory import build_android_inventory
from stalkerscan.parse.android.risky_settings import derive_risky_settings
from stalkerscan.parse.android.root import ROOT_PACKAGES
from stalkerscan.parse.android.settings import NAMESPACES, parse_settings

MAX_FILE_BYTES = 512 * 1024 * 1024
"""Largest androidqf file parsed (a whole phone's dumpsys.txt is a few hundred MB at most);
larger ones are reported as problems, and kept unread in the case."""

SOURCE = "androidqf"
_DUMPSYS_SERVICES = {
    "package": AndroidArtifact.DUMPSYS_PACKAGE,
    "accessibility": AndroidArtifact.DUMPSYS_ACCESSIBILITY,
    "device_policy": AndroidArtifact.DUMPSYS_DEVICE_POLICY,
}
_KNOWN_FILES = frozenset({
    "getprop.txt", "dumpsys.txt", "packages.json", "root_binaries.json",
    *(f"settings_{ns}.txt" for ns in NAMESPACES),
})


@dataclass(frozen=True)
class AndroidqfPackage:
    """One entry of ``packages.json``."""

    package: str
    """Package name."""

    installer: str | None
    """``installer`` (None for ``null`` or empty)."""

    uid: int | None
    """``uid``."""

    disabled: bool | None
    """``disabled``."""

    system: bool | None
    """``system``."""

    files: tuple[ApkFile, ...] = ()
    """APK files androidqf listed, with the hashes and certificate it computed."""


@dataclass(frozen=True)
class AndroidqfFolder:
    """An androidqf folder, read into this project's evidence form."""

    root: Path
    """The folder."""

    evidence: MemoryEvidence
    """Records for the command outputs found (getprop, dumpsys sections, settings)."""

    packages: tuple[AndroidqfPackage, ...] = ()
    """``packages.json`` entries (empty when the file is absent or unreadable)."""

    packages_read: bool = False
    """True when ``packages.json`` was read."""

    root_binaries: tuple[str, ...] | None = None
    """``root_binaries.json`` paths; None when the file is absent or unreadable."""

    usage_access: tuple[str, ...] | None = None
    """Packages allowed usage access per ``dumpsys appops``; None when not available."""

    install_unknown_apps: tuple[str, ...] | None = None
    """Packages allowed to install apps (``REQUEST_INSTALL_PACKAGES``) per ``dumpsys appops``;
    None when not available."""

    extra_settings: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Settings files whose name is not one of the three namespaces (name after ``settings_``)."""

    locations: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    """Record path to (file in the folder, line offset) for citing the folder's own files."""

    notes: tuple[str, ...] = ()
    """Plain remarks: files used, files not used, and why."""

    problems: tuple[ParseProblem, ...] = ()
    """Files that could not be read."""


def _read_file(path: Path, problems: list[ParseProblem]) -> bytes | None:
    try:
        # Only regular files, never through a link: the folder may come from someone else.
        if not stat.S_ISREG(path.lstat().st_mode):
            problems.append(problem(SOURCE, f"{path.name} is not a regular file; it was not read"))
            return None
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            problems.append(problem(SOURCE, f"{path.name} is too large to read ({size} bytes)"))
            return None
        return path.read_bytes()
    except OSError as exc:
        problems.append(problem(SOURCE, f"{path.name} could not be read: {exc.strerror or exc}"))
        return None


def _record(seq: int, name: str, path: str, request: str) -> RawRecord:
    return RawRecord(
        seq=seq, name=name, platform="android", channel="androidqf", request=request,
        started_utc="1970-01-01T00:00:00.000000Z", finished_utc="1970-01-01T00:00:00.000000Z",
        outcome=Outcome.OK, files={"stdout": path}, exit_code=0,
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _certificate(raw: Any) -> tuple[CertificateInfo, ...]:
    if not isinstance(raw, dict):
        return ()
    sha256 = _text(raw.get("Sha256")).lower()
    sha1 = _text(raw.get("Sha1")).lower()
    if not sha256 and not sha1:
        return ()
    return (CertificateInfo(
        sha256=sha256, sha1=sha1, subject=_text(raw.get("Subject")), issuer=_text(raw.get("Issuer")),
        # androidqf verifies the APK but does not say which signature scheme held the cert.
        scheme="androidqf",
        not_before=_text(raw.get("ValidFrom")) or None, not_after=_text(raw.get("ValidTo")) or None,
    ),)


def _packages(data: bytes, problems: list[ParseProblem]) -> tuple[AndroidqfPackage, ...] | None:
    try:
        parsed = json.loads(data.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError) as exc:
        problems.append(problem(SOURCE, f"packages.json is not valid JSON: {exc}"))
        return None
    if not isinstance(parsed, list):
        problems.append(problem(SOURCE, "packages.json does not hold a list of packages"))
        return None
    result = []
    for index, item in enumerate(parsed):
        name = _text(item.get("name")) if isinstance(item, dict) else ""
        if not is_package_name(name):
            problems.append(problem(SOURCE, f"packages.json entry {index + 1} has no valid package name",
                                    excerpt=str(item)[:200]))
            continue
        files = []
        for raw in item.get("files") or []:
            if not isinstance(raw, dict) or not _text(raw.get("path")):
                continue
            files.append(ApkFile(
                device_path=_text(raw.get("path")),
                # Where androidqf kept the file, by its own bare name: never a path from the
                # folder's content (it could name any file on the computer).
                case_path=Path(_text(raw.get("local_name"))).name,
                size=0,  # androidqf does not record sizes
                sha256=_text(raw.get("sha256")).lower(), sha1=_text(raw.get("sha1")).lower(),
                md5=_text(raw.get("md5")).lower(),
                certificates=_certificate(raw.get("certificate")),
                problems=tuple(
                    problem(SOURCE, f"androidqf: {message}")
                    for message in (_text(raw.get("error")), _text(raw.get("certificate_error")))
                    if message
                ),
            ))
        uid = item.get("uid")
        result.append(AndroidqfPackage(
            package=name,
            installer=null_to_none(_text(item.get("installer"))),
            uid=uid if isinstance(uid, int) and not isinstance(uid, bool) else None,
            disabled=item.get("disabled") if isinstance(item.get("disabled"), bool) else None,
            system=item.get("system") if isinstance(item.get("system"), bool) else None,
            files=tuple(files),
        ))
    return tuple(result)


def read_androidqf_folder(path: str | Path) -> AndroidqfFolder:
    """Read an androidqf folder into evidence records plus its JSON facts; never raises on content.

    Raises :class:`NotADirectoryError` when ``path`` is not a folder.
    """
    root = Path(path)
    if not root.is_dir():
        raise NotADirectoryError(f"Not an androidqf folder: {root}")
    problems: list[ParseProblem] = []
    notes: list[str] = []
    items: list[tuple[RawRecord, dict[str, bytes]]] = []
    locations: dict[str, tuple[str, int]] = {}

    def add(name: str, data: bytes, file_name: str, offset: int = 0, label: str = "") -> None:
        record_path = file_name if not label else f"{file_name}#{label}"
        items.append((_record(len(items) + 1, name, record_path, f"androidqf {record_path}"),
                      {"stdout": data}))
        locations[record_path] = (file_name, offset)

    getprop = root / "getprop.txt"
    if getprop.is_file() and (data := _read_file(getprop, problems)) is not None:
        add(AndroidArtifact.GETPROP.value, data, "getprop.txt")

    usage_access: tuple[str, ...] | None = None
    install_unknown_apps: tuple[str, ...] | None = None
    dumpsys = root / "dumpsys.txt"
    if dumpsys.is_file() and (data := _read_file(dumpsys, problems)) is not None:
        sections = split_dumpsys(data)
        for section in sections:
            artifact = _DUMPSYS_SERVICES.get(section.service)
            if artifact is not None and not any(r.name == artifact.value for r, _ in items):
                add(artifact.value, section.data, "dumpsys.txt", section.first_line - 1, section.service)
            elif section.service == "appops" and usage_access is None:
                parsed = parse_dumpsys_appops_usage(section.data)
                if parsed.recognized:
                    usage_access = parsed.packages
                    installers = parse_dumpsys_appops_usage(section.data, op="REQUEST_INSTALL_PACKAGES")
                    install_unknown_apps = installers.packages
        found = {s.service for s in sections}
        for service in (*_DUMPSYS_SERVICES, "appops"):
            if service not in found:
                notes.append(f"dumpsys.txt has no '{service}' section")

    extra_settings: dict[str, dict[str, str]] = {}
    for settings_file in sorted(root.glob("settings_*.txt")):
        namespace = settings_file.stem[len("settings_"):]
        data = _read_file(settings_file, problems)
        if data is None:
            continue
        if namespace in NAMESPACES:
            add(f"settings_{namespace}", data, settings_file.name)
        else:
            parsed = parse_settings(data, namespace, source=settings_file.name)
            problems.extend(parsed.problems)
            extra_settings[namespace] = dict(parsed.values)
            notes.append(f"{settings_file.name}: '{namespace}' is not an Android settings "
                         "namespace; its settings were checked against every rule")

    packages: tuple[AndroidqfPackage, ...] = ()
    packages_read = False
    packages_file = root / "packages.json"
    if packages_file.is_file() and (data := _read_file(packages_file, problems)) is not None:
        parsed_packages = _packages(data, problems)
        if parsed_packages is not None:
            packages, packages_read = parsed_packages, True

    root_binaries: tuple[str, ...] | None = None
    root_file = root / "root_binaries.json"
    if root_file.is_file() and (data := _read_file(root_file, problems)) is not None:
        try:
            listed = json.loads(data.decode("utf-8", errors="replace"))
        except (ValueError, RecursionError) as exc:
            problems.append(problem(SOURCE, f"root_binaries.json is not valid JSON: {exc}"))
        else:
            if isinstance(listed, list):
                root_binaries = tuple(p for p in listed if isinstance(p, str) and p.startswith("/"))
            else:
                problems.append(problem(SOURCE, "root_binaries.json does not hold a list of paths"))

    unused = sorted(p.name for p in root.iterdir()
                    if p.name not in _KNOWN_FILES and not p.name.startswith("settings_"))
    if unused:
        notes.append("Not used: " + ", ".join(unused))
    return AndroidqfFolder(
        root=root, evidence=MemoryEvidence(items=items), packages=packages,
        packages_read=packages_read, root_binaries=root_binaries, usage_access=usage_access,
        install_unknown_apps=install_unknown_apps,
        extra_settings=extra_settings, locations=locations, notes=tuple(notes),
        problems=tuple(problems),
    )


def _relocate(ref: SourceRef, locations: Mapping[str, tuple[str, int]]) -> SourceRef:
    place = locations.get(ref.path)
    if place is None:
        return ref
    file_name, offset = place
    return SourceRef(path=file_name, line=None if ref.line is None else ref.line + offset,
                     detail=ref.detail)


def _relocate_problem(item: ParseProblem, by_name: Mapping[str, tuple[str, int] | None]) -> ParseProblem:
    place = by_name.get(item.source)
    if place is None:
        return item
    file_name, offset = place
    return dataclasses.replace(item, source=file_name,
                               line=None if item.line is None else item.line + offset)


def _merge_app(app: AndroidApp | None, entry: AndroidqfPackage) -> AndroidApp:
    ref = SourceRef(path="packages.json", line=None, detail=f'"name": "{entry.package}"')
    if app is None:
        system = bool(entry.system)
        return AndroidApp(
            package=entry.package,
            apk_paths=tuple(f.device_path for f in entry.files),
            installer=entry.installer,
            install_source=classify_install_source(entry.installer, system=system),
            uid=entry.uid,
            system=system,
            enabled=None if entry.disabled is None else not entry.disabled,
            apks=entry.files,
            sources=(ref,),
        )
    known_block = any(s.detail.startswith("Package [") for s in app.sources)
    installer = app.installer if app.installer is not None or known_block else entry.installer
    system = app.system if known_block else bool(entry.system)
    return dataclasses.replace(
        app,
        apk_paths=app.apk_paths or tuple(f.device_path for f in entry.files),
        installer=installer,
        install_source=classify_install_source(installer, app.initiating_installer,
                                               app.originating_installer, system=system),
        uid=app.uid if app.uid is not None else entry.uid,
        system=system,
        enabled=app.enabled if app.enabled is not None or entry.disabled is None else not entry.disabled,
        apks=app.apks or entry.files,
        sources=(*app.sources, ref),
    )


def build_inventory_from_androidqf(path: str | Path) -> AndroidInventory:
    """An inventory from an androidqf folder, through the same parsers as a live scan.

    Raises :class:`NotADirectoryError` when ``path`` is not a folder; bad content is reported
    in the inventory's ``problems``.
    """
    folder = read_androidqf_folder(path)
    inventory = build_android_inventory(folder.evidence)
    apps = {app.package: app for app in inventory.apps}
    for entry in folder.packages:
        apps[entry.package] = _merge_app(apps.get(entry.package), entry)
    relocated = tuple(
        dataclasses.replace(app, sources=tuple(_relocate(s, folder.locations) for s in app.sources))
        for app in sorted(apps.values(), key=lambda a: a.package)
    )
    missing = list(inventory.missing)
    if folder.packages_read and AndroidArtifact.PACKAGE_LIST.value in missing:
        missing.remove(AndroidArtifact.PACKAGE_LIST.value)
    # Root-manager packages are judged again over the merged app list (packages.json may
    # name apps dumpsys.txt did not have).
    root_signs = [sign for sign in inventory.root_signs if sign.kind != "root_package"]
    if folder.root_binaries is not None:
        if AndroidArtifact.ROOT_CHECK.value in missing:
            missing.remove(AndroidArtifact.ROOT_CHECK.value)
        known = {sign.detail for sign in root_signs}
        root_signs[:0] = [RootSign("su_binary", p) for p in folder.root_binaries if p not in known]
    root_signs += [RootSign("root_package", name) for name in sorted(apps) if name in ROOT_PACKAGES]
    usage_access = inventory.usage_access
    if folder.usage_access is not None:
        usage_access = folder.usage_access
        if AndroidArtifact.USAGE_ACCESS.value in missing:
            missing.remove(AndroidArtifact.USAGE_ACCESS.value)
    install_unknown_apps = inventory.install_unknown_apps
    if folder.install_unknown_apps is not None:
        install_unknown_apps = folder.install_unknown_apps
        if AndroidArtifact.INSTALL_UNKNOWN_APPS.value in missing:
            missing.remove(AndroidArtifact.INSTALL_UNKNOWN_APPS.value)
    settings = {**{ns: dict(v) for ns, v in inventory.settings.items()},
                **{ns: dict(v) for ns, v in folder.extra_settings.items()}}
    # Problems name the folder's own file and line, not the in-memory record.
    by_name = {record.name: folder.locations.get(record.files.get("stdout", ""))
               for record in folder.evidence.records()}
    problems = (*folder.problems, *(_relocate_problem(p, by_name) for p in inventory.problems))
    return dataclasses.replace(
        inventory,
        apps=relocated,
        usage_access=usage_access,
        install_unknown_apps=install_unknown_apps,
        settings=settings,
        risky_settings=derive_risky_settings(settings, sdk=inventory.device.sdk),
        root_signs=tuple(root_signs),
        missing=tuple(missing),
        problems=problems,
    )
