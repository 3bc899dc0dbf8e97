"""The case folder's disk fills up or turns read-only in the middle of a scan.

Failures are injected where stalkerscan writes: ``os.open`` / ``os.write`` on paths inside the
case folder (the custody log) and the handles ``CaseFolder._open_exclusive`` returns (raw
answers, request records, reports, manifest). ``ENOSPC`` fails writes (files can still be
created, as on a full disk); ``EROFS`` fails creating files and writing. Either the fault
persists from a chosen write on (the disk stays full), or hits that one write only.
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from android_scan_helpers import phone_from, scan_phone
from fault_helpers import (
    assert_incomplete_case,
    assert_nothing_read_is_lost,
    assert_plain,
    audited_writes,
    records_of,
    small_profile,
    tree,
)

from stalkerscan import api
from stalkerscan.errors import EXIT_INCOMPLETE, CaseWriteError
from stalkerscan.model.artifacts import Outcome
from stalkerscan.preserve.case import CaseFolder
from stalkerscan.preserve.verify import verify_case

pytestmark = pytest.mark.timeout(60)

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND


class _FaultyHandle:
    """A case file handle whose writes go through the disk fault."""

    def __init__(self, handle, disk: DiskFault, rel: str) -> None:
        self._handle = handle
        self._disk = disk
        self._rel = rel

    def write(self, data: bytes) -> int:
        self._disk.check(self._rel, "write")
        return self._handle.write(data)

    def __getattr__(self, name: str):
        return getattr(self._handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()


class DiskFault:
    """Makes writes into ``root`` fail with ``error`` from the write ``starts(rel, n)``
    picks (``n`` counts writes to that file, from 1)."""

    def __init__(self, root: Path, error: int, starts: Callable[[str, int], bool], *,
                 transient: bool = False) -> None:
        self.root = os.path.realpath(root)
        self.error = error
        self.starts = starts
        self.transient = transient
        self.failing = False
        self.fired = False
        self.failed: list[str] = []
        self._counts: dict[str, int] = {}

    def _relative(self, path: str) -> str | None:
        real = os.path.realpath(path)
        if real.startswith(self.root + os.sep):
            return os.path.relpath(real, self.root)
        return None

    def check(self, rel: str, op: str) -> None:
        if op == "open" and self.error != errno.EROFS:
            return  # a full disk still lets a file be created
        self._counts[rel] = count = self._counts.get(rel, 0) + 1
        if not self.fired and self.starts(rel, count):
            self.fired = self.failing = True
        if self.failing:
            self.failed.append(rel)
            if self.transient:
                self.failing = False
            raise OSError(self.error, os.strerror(self.error), str(Path(self.root) / rel))

    def install(self, monkeypatch: pytest.MonkeyPatch) -> DiskFault:
        real_write, real_open = os.write, os.open
        real_open_exclusive = CaseFolder._open_exclusive
        disk = self

        def write(fd, data):
            rel = disk._relative(os.readlink(f"/proc/self/fd/{fd}")) if fd > 2 else None
            if rel is not None:
                disk.check(rel, "write")
            return real_write(fd, data)

        def open_(path, flags, mode=0o777, *, dir_fd=None):
            rel = disk._relative(os.fsdecode(path)) if isinstance(path, (str, bytes, os.PathLike)) else None
            if rel is not None and flags & _WRITE_FLAGS:
                disk.check(rel, "open")
            return real_open(path, flags, mode, dir_fd=dir_fd)

        def open_exclusive(case, relpath):
            return _FaultyHandle(real_open_exclusive(case, relpath), disk, relpath)

        monkeypatch.setattr(os, "write", write)
        monkeypatch.setattr(os, "open", open_)
        monkeypatch.setattr(CaseFolder, "_open_exclusive", open_exclusive)
        return self


def nth_write_to(suffix: str, n: int = 1) -> Callable[[str, int], bool]:
    return lambda rel, count: rel.endswith(suffix) and count == n


def bigger_profile():
    # dumpsys package of about 58 KB: two shell packets, so two writes to its file.
    return small_profile(generate={"ordinary_apps": 20, "system_apps": False})


def scan_with_disk_fault(tmp_path, signatures, phone, error, starts, *, transient=False):
    out = tmp_path / "case"
    before = tree(tmp_path)
    # Its own monkeypatch: leaving it gives the disk room again, and leaves the isolated
    # HOME of the autouse fixture in place.
    with pytest.MonkeyPatch.context() as patch, audited_writes() as audit:
        disk = DiskFault(out, error, starts, transient=transient).install(patch)
        case = scan_phone(phone, out, signatures)
    assert disk.fired, "the fault never triggered"
    # Nothing was written anywhere but the case folder and the signature cache (compiled YARA
    # rules); the simulated phone writes nothing.
    assert audit.outside(out, Path(os.environ["XDG_CACHE_HOME"]) / "stalkerscan") == []
    assert tree(tmp_path, skip=out) == before
    return case, disk


@pytest.mark.parametrize(("error", "starts", "partial"), [
    # The disk fills up in the middle of the answer to `dumpsys package`: the first of its
    # two packets is on disk, the second is not.
    (errno.ENOSPC, nth_write_to("dumpsys_package.stdout", 2), ["raw/0014-dumpsys_package.stdout"]),
    # It fills up as the custody log is about to record the request for `settings list
    # global` (line 15: two lines for the case, two per request): nothing was sent.
    (errno.ENOSPC, nth_write_to("custody.log", 15), []),
    # It fills up as the custody log records that answer's hash (line 16): the answer and its
    # request record are on disk, their hashes are not.
    (errno.ENOSPC, nth_write_to("custody.log", 16),
     ["raw/0007-settings_global.request.json", "raw/0007-settings_global.stdout"]),
    # The folder turns read-only just as the answer to `settings list secure` arrives (its
    # file cannot even be created).
    (errno.EROFS, nth_write_to("settings_secure.stdout", 1), []),
], ids=["full-mid-answer", "full-before-a-request", "full-after-an-answer", "read-only"])
def test_disk_fails_for_good_mid_scan(tmp_path, bundled_signatures, error, starts, partial):
    phone = phone_from(bigger_profile())
    case, disk = scan_with_disk_fault(tmp_path, bundled_signatures, phone, error, starts)
    # A clear message, the documented exit code, and the case kept as far as it got.
    assert isinstance(case.error, CaseWriteError)
    assert_plain(case.error.message)
    assert os.strerror(error) in case.error.message
    assert_plain(case.error.advice)
    assert "disk" in case.error.advice
    assert case.exit_code == EXIT_INCOMPLETE and not case.complete
    assert not (case.path / "acquisition.json").exists()  # nothing more could be written
    records = assert_nothing_read_is_lost(case.path, phone)
    assert records and all(r.outcome is Outcome.OK for r in records)
    report = verify_case(case.path)
    assert report.ok, report
    assert not report.sealed
    # What reached the disk before it filled up is kept; its hash could not be recorded,
    # and verify says so rather than calling the file planted.
    assert list(report.partial) == partial
    if "dumpsys" in str(partial):
        assert (case.path / partial[0]).stat().st_size == 32 * 1024
    # Space freed: analyze closes the case as incomplete, seals it, and it still verifies.
    again = api.analyze(case.path, signatures=bundled_signatures)
    assert again.exit_code == EXIT_INCOMPLETE
    acquisition = json.loads((case.path / "acquisition.json").read_text())
    assert acquisition["complete"] is False
    assert_plain(acquisition["incomplete_reason"])
    report = verify_case(case.path)
    assert report.ok and report.sealed, report
    assert phone.log.write_attempts() == []


def test_one_failed_write_ends_the_scan_as_incomplete(tmp_path, bundled_signatures):
    # A single write fails (a quota hit for a moment): the scan stops there, and the case is
    # closed as incomplete with the reason, analysed and sealed like any other fault.
    phone = phone_from(bigger_profile())
    case, _ = scan_with_disk_fault(tmp_path, bundled_signatures, phone, errno.ENOSPC,
                                   nth_write_to("dumpsys_package.stdout", 2), transient=True)
    assert isinstance(case.error, CaseWriteError)
    records = assert_incomplete_case(case, phone, interrupted="dumpsys_package",
                                     reason_contains="No space left on device")
    assert (case.path / records[-1].files["stdout"]).stat().st_size == 32 * 1024


def test_disk_full_while_writing_the_report(tmp_path, bundled_signatures):
    # Everything was read; the disk fills up as the report is written. The evidence is
    # complete and verifiable; the scan still ends with a clear error and exit code 4.
    phone = phone_from(small_profile())
    case, _ = scan_with_disk_fault(tmp_path, bundled_signatures, phone, errno.ENOSPC,
                                   nth_write_to("report.html"))
    assert isinstance(case.error, CaseWriteError) and "report.html" in case.error.message
    assert case.exit_code == EXIT_INCOMPLETE
    acquisition = json.loads((case.path / "acquisition.json").read_text())
    assert acquisition["complete"] is True
    assert [r.name for r in records_of(case.path)][-1] == "apk"
    assert_nothing_read_is_lost(case.path, phone)
    assert verify_case(case.path).ok
    again = api.analyze(case.path, signatures=bundled_signatures)
    assert again.complete and (again.analysis_dir / "report.html").is_file()
    assert verify_case(case.path).ok
    assert phone.log.write_attempts() == []


@pytest.mark.timeout(90)
def test_iphone_disk_full_while_writing_the_report(tmp_path, bundled_signatures):
    # The same promise on an iPhone: everything was read; the disk fills up as the report is
    # written; the case is kept, verifiable, and the scan ends with exit code 4, not an error.
    from stalkerscan.simulator.ios.phone import SimulatedIPhone
    from stalkerscan.simulator.ios.run import running_usbmuxd

    phone = SimulatedIPhone.load("ios-clean")
    out = tmp_path / "case"
    with pytest.MonkeyPatch.context() as patch, running_usbmuxd([phone]) as address:
        disk = DiskFault(out, errno.ENOSPC, nth_write_to("report.html")).install(patch)
        case = api.scan(out, platform="ios", usbmux_address=address, signatures=bundled_signatures,
                        wait_seconds=5)
    assert disk.fired
    assert isinstance(case.error, CaseWriteError) and "report.html" in case.error.message
    assert case.exit_code == EXIT_INCOMPLETE and case.result is None
    acquisition = json.loads((out / "acquisition.json").read_text())
    assert acquisition["complete"] is True
    assert verify_case(out).ok
    again = api.analyze(out, signatures=bundled_signatures)
    assert again.complete and (again.analysis_dir / "report.html").is_file()
    assert phone.log.write_attempts() == []
