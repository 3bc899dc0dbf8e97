"""A whole scan, re-analysis and re-render of the infected simulated phone, watched:

- every case folder is 0700 and every case file 0600, including ``analyses/`` and what
  ``report`` and ``analyze`` add;
- nothing is written anywhere but the case folder and the signature data / cache folders;
- no connection leaves loopback and no name is looked up (no telemetry, no DNS lookup of
  anything a phone said);
- the phone received no request outside the read-only allowlist.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import stat
import sys
from pathlib import Path

import pytest

from stalkerscan import api
from stalkerscan.simulator.android.phone import SimulatedAndroidPhone
from stalkerscan.simulator.android.run import running_host_server
from stalkerscan.simulator.profile import load_profile

posix_only = pytest.mark.skipif(sys.platform.startswith("win"), reason="POSIX permissions")


def _loopback(host: object) -> bool:
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


class NetworkWatch:
    """Records every outgoing connection and name lookup made through the socket module."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.connects: list[object] = []
        self.lookups: list[object] = []
        real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
        real_getaddrinfo, real_gethostbyname = socket.getaddrinfo, socket.gethostbyname
        watch = self

        def connect(sock, address):
            watch.connects.append(address)
            return real_connect(sock, address)

        def connect_ex(sock, address):
            watch.connects.append(address)
            return real_connect_ex(sock, address)

        def getaddrinfo(host, *args, **kwargs):
            watch.lookups.append(host)
            return real_getaddrinfo(host, *args, **kwargs)

        def gethostbyname(host):
            watch.lookups.append(host)
            return real_gethostbyname(host)

        monkeypatch.setattr(socket.socket, "connect", connect)
        monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(socket, "gethostbyname", gethostbyname)

    def off_loopback(self) -> list[object]:
        bad = [a for a in self.connects if isinstance(a, tuple) and not _loopback(a[0])]
        bad += [h for h in self.lookups if h is not None and not _loopback(h)]
        return bad


def _tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


@pytest.fixture(scope="module")
def scanned(tmp_path_factory, bundled_signatures):
    """One scan of the infected phone, then `analyze` and `report` on its case."""
    monkeypatch = pytest.MonkeyPatch()
    work = tmp_path_factory.mktemp("work")
    home = tmp_path_factory.mktemp("home")
    for name, value in (("HOME", home), ("XDG_DATA_HOME", home / "data"),
                        ("XDG_CACHE_HOME", home / "cache")):
        monkeypatch.setenv(name, str(value))
    monkeypatch.chdir(work)
    watch = NetworkWatch(monkeypatch)
    phone = SimulatedAndroidPhone.from_profile(load_profile("android-infected"))
    out = work / "case"
    try:
        with running_host_server([phone]) as address:
            case = api.scan(out, platform="android", adb_host=address.host, adb_port=address.port,
                            signatures=bundled_signatures, wait_seconds=2.0,
                            examiner="<b>Sam</b>", case_id="C-1")
        analysed = api.analyze(out, signatures=bundled_signatures)
        rendered = api.report(out, formats=("html", "json", "md"))
    finally:
        monkeypatch.undo()
    return {"case": case, "analysed": analysed, "rendered": rendered, "phone": phone,
            "watch": watch, "work": work, "home": home, "out": out}


@pytest.mark.timeout(300)
def test_the_scan_found_the_planted_stalkerware(scanned):
    case = scanned["case"]
    assert case.result is not None and case.complete
    assert case.exit_code == 1  # findings
    assert any((scanned["out"] / "apks").rglob("*.apk"))  # APKs were pulled, so pulls are covered


@posix_only
@pytest.mark.timeout(300)
def test_case_folders_are_0700_and_files_0600(scanned):
    out = scanned["out"]
    assert scanned["analysed"].analysis_dir.parent == out / "analyses"
    assert scanned["rendered"] and all(p.is_relative_to(out / "analyses") for p in scanned["rendered"])
    wrong = []
    for path in [out, *out.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        if path.is_symlink():
            wrong.append(f"{path} is a link")
        elif (path.is_dir() and mode != 0o700) or (path.is_file() and mode != 0o600):
            wrong.append(f"{path} {oct(mode)}")
    assert wrong == []
    names = {p.name for p in out.rglob("*")}
    assert {"report.html", "report.json", "summary.md", "manifest.json", "custody.log"} <= names


@posix_only
@pytest.mark.timeout(300)
def test_nothing_is_written_outside_the_case_and_the_signature_folders(scanned):
    assert {p for p in _tree(scanned["work"]) if p != "case" and not p.startswith("case/")} == set()
    outside_home = {p for p in _tree(scanned["home"]) if p.split("/")[0] not in ("data", "cache")}
    assert outside_home == set()
    # The compiled YARA set cached for next time is private to this user.
    cached = [p for p in (scanned["home"] / "cache").rglob("*") if p.is_file()]
    assert cached, "no YARA cache was written: the scan did not exercise it"
    for path in cached:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700, path.parent


@pytest.mark.timeout(300)
def test_nothing_leaves_loopback(scanned):
    watch = scanned["watch"]
    assert watch.connects, "the watch saw no connection at all: it is not watching"
    assert watch.off_loopback() == []


@pytest.mark.timeout(300)
def test_the_phone_received_only_reads(scanned):
    phone = scanned["phone"]
    assert phone.log.count() > 10
    assert phone.log.write_attempts() == []


@pytest.mark.timeout(300)
def test_verify_passes_on_the_whole_case(scanned):
    report = api.verify(scanned["out"])
    assert report.ok, report
    assert os.path.exists(scanned["out"] / "manifest.json")
