"""Signs of root or a test build: su binaries, root-manager apps, build and boot properties.

``ls -d <paths>`` prints each path that exists on a line of its own (errors for the missing
ones go to stderr, or into the same stream on legacy shells, as
``ls: /sbin/su: No such file or directory``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from stalkerscan.model.android import RootSign
from stalkerscan.model.common import ParseProblem
from stalkerscan.parse.android._text import ProblemLog, complete_lines, decode

# Root managers and root-hiding tools. Sources: MVT's mvt/android/data/root_packages.txt
# (mvt-project/mvt), RootBeer's Const.knownRootAppsPackages / knownRootCloakingPackages
# (scottyab/rootbeer), and the KingRoot / KingoRoot one-click rooting apps named by their own
# package ids (com.kingroot.kinguser, com.kingo.root, com.kingouser.com).
ROOT_PACKAGES: Mapping[str, str] = {
    "com.topjohnwu.magisk": "Magisk",
    "eu.chainfire.supersu": "SuperSU",
    "eu.chainfire.supersu.pro": "SuperSU Pro",
    "com.noshufou.android.su": "Superuser",
    "com.noshufou.android.su.elite": "Superuser Elite",
    "com.koushikdutta.superuser": "Superuser (Koushik Dutta)",
    "com.thirdparty.superuser": "Superuser",
    "com.yellowes.su": "Root Checker su",
    "me.phh.superuser": "phh Superuser",
    "com.kingroot.kinguser": "KingRoot",
    "com.kingo.root": "KingoRoot",
    "com.kingouser.com": "KingoRoot user",
    "de.robv.android.xposed.installer": "Xposed Installer",
    "com.saurik.substrate": "Cydia Substrate",
    "com.devadvance.rootcloak": "RootCloak",
    "com.devadvance.rootcloakplus": "RootCloak Plus",
    "com.zachspong.temprootremovejb": "Temp Root Remove",
    "com.amphoras.hidemyroot": "Hide My Root",
    "com.amphoras.hidemyrootadfree": "Hide My Root",
    "com.formyhm.hiderootPremium": "Hide Root Premium",
    "com.formyhm.hideroot": "Hide Root",
}
"""Package name to the tool's name."""


@dataclass(frozen=True)
class RootCheckResult:
    """Paths the ``ls -d`` root check found on the phone."""

    found: tuple[str, ...] = ()
    """Existing su / Magisk paths."""

    lines: tuple[int, ...] = ()
    """1-based line of each path."""

    unreadable: tuple[str, ...] = ()
    """Paths the shell was not allowed to look at (neither found nor ruled out)."""

    problems: tuple[ParseProblem, ...] = ()
    """What could not be read."""


def parse_root_check(data: bytes, *, source: str = "root_check", stderr: bytes = b"") -> RootCheckResult:
    """Parse the ``ls -d`` root check (stdout, plus stderr when kept apart); never raises."""
    log = ProblemLog(source)
    found: dict[str, int] = {}
    unreadable: list[str] = []
    for stream, text in (("stdout", decode(data)), ("stderr", decode(stderr))):
        for lineno, line in complete_lines(text, log):
            stripped = line.strip()
            if not stripped:
                continue
            if "No such file or directory" in stripped:
                continue
            if "Permission denied" in stripped:
                path = stripped.split(":")[1].strip() if stripped.count(":") >= 2 else stripped
                unreadable.append(path)
                continue
            if stream == "stdout" and stripped.startswith("/") and " " not in stripped:
                found.setdefault(stripped, lineno)
                continue
            log.add("Not a path the root check prints", lineno if stream == "stdout" else None, line)
    if unreadable:
        log.add("The phone did not let the check look at: " + ", ".join(unreadable[:20]))
    return RootCheckResult(found=tuple(found), lines=tuple(found.values()),
                           unreadable=tuple(unreadable), problems=log.freeze())


def root_signs(
    props: Mapping[str, str],
    *,
    found_paths: Iterable[str] = (),
    packages: Iterable[str] = (),
) -> tuple[RootSign, ...]:
    """Every root or test-build sign in the properties, paths and installed packages."""
    signs: list[RootSign] = []
    for path in dict.fromkeys(found_paths):
        signs.append(RootSign("su_binary", path))
    for package in sorted(set(packages)):
        if package in ROOT_PACKAGES:
            signs.append(RootSign("root_package", package))
    tags = props.get("ro.build.tags", "")
    if "test-keys" in tags:
        signs.append(RootSign("test_keys", f"ro.build.tags={tags}"))
    if props.get("ro.debuggable", "").strip() == "1":
        signs.append(RootSign("debuggable_build", "ro.debuggable=1"))
    build_type = props.get("ro.build.type", "").strip()
    if build_type in ("userdebug", "eng"):
        signs.append(RootSign("debuggable_build", f"ro.build.type={build_type}"))
    if props.get("ro.secure", "").strip() == "0":
        signs.append(RootSign("debuggable_build", "ro.secure=0"))
    if props.get("ro.boot.flash.locked", "").strip() == "0":
        signs.append(RootSign("unlocked_bootloader", "ro.boot.flash.locked=0"))
    if props.get("ro.boot.vbmeta.device_state", "").strip() == "unlocked":
        signs.append(RootSign("unlocked_bootloader", "ro.boot.vbmeta.device_state=unlocked"))
    if props.get("ro.boot.verifiedbootstate", "").strip() == "orange":
        signs.append(RootSign("unlocked_bootloader", "ro.boot.verifiedbootstate=orange"))
    return tuple(signs)
