"""The custody log: an append-only, hash-chained record of everything done to a case.

One JSON object per line. Each line carries ``prev``, the SHA-256 of the previous line's bytes
(the first line's ``prev`` is 64 zeros), so editing, inserting or deleting any earlier line
breaks the chain and ``verify`` names the first broken line. Manifests record the chain head
when they are written, so cutting lines off the end is caught too.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from stalkerscan.errors import CaseWriteError
from stalkerscan.model.case import CustodyEntry
from stalkerscan.preserve.clock import iso_utc

GENESIS = "0" * 64
FILE_NAME = "custody.log"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def line_hash(line: bytes) -> str:
    """SHA-256 of one line's bytes, without its newline."""
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()


@dataclass(frozen=True)
class ChainState:
    """Where the chain stands: how many lines and the hash of the last one."""

    lines: int
    """Number of lines."""

    head: str
    """SHA-256 of the last line (``GENESIS`` when empty)."""


@dataclass(frozen=True)
class ChainProblem:
    """A place where the custody log does not hold together."""

    line: int
    """1-based line number."""

    message: str
    """What is wrong."""


class CustodyLog:
    """Append to and read a case's ``custody.log``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._state: ChainState | None = None

    def state(self) -> ChainState:
        """The current chain state, read from disk on first use."""
        if self._state is None:
            head, count = GENESIS, 0
            for raw in self._lines():
                head, count = line_hash(raw), count + 1
            self._state = ChainState(count, head)
        return self._state

    def append(self, event: str, details: Mapping[str, object] | None = None) -> CustodyEntry:
        """Append one event; flushed and synced to disk before returning."""
        state = self.state()
        entry = {
            "seq": state.lines + 1,
            "time_utc": iso_utc(),
            "event": event,
            "details": dict(details or {}),
            "prev": state.head,
        }
        line = json.dumps(entry, sort_keys=True, ensure_ascii=True, default=str).encode()
        try:
            # Never through a link: a tampered case must not make us append to another file.
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NOFOLLOW, 0o600)
            try:
                os.write(fd, line + b"\n")
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise CaseWriteError(
                f"Could not write to the custody log {self.path}: {exc.strerror or exc}",
                "Check that the disk is not full and the case folder is writable.",
            ) from exc
        self._state = ChainState(state.lines + 1, line_hash(line))
        return CustodyEntry(entry["time_utc"], event, entry["details"])

    def entries(self) -> list[CustodyEntry]:
        """Every readable entry, oldest first (unreadable lines are skipped; see ``check``)."""
        result = []
        for raw in self._lines():
            try:
                data = json.loads(raw)
                result.append(CustodyEntry(str(data["time_utc"]), str(data["event"]),
                                           dict(data.get("details") or {})))
            except (ValueError, KeyError, TypeError):
                continue
        return result

    def check(self) -> tuple[ChainState, list[ChainProblem]]:
        """Walk the chain; return its state and every break found."""
        problems: list[ChainProblem] = []
        head, count = GENESIS, 0
        for number, raw in enumerate(self._lines(), start=1):
            count = number
            try:
                data = json.loads(raw)
                prev = data["prev"]
                seq = data["seq"]
            except (ValueError, KeyError, TypeError):
                problems.append(ChainProblem(number, "line is not a custody entry"))
                head = line_hash(raw)
                continue
            if prev != head:
                problems.append(ChainProblem(number, "chain broken: the line before it was changed, added or removed"))
            if seq != number:
                problems.append(ChainProblem(number, f"sequence number {seq} where {number} was expected"))
            head = line_hash(raw)
        return ChainState(count, head), problems

    def _lines(self) -> list[bytes]:
        try:
            mode = self.path.lstat().st_mode
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise self._unusable(exc.strerror or str(exc)) from exc
        if not stat.S_ISREG(mode):
            # A link could point anywhere (a FIFO or /dev/zero would never end).
            raise self._unusable("it is not a regular file (a link, FIFO or device)")
        return [raw for raw in self.path.read_bytes().splitlines() if raw.strip()]

    def _unusable(self, why: str) -> CaseWriteError:
        return CaseWriteError(
            f"The custody log {self.path} cannot be used: {why}.",
            "The case folder has been changed by something other than stalkerscan; run "
            "`stalkerscan verify` on it and keep it as it is.",
        )
