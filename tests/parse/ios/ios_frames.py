"""Helpers for iOS parser tests: answers framed as lockdownd and the services send them."""

from __future__ import annotations

import plistlib
import struct
from typing import Any

from stalkerscan.model.artifacts import MemoryEvidence, Outcome, RawRecord


def frame(answer: Any, *, binary: bool = False) -> bytes:
    """One plist with its 4-byte big-endian length, as on the wire."""
    body = plistlib.dumps(answer, fmt=plistlib.FMT_BINARY if binary else plistlib.FMT_XML)
    return struct.pack(">I", len(body)) + body


def frames(*answers: Any) -> bytes:
    """Several answers, one after another in one stream."""
    return b"".join(frame(a) for a in answers)


def add(evidence: MemoryEvidence, name: str, data: bytes, *, outcome: Outcome = Outcome.OK,
        subject: str | None = None) -> RawRecord:
    """A live iPhone record with its ``response`` stream."""
    return evidence.add(name, data, platform="ios", stream="response", outcome=outcome,
                        subject=subject, exit_code=None)
