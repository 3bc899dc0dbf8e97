"""Helpers for the fault matrix and the hostile phone: what every faulted scan must show.

The end-to-end helpers (``phone_from``, ``scan_phone``, ``served``) live in
``tests/scan/android_scan_helpers.py`` and are reused from there (conftest.py puts that
folder on the import path).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stalkerscan.errors import EXIT_INCOMPLETE
from stalkerscan.model.artifacts import Outcome, RawRecord
from stalkerscan.preserve.case import CaseFolder
from stalkerscan.preserve.verify import verify_case

# A phone small enough that a scan takes well under a second, with one sideloaded app (so
# the default APK policy pulls exactly one APK: `pm path` then one sync RECV).
SIDELOADED = "org.example.sideloaded"


def small_profile(**extra: Any) -> dict[str, Any]:
    """A tiny Android 11 phone: a few store apps and one app installed over adb."""
    profile: dict[str, Any] = {
        "platform": "android",
        "name": "fault-phone",
        "device": {"android_version": "11"},
        "generate": {"ordinary_apps": 5, "system_apps": False},
        "apps": [{"package": SIDELOADED, "label": "Helper", "installer": "com.android.shell",
                  "launcher": False}],
    }
    profile.update(extra)
    return profile


# --------------------------------------------------------------------------- plain words
# What a message a clinic volunteer reads must never look like: a Python repr, a traceback,
# an errno tuple, a bytes literal.
_NOT_PLAIN = re.compile(
    r"Traceback|\bb'|\bb\"|\\x[0-9a-f]{2}|<class |\[Errno|Error\(|Exception\(|"
    r"\bNone\b|object at 0x|RuntimeError|OSError|KeyboardInterrupt"
)


def assert_plain(text: str | None) -> None:
    """``text`` is a non-empty sentence in plain words (no repr, traceback or errno)."""
    assert text, "expected a message"
    assert not _NOT_PLAIN.search(text), f"not plain words: {text!r}"
    assert text[0].isupper(), f"should read as a sentence: {text!r}"


# --------------------------------------------------------------------------- case checks
def records_of(case_path: Path) -> list[RawRecord]:
    """The request records of a case folder, in order."""
    return CaseFolder.open(case_path).records()


def acquisition_of(case_path: Path) -> dict[str, Any]:
    """``acquisition.json``."""
    return json.loads((case_path / "acquisition.json").read_text())


def expected_answer(phone: Any, record: RawRecord) -> bytes | None:
    """What the simulated phone sends for a record's request (None for the clock, which
    changes every second)."""
    if record.channel == "adb-sync":
        return phone.read_file(record.request.removeprefix("RECV "))
    if record.name in ("clock_start", "clock_end"):
        return None
    return phone.run_shell(record.request).stdout


def assert_nothing_read_is_lost(case_path: Path, phone: Any) -> list[RawRecord]:
    """Every finished record holds the phone's whole answer byte for byte; an interrupted one
    holds a prefix of it (the bytes that arrived). Returns the records."""
    folder = CaseFolder.open(case_path)
    records = folder.records()
    for record in records:
        expected = expected_answer(phone, record)
        stream = "data" if record.channel == "adb-sync" else "stdout"
        kept = folder.read(record, stream)
        if expected is None:
            continue
        if record.outcome is Outcome.OK:
            assert kept == expected, f"{record.name}: the answer kept differs from what was sent"
        elif record.outcome is Outcome.INTERRUPTED:
            assert expected.startswith(kept), f"{record.name}: partial bytes are not a prefix"
    return records


def assert_incomplete_case(case: Any, phone: Any, *, reason_contains: str | None = None,
                           interrupted: str | None = None) -> list[RawRecord]:
    """The promises of every fault: plain message, incomplete, nothing lost, verifiable,
    exit code 4, only reads sent. ``interrupted`` names the artifact whose request was cut."""
    assert not case.complete
    assert case.exit_code == EXIT_INCOMPLETE
    acquisition = acquisition_of(case.path)
    assert acquisition["complete"] is False
    assert_plain(acquisition["incomplete_reason"])
    if reason_contains is not None:
        assert reason_contains in acquisition["incomplete_reason"]
    if case.error is not None:
        assert_plain(case.error.message)
        if case.error.advice is not None:
            assert_plain(case.error.advice)
    records = assert_nothing_read_is_lost(case.path, phone)
    if interrupted is not None:
        assert records, "no record was kept"
        assert records[-1].name == interrupted
        assert records[-1].outcome is Outcome.INTERRUPTED
        assert_plain(records[-1].error)
        assert all(r.outcome is not Outcome.INTERRUPTED for r in records[:-1])
    report = verify_case(case.path)
    assert report.ok, report
    assert report.sealed
    assert case.result is not None and case.result.info.complete is False
    # The reports say so too, with the reason.
    json_report = assert_reports_valid(case.analysis_dir)
    assert json_report["case"]["complete"] is False
    assert json_report["case"]["incomplete_reason"] == acquisition["incomplete_reason"]
    assert "incomplete" in (case.analysis_dir / "report.html").read_text(encoding="utf-8").lower()
    assert phone.log.write_attempts() == []
    return records


# --------------------------------------------------------------------------- reports
_REPORT_SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "report-schema.json"


def assert_reports_valid(analysis_dir: Path) -> dict[str, Any]:
    """``report.json`` validates against docs/report-schema.json; ``report.html`` exists.
    Returns the JSON report."""
    import jsonschema

    schema = json.loads(_REPORT_SCHEMA.read_text())
    data = json.loads((analysis_dir / "report.json").read_bytes())
    jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)
    assert (analysis_dir / "report.html").stat().st_size > 0
    return data


# --------------------------------------------------------------------------- writes audit
@dataclass
class WriteAudit:
    """Every file opened for writing by this process while active (``sys.addaudithook``)."""

    paths: list[str] = field(default_factory=list)
    active: bool = False

    def outside(self, *allowed: Path) -> list[str]:
        """Written paths not under any of ``allowed``."""
        roots = [os.path.realpath(p) for p in allowed]
        found = []
        for path in self.paths:
            real = os.path.realpath(path)
            if not any(real == root or real.startswith(root + os.sep) for root in roots):
                found.append(path)
        return found


_AUDIT = WriteAudit()
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _audit_hook(event: str, args: tuple[Any, ...]) -> None:
    if not _AUDIT.active or event != "open":
        return
    path, mode, flags = args
    if isinstance(path, int) or path is None:
        return  # an already open descriptor
    writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
        mode is None and isinstance(flags, int) and flags & _WRITE_FLAGS)
    if writes:
        _AUDIT.paths.append(os.fsdecode(path))


_hook_installed = False


@contextlib.contextmanager
def audited_writes() -> Iterator[WriteAudit]:
    """Record every file this process opens for writing inside the ``with`` block."""
    global _hook_installed
    if not _hook_installed:  # audit hooks cannot be removed: install one, switch it on and off
        sys.addaudithook(_audit_hook)
        _hook_installed = True
    _AUDIT.paths = []
    _AUDIT.active = True
    try:
        yield _AUDIT
    finally:
        _AUDIT.active = False


def tree(root: Path, *, skip: Path | None = None) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` (except under ``skip``) with its size and mtime."""
    found = {}
    for path in sorted(root.rglob("*")):
        if skip is not None and (path == skip or skip in path.parents):
            continue
        if path.is_file():
            stat = path.stat()
            found[str(path.relative_to(root))] = (stat.st_size, stat.st_mtime_ns)
    return found


# --------------------------------------------------------------------------- a cutting proxy
class CuttingProxy:
    """A TCP proxy in front of the simulated adb server that cuts one answer short.

    The connection whose request (what the client sent) contains ``trigger`` is closed after
    ``after_bytes`` bytes of answer have been passed on: ``how="fin"`` closes it cleanly (the
    reader sees the end of the stream, as when an adb server drops a phone), ``"rst"`` resets
    it. Everything else passes through untouched.
    """

    def __init__(self, upstream: tuple[str, int], trigger: bytes, after_bytes: int,
                 how: str = "fin") -> None:
        self.upstream = upstream
        self.trigger = trigger
        self.after_bytes = after_bytes
        self.how = how
        self.cut = threading.Event()
        self._listener = self._listen()
        self._listener.settimeout(0.2)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept_loop, daemon=True)

    @staticmethod
    def _listen() -> socket.socket:
        # Loopback only, and never on 5555-5585 (the adb server adopts anything there).
        from stalkerscan.simulator.android.run import EMULATOR_PORTS

        while True:
            listener = socket.create_server(("127.0.0.1", 0))
            if listener.getsockname()[1] not in EMULATOR_PORTS:
                return listener
            listener.close()

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    def __enter__(self) -> CuttingProxy:
        self._accepter.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._accepter.join(5)
        for thread in self._threads:
            thread.join(5)
        self._listener.close()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._pump, args=(client,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _pump(self, client: socket.socket) -> None:
        server = socket.create_connection(self.upstream)
        sent_up = bytearray()
        passed_down = 0
        armed = False
        watched = [client, server]
        try:
            while not self._stop.is_set():
                readable, _, _ = select.select(watched, [], [], 0.1)
                if client in readable:
                    data = client.recv(65536)
                    if data:
                        sent_up += data
                        server.sendall(data)
                        armed = armed or (self.trigger in sent_up and not self.cut.is_set())
                    else:  # the client finished sending: pass that on, keep answering
                        server.shutdown(socket.SHUT_WR)
                        watched.remove(client)
                if server in readable:
                    data = server.recv(65536)
                    if not data:
                        return
                    if armed and passed_down + len(data) >= self.after_bytes:
                        client.sendall(data[:self.after_bytes - passed_down])
                        self.cut.set()
                        self._close_client(client)
                        return
                    client.sendall(data)
                    passed_down += len(data)
        except OSError:
            return
        finally:
            with contextlib.suppress(OSError):
                server.close()
            with contextlib.suppress(OSError):
                client.close()

    def _close_client(self, client: socket.socket) -> None:
        if self.how == "rst":
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        else:
            client.shutdown(socket.SHUT_RDWR)
        client.close()


def scan_through(port: int, out: Path, signatures: Any, **kwargs: Any) -> Any:
    """``api.scan`` against an adb server (or proxy) on ``127.0.0.1:port``."""
    from stalkerscan import api

    return api.scan(out, platform="android", adb_host="127.0.0.1", adb_port=port,
                    signatures=signatures, wait_seconds=kwargs.pop("wait_seconds", 2.0), **kwargs)


# --------------------------------------------------------------------------- progress hooks
class StepHook:
    """A :class:`~stalkerscan.acquire.progress.Progress` that runs an action as a step begins.

    ``actions`` maps the start of a step's description to what to do (each runs once)."""

    def __init__(self, actions: dict[str, Callable[[], None]]) -> None:
        self.actions = dict(actions)
        self.fired: list[str] = []
        self.steps: list[str] = []
        self.warnings: list[str] = []

    def start(self, total: int) -> None:
        pass

    def step(self, description: str) -> None:
        self.steps.append(description)
        for when, action in list(self.actions.items()):
            if description.startswith(when):
                del self.actions[when]
                self.fired.append(when)
                action()

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def done(self) -> None:
        pass
