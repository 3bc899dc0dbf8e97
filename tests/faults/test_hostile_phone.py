"""A hostile phone, through the whole pipeline: scan, case folder, parsers, APKs, reports.

Whoever set the phone up chose its app names, labels, paths and APK files. Text the profile
format allows (labels, version names, settings, user names, device model, APK paths, zip entry
names) comes from the profile; what a real package manager can never print (package names with
markup, ``../``, NUL, escape sequences) is written into the phone's answers by a wrapper around
its ``run_shell``; APK files the simulator cannot build (a zip bomb, a truncated file, broken
certificates) are served by a wrapper around its ``read_file``. Expected: the scan completes,
problems are recorded, nothing is written outside the case folder, the HTML report shows every
string as text, and the JSON report validates.
"""

from __future__ import annotations

import json
import os
import re
import struct
import time
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from android_scan_helpers import phone_from, scan_phone, shell_requests
from fault_helpers import (
    StepHook,
    assert_nothing_read_is_lost,
    assert_reports_valid,
    audited_writes,
    tree,
)

from stalkerscan.errors import EXIT_FINDINGS
from stalkerscan.model.artifacts import Outcome
from stalkerscan.preserve.case import CaseFolder
from stalkerscan.preserve.verify import verify_case
from stalkerscan.simulator.android.base import ShellResult
from stalkerscan.simulator.apkgen import signer_certificate_der, signer_names

pytestmark = pytest.mark.timeout(120)

SCRIPT = '<script>alert("x")</script>'
IMG = "<img src=x onerror=alert(1)>"
RLO = "gpj.\u202eexe"  # shows as "exe.jpg"
CONTROL = "a\x1b[31mred\x07"
NUL = "nul\x00byte"
HUGE_LABEL = "<b>x</b>" * (1024 * 1024 // 8)  # 1 MiB of markup
LABEL = f"{SCRIPT} {RLO} {CONTROL} {NUL}"

# Package names no real package manager prints, written into the phone's answers in place of
# these ordinary ones.
HOSTILE_NAMES = {
    b"org.example.slotscript": b"org.example.<script>alert(1)</script>",
    b"org.example.slottraversal": b"../../../../tmp/stalkerscan-pwned",
    b"org.example.slotcontrol": b"org.example.nul\x00byte\x1b[2J\xe2\x80\xae",
}
BAD_PATHS = ("/data/app/../../../../tmp/evil/base.apk", "/data/app/<b>x</b>/base.apk")


def sideloaded(package: str, **extra):
    return {"package": package, "installer": "com.android.shell", "launcher": False, **extra}


HOSTILE_PROFILE = {
    "platform": "android",
    "name": "hostile",
    "device": {"android_version": "13", "model": IMG, "manufacturer": SCRIPT},
    "generate": {"ordinary_apps": 3, "system_apps": False},
    "settings": {"global": {"device_name": SCRIPT + NUL}},
    "users": [{"id": 0, "name": "Owner"}, {"id": 10, "name": SCRIPT + RLO}],
    "apps": [
        sideloaded("org.example.labels", label=LABEL, version_name="1.0" + IMG + NUL,
                   accessibility_services=[{"class": ".Svc", "label": IMG + CONTROL,
                                            "enabled": True, "bound": True}]),
        sideloaded("org.example.hugelabel", label=HUGE_LABEL),
        sideloaded("org.example.badpath", apk={"path": BAD_PATHS[0]}),
        sideloaded("org.example.htmlpath", apk={"path": BAD_PATHS[1]}),
        sideloaded("org.example.apktraversal", apk={"extra_entries": {
            "../../../../tmp/stalkerscan-pwned.sh": "echo pwned",
            "/etc/passwd": "root::0:0",
            f"assets/{RLO}": "x",
        }}),
        sideloaded("org.example.apkbomb"),
        sideloaded("org.example.apktruncated"),
        sideloaded("org.example.apkbadcert"),
        *(sideloaded(slot.decode()) for slot in HOSTILE_NAMES),
    ],
}


# --------------------------------------------------------------------------- hostile APKs
def zip_bomb(mib: int = 1024) -> bytes:
    """A zip whose manifest and classes.dex each unpack to ``mib`` MiB of zeros (about 1 MB
    packed each). Built from one byte-aligned deflate segment repeated, so it costs no time."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = bytes(1 << 20)
    segment = packer.compress(zeros) + packer.flush(zlib.Z_FULL_FLUSH)
    packed = segment * mib + packer.flush()
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(zeros, crc)
    out, central = bytearray(), bytearray()
    names = (b"AndroidManifest.xml", b"classes.dex")
    for name in names:
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(packed), mib << 20,
                           len(name), 0) + name + packed
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(packed),
                               mib << 20, len(name), 0, 0, 0, 0, 0, offset) + name
    directory_at = len(out)
    out += central + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(names), len(names), len(central),
                                 directory_at, 0)
    return bytes(out)


def with_broken_certificates(apk: bytes) -> bytes:
    """The APK with its signing certificate's DER header smashed wherever it appears whole
    (the v2/v3 signing block, outside every zip entry: the zip itself stays readable)."""
    for name in signer_names():
        der = signer_certificate_der(name)
        if der in apk:
            return apk.replace(der, b"\xff" * 8 + der[8:])
    raise AssertionError("the simulator's certificate is not in the APK")


def make_hostile_phone():
    phone = phone_from(HOSTILE_PROFILE)
    real_run, real_read = phone.run_shell, phone.read_file

    def run_shell(cmdline: str) -> ShellResult:
        result = real_run(cmdline)
        out, err = result.stdout, result.stderr
        for ordinary, hostile in HOSTILE_NAMES.items():
            out, err = out.replace(ordinary, hostile), err.replace(ordinary, hostile)
        return ShellResult(out, err, result.exit_code)

    def path_of(package: str) -> str:
        return real_run(f"pm path {package}").stdout.decode().split(":", 1)[1].strip()

    truncated = real_read(path_of("org.example.apktruncated"))
    served = {
        path_of("org.example.apkbomb"): zip_bomb(),
        path_of("org.example.apktruncated"): truncated[: len(truncated) // 2],
        path_of("org.example.apkbadcert"): with_broken_certificates(real_read(path_of("org.example.apkbadcert"))),
    }

    def read_file(path: str) -> bytes | None:
        return served.get(path) or real_read(path)

    phone.run_shell = run_shell  # type: ignore[method-assign]
    phone.read_file = read_file  # type: ignore[method-assign]
    return phone


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, bundled_signatures):
    """One scan of the hostile phone, with every file this process wrote recorded."""
    base = tmp_path_factory.mktemp("hostile")
    home = base / "home"
    out = base / "work" / "case"
    out.parent.mkdir()
    phone = make_hostile_phone()
    progress = StepHook({})
    before = tree(base / "work")
    with pytest.MonkeyPatch.context() as patch, audited_writes() as audit:
        for name, value in (("HOME", home), ("XDG_DATA_HOME", home / "data"), ("XDG_CACHE_HOME", home / "cache")):
            patch.setenv(name, str(value))
        case = scan_phone(phone, out, bundled_signatures, progress=progress)
    return {"phone": phone, "case": case, "out": out, "home": home, "progress": progress,
            "written": list(audit.paths), "outside": audit.outside(out, home / "cache" / "stalkerscan"),
            "before": before, "work": base / "work"}


def walk(value):
    """Every string inside a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


# --------------------------------------------------------------------------- the tests
def test_the_scan_completes_and_sends_only_reads(hostile):
    case, phone = hostile["case"], hostile["phone"]
    assert case.complete and case.error is None
    assert case.exit_code == EXIT_FINDINGS  # its apps are still judged, whatever their names hold
    assert phone.log.write_attempts() == []
    records = assert_nothing_read_is_lost(case.path, phone)  # hostile bytes kept byte for byte
    assert all(r.outcome is Outcome.OK for r in records if r.name != "apk")
    folder = CaseFolder.open(case.path)
    package_list = folder.read(next(r for r in records if r.name == "pm_list_packages"))
    for hostile_name in HOSTILE_NAMES.values():
        assert hostile_name in package_list
    report = verify_case(case.path)
    assert report.ok and report.sealed


def test_nothing_is_written_outside_the_case_folder(hostile):
    assert hostile["written"], "the audit saw no writes at all"
    assert hostile["outside"] == []
    assert tree(hostile["work"], skip=hostile["out"]) == hostile["before"]
    assert not Path("/tmp/stalkerscan-pwned").exists()
    assert not Path("/tmp/stalkerscan-pwned.sh").exists()


def test_no_request_carries_a_hostile_name_or_path(hostile):
    phone, progress = hostile["phone"], hostile["progress"]
    requests = shell_requests(phone) + [e.request for e in phone.log.entries() if e.service == "sync"]
    for request in requests:
        assert re.fullmatch(r"[A-Za-z0-9 ._+%/=~,@:-]+", request), request
    assert not any(path in request for path in BAD_PATHS for request in requests)
    for path in BAD_PATHS:
        assert any(path in warning and "not requested" in warning for warning in progress.warnings)


def test_apk_file_names_in_the_case_are_safe(hostile):
    out = hostile["out"]
    apks = sorted(p for p in (out / "apks").rglob("*") if p.is_file())
    assert len(apks) == 6  # labels, hugelabel, traversal, bomb, truncated, badcert
    for path in apks:
        rel = path.relative_to(out / "apks")
        assert all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", part) and ".." not in part for part in rel.parts)
        assert os.path.realpath(path).startswith(os.path.realpath(out) + os.sep)
    # Only what was pulled is there: no zip entry was ever extracted.
    names = {p.name for p in out.rglob("*")}
    assert not any("pwned" in name or name == "passwd" for name in names)


def test_hostile_package_names_are_parse_problems_not_crashes(hostile):
    inventory = hostile["case"].result.inventory
    packages = {app.package for app in inventory.apps}
    assert "org.example.labels" in packages
    for hostile_name in HOSTILE_NAMES.values():
        assert hostile_name.decode("utf-8", "replace") not in packages
    sources = {p.source for p in inventory.problems}
    assert {"pm_list_packages", "dumpsys_package"} <= sources
    for problem in inventory.problems:
        assert not any(ord(c) < 32 or c == "\u202e" for c in problem.excerpt), problem


def test_hostile_apks_are_recorded_as_problems(hostile):
    inventory = hostile["case"].result.inventory

    def problems(package):
        app = inventory.app(package)
        assert app is not None and len(app.apks) == 1, package
        return " ".join(p.message for p in app.apks[0].problems)

    assert "limit" in problems("org.example.apkbomb")
    traversal = problems("org.example.apktraversal")
    assert "climbs out of its folder" in traversal and "absolute path" in traversal
    assert "truncated" in problems("org.example.apktruncated")
    assert "not valid X.509" in problems("org.example.apkbadcert")
    assert inventory.app("org.example.apktraversal").apks[0].certificates  # still signed and read


def test_labels_are_kept_exactly(hostile):
    inventory = hostile["case"].result.inventory
    assert inventory.app("org.example.labels").label == LABEL
    assert inventory.app("org.example.hugelabel").label == HUGE_LABEL
    data = json.loads((hostile["out"] / "inventory.json").read_bytes())
    assert LABEL in set(walk(data)) and HUGE_LABEL in set(walk(data))


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def test_html_report_shows_every_string_as_text(hostile):
    html = (hostile["out"] / "report.html").read_text(encoding="utf-8")
    parser = _Tags()
    parser.feed(html)
    tags = {tag for tag, _ in parser.tags}
    assert not tags & {"script", "img", "iframe", "object", "embed", "svg", "base", "form"}
    for tag, attrs in parser.tags:
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert not (value or "").strip().lower().startswith("javascript:"), (tag, name, value)
    assert "<b>x</b>" not in html
    assert "&lt;script&gt;alert(" in html and "&lt;img src=x onerror" in html
    for raw in ("\x00", "\x1b", "\x07", "\u202e"):
        assert raw not in html, repr(raw)
    assert "U+202E" in html  # the override is shown, not obeyed
    assert len(html.encode()) < len(HUGE_LABEL)  # a 1 MiB label is shortened for reading


def test_json_report_validates_and_keeps_strings_exact(hostile):
    data = assert_reports_valid(hostile["out"])
    strings = set(walk(data))
    assert LABEL in strings  # the finding's subject label, exactly as the APK gave it
    assert f"{SCRIPT} {IMG}" in strings  # the device model, exactly as getprop gave it
    raw = (hostile["out"] / "report.json").read_bytes()
    assert b"\x00" not in raw and b"\x1b" not in raw  # control characters travel as \\uXXXX


def test_summary_is_plain_text(hostile):
    summary = (hostile["out"] / "summary.md").read_text(encoding="utf-8")
    assert "<script" not in summary and "<img" not in summary and "<b>x" not in summary
    assert not any(c in summary for c in ("\x00", "\x1b", "\u202e"))


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_ten_thousand_apps(tmp_path, bundled_signatures):
    profile = {
        "platform": "android", "name": "ten-thousand", "device": {"android_version": "14"},
        "generate": {"ordinary_apps": 10_000},
        "apps": [sideloaded("org.example.labels", label=LABEL)],
    }
    phone = phone_from(profile)
    started = time.monotonic()
    case = scan_phone(phone, tmp_path / "case", bundled_signatures)
    print(f"\n10,000 apps: scan and analysis {time.monotonic() - started:.1f} s")
    assert case.complete
    assert len(case.result.inventory.apps) >= 10_000
    assert len([r for r in shell_requests(phone) if not r.startswith("pm path ")]) <= 20
    assert phone.log.write_attempts() == []
    assert case.result.inventory.app("org.example.labels").label == LABEL
    assert_reports_valid(case.path)
    assert verify_case(case.path).ok
