"""Shared helpers for the iOS parsers: framed plist streams, safe plist loading, typed getters.

Live acquisitions keep each lockdown or service answer as it came off the wire: a
``response`` stream of *frames*, each a 4-byte big-endian length followed by that many bytes
holding one plist (XML or binary) exactly as the phone sent it. A stream cut short (cable
pulled mid-answer) ends with an incomplete frame, which is reported and not parsed.
"""

from __future__ import annotations

import base64
import datetime
import math
import plistlib
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stalkerscan.parse._problems import MAX_TEXT
from stalkerscan.parse._problems import ProblemLog as ProblemLog

FRAME_HEADER = 4
"""Bytes of the big-endian length before each plist in a ``response`` stream."""


@dataclass(frozen=True)
class Frame:
    """One plist as it was received."""

    index: int
    """0-based position in the stream."""

    offset: int
    """Byte offset of the frame's length header in the stream."""

    payload: bytes
    """The plist bytes (without the length header)."""


def split_frames(data: bytes, log: ProblemLog) -> list[Frame]:
    """The complete frames of a ``response`` stream; a cut-off last frame is reported."""
    frames: list[Frame] = []
    offset = 0
    data = bytes(data)
    while offset < len(data):
        if len(data) - offset < FRAME_HEADER:
            log.add(f"The answer ends with {len(data) - offset} stray bytes (it was cut off)",
                    excerpt=data[offset:].hex())
            break
        (size,) = struct.unpack(">I", data[offset:offset + FRAME_HEADER])
        start = offset + FRAME_HEADER
        if start + size > len(data):
            log.add(f"The last answer was cut off: {len(data) - start} of {size} bytes arrived; "
                    "it was not used", excerpt=data[start:start + 80].decode("utf-8", "replace"))
            break
        frames.append(Frame(len(frames), offset, data[start:start + size]))
        offset = start + size
    return frames


def load_plist(payload: bytes, log: ProblemLog, what: str) -> Any:
    """A plist's content, or ``None`` (with a problem) when it cannot be read."""
    try:
        return plistlib.loads(bytes(payload))
    except RecursionError:
        log.add(f"{what} is nested too deeply to read")
    except Exception as exc:  # plistlib raises many types on bad input; none may escape
        log.add(f"{what} is not a readable property list ({type(exc).__name__})",
                excerpt=bytes(payload[:120]).decode("utf-8", "replace"))
    return None


def load_dict(payload: bytes, log: ProblemLog, what: str) -> dict[str, Any] | None:
    """A plist whose root must be a dictionary, or ``None`` (with a problem)."""
    value = load_plist(payload, log, what)
    if value is None:
        return None
    if not isinstance(value, dict):
        log.add(f"{what} is a {type(value).__name__}, not a dictionary")
        return None
    return value


def single_answer(data: bytes, log: ProblemLog, what: str,
                  no_answer: str = "The phone sent no answer") -> dict[str, Any] | None:
    """The dictionary a one-answer ``response`` stream holds (its first frame), or ``None``
    with a problem: nothing arrived, the answer was cut off, or it is not a dictionary."""
    frames = split_frames(data, log)
    if not frames:
        if not log:
            log.add(no_answer)
        return None
    if len(frames) > 1:
        log.add(f"Expected one answer, found {len(frames)}; the first is used")
    return load_dict(frames[0].payload, log, what)


def text(value: Any) -> str | None:
    """A device string, bounded; ``None`` for anything that is not a non-empty string."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value:
        return None
    return value if len(value) <= MAX_TEXT else value[:MAX_TEXT]


def flag(value: Any) -> bool | None:
    """A boolean as plists and lockdown write them (bool, 0/1, ``"true"``), else ``None``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "1", "false", "no", "0"):
        return value.strip().lower() in ("true", "yes", "1")
    return None


def integer(value: Any) -> int | None:
    """An integer (not a bool), or a string of one, else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value) < 24:
        return int(value)
    return None


def number(value: Any) -> float | None:
    """A finite real number, else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None


def json_safe(value: Any, *, depth: int = 0, budget: list[int] | None = None) -> Any:
    """A JSON-ready copy of plist data: bytes as base64, dates as ISO text, bounded in size.

    Entitlements and similar device-supplied trees end up in ``inventory.json``; this keeps
    them serialisable and stops a hostile tree from growing the report without limit.
    """
    budget = budget if budget is not None else [20000]
    budget[0] -= 1
    if budget[0] < 0 or depth > 16:
        return "\N{HORIZONTAL ELLIPSIS}"
    if value is None or isinstance(value, (bool, int, str)):
        return value if not isinstance(value, str) else value[:MAX_TEXT]
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (bytes, bytearray)):
        return {"base64": base64.b64encode(bytes(value[:4096])).decode()}
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, plistlib.UID):
        return {"uid": value.data}
    if isinstance(value, Mapping):
        return {str(k)[:256]: json_safe(v, depth=depth + 1, budget=budget) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v, depth=depth + 1, budget=budget) for v in value]
    return str(value)[:MAX_TEXT]
