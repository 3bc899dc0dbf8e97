"""Load simulated-phone profiles (YAML) safely, with errors that name file, key and line.

A profile describes one phone. The top-level key ``platform`` says which kind::

    platform: android        # or: ios
    name: my-test-phone
    ...

:func:`load_profile` reads a file (or a built-in profile by name), parses it with PyYAML's
safe loader under size and node-count limits, and hands the data to the platform's parser
(:func:`stalkerscan.simulator.android.profile.parse_android_profile` or
``stalkerscan.simulator.ios.profile.parse_ios_profile``). The data those parsers receive is
plain ``dict`` / ``list`` / ``str`` / ``int`` / ``bool`` / ``None``, except that mappings and
lists are :class:`LocatedDict` / :class:`LocatedList`: subclasses that remember the YAML
line of every key and item, so that a parser can say *where* something is wrong
(:class:`ProfileCursor` does the bookkeeping).

The format is documented in ``docs/simulator-profiles.md``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import math
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from stalkerscan.errors import ProfileError

MAX_PROFILE_BYTES = 32 * 1024 * 1024
"""Profiles larger than this are refused (a 10,000-app profile is about 5 MB)."""

MAX_NODES = 5_000_000
"""Refuse YAML that expands to more nodes than this (alias bombs)."""

BUILTIN_PACKAGE = "stalkerscan.simulator.profiles"

MAX_LATENCY_MS = 600_000
"""Longest delay before each answer a profile may ask for (ten minutes)."""

_ADVICE = "Fix the profile (format: docs/simulator-profiles.md) and try again."


# --------------------------------------------------------------------------- located data
class LocatedDict(dict):
    """A ``dict`` that remembers the YAML line of itself and of each key (1-based)."""

    __slots__ = ("line", "key_lines")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line: int | None = None
        self.key_lines: dict[Any, int] = {}


class LocatedList(list):
    """A ``list`` that remembers the YAML line of itself and of each item (1-based)."""

    __slots__ = ("line", "item_lines")

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.line: int | None = None
        self.item_lines: list[int | None] = []


def line_of(container: Any, key: Any = None) -> int | None:
    """The YAML line of ``container[key]`` (or of the container itself), when known."""
    if isinstance(container, LocatedDict):
        if key is not None and key in container.key_lines:
            return container.key_lines[key]
        return container.line
    if isinstance(container, LocatedList):
        if isinstance(key, int) and 0 <= key < len(container.item_lines):
            return container.item_lines[key] or container.line
        return container.line
    return None


# --------------------------------------------------------------------------- cursor
class ProfileCursor:
    """A position in a profile: the source name, the key path and the YAML line.

    Parsers walk the data with cursors and raise :meth:`error` when something is wrong, so
    every message reads ``FILE:LINE: apps[12].permissions.granted[0]: <problem>``.
    """

    __slots__ = ("source", "path", "line")

    def __init__(self, source: str, path: str = "", line: int | None = None) -> None:
        self.source = source
        self.path = path
        self.line = line

    def key(self, container: Any, key: str) -> ProfileCursor:
        """The cursor of ``container[key]``."""
        path = f"{self.path}.{key}" if self.path else str(key)
        return ProfileCursor(self.source, path, line_of(container, key) or self.line)

    def item(self, container: Any, index: int) -> ProfileCursor:
        """The cursor of ``container[index]``."""
        return ProfileCursor(self.source, f"{self.path}[{index}]",
                             line_of(container, index) or self.line)

    def error(self, problem: str, advice: str | None = None) -> ProfileError:
        """A :class:`ProfileError` naming file, line, key path and ``problem``."""
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        what = f"{self.path}: {problem}" if self.path else problem
        return ProfileError(f"{where}: {what}", advice or _ADVICE)

    # ------------------------------------------------------------------ typed reads
    def mapping(self, value: Any) -> Mapping[str, Any]:
        """``value`` as a mapping with string keys, or an error."""
        if value is None:
            return LocatedDict()
        if not isinstance(value, dict):
            raise self.error(f"expected a mapping (key: value), got {_kind(value)}")
        for key in value:
            if not isinstance(key, str):
                raise self.error(f"keys must be text, got {key!r}")
        return value

    def sequence(self, value: Any) -> list[Any]:
        """``value`` as a list, or an error."""
        if value is None:
            return LocatedList()
        if not isinstance(value, list):
            raise self.error(f"expected a list, got {_kind(value)}")
        return value

    def text(self, value: Any, *, allow_empty: bool = True) -> str:
        """``value`` as text (numbers are accepted and converted), or an error."""
        if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
            raise self.error(f"expected text, got {_kind(value)}")
        if isinstance(value, (_dt.date, _dt.datetime)):
            return value.isoformat()
        text = str(value)
        if not allow_empty and not text:
            raise self.error("must not be empty")
        return text

    def integer(self, value: Any, *, minimum: int | None = None,
                maximum: int | None = None) -> int:
        """``value`` as an integer within bounds, or an error."""
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, str) and value.strip().lstrip("-").isdigit():
                value = int(value.strip())
            else:
                raise self.error(f"expected a whole number, got {_kind(value)}")
        if minimum is not None and value < minimum:
            raise self.error(f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise self.error(f"must be at most {maximum}, got {value}")
        return value

    def number(self, value: Any, *, minimum: float | None = None,
               maximum: float | None = None) -> float:
        """``value`` as a finite number within bounds, or an error (YAML's ``.inf`` and
        ``.nan`` are numbers to PyYAML, and would make a delay endless)."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(f"expected a number, got {_kind(value)}")
        if not math.isfinite(value):
            raise self.error(f"expected a finite number, got {value}")
        if minimum is not None and value < minimum:
            raise self.error(f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise self.error(f"must be at most {maximum}, got {value}")
        return float(value)

    def boolean(self, value: Any) -> bool:
        """``value`` as true/false, or an error."""
        if not isinstance(value, bool):
            raise self.error(f"expected true or false, got {_kind(value)}")
        return value

    def timezone(self, value: Any) -> str:
        """``value`` as an IANA time zone name the system knows, or an error."""
        name = self.text(value, allow_empty=False)
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise self.error(f"{name!r} is not a time zone name (an IANA name like "
                             "Europe/London)") from exc
        return name

    def choice(self, value: Any, choices: tuple[str, ...]) -> str:
        """``value`` as one of ``choices``, or an error listing them."""
        text = self.text(value)
        if text not in choices:
            raise self.error(f"{text!r} is not one of: {', '.join(choices)}")
        return text

    def no_unknown_keys(self, mapping: Mapping[str, Any], known: frozenset[str] | set[str]) -> None:
        """Refuse keys that are not part of the format (usually typos)."""
        for key in mapping:
            if key not in known:
                hint = _closest(key, known)
                raise self.key(mapping, key).error(
                    f"unknown key {key!r}" + (f" (did you mean {hint!r}?)" if hint else ""),
                    "Remove or correct the key; the accepted keys are listed in "
                    "docs/simulator-profiles.md.",
                )


# --------------------------------------------------------------------------- shared parts
def parse_wire_faults(cursor: ProfileCursor, mapping: Mapping[str, Any]) -> dict[str, Any]:
    """The faults both kinds of simulated phone put on the wire, from a ``faults:`` mapping:
    ``latency_ms`` (up to :data:`MAX_LATENCY_MS`), ``disconnect_after`` (a request count, or
    null for never), ``fragment`` and ``slow_bytes_per_second`` (0 for off). Only the keys
    present are returned, as changes for :func:`dataclasses.replace`."""
    changes: dict[str, Any] = {}
    if "latency_ms" in mapping:
        changes["latency_ms"] = cursor.key(mapping, "latency_ms").number(
            mapping["latency_ms"], minimum=0, maximum=MAX_LATENCY_MS)
    if "disconnect_after" in mapping:
        value = mapping["disconnect_after"]
        changes["disconnect_after"] = (None if value is None else cursor.key(
            mapping, "disconnect_after").integer(value, minimum=0))
    for key in ("fragment", "slow_bytes_per_second"):
        if key in mapping:
            changes[key] = cursor.key(mapping, key).integer(mapping[key], minimum=0)
    return changes


def stable_int(*parts: object) -> int:
    """A 64-bit number derived from ``parts``, the same on every run and machine (for the
    defaults a profile leaves out: serials, dates, generated apps)."""
    text = "\x1f".join(str(p) for p in parts)
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big")


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a true/false value ({value})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"text ({shown!r})"
    return type(value).__name__


def _closest(key: str, known: frozenset[str] | set[str]) -> str | None:
    import difflib

    matches = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.75)
    return matches[0] if matches else None


# --------------------------------------------------------------------------- YAML
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str | bytes, source: str) -> Any:
    """Parse YAML safely into located plain data. Errors name ``source`` and the line."""
    if isinstance(text, bytes):
        if len(text) > MAX_PROFILE_BYTES:
            raise _too_big(source, len(text))
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProfileError(
                f"{source}: the file is not UTF-8 text (byte {exc.start})",
                "Save the profile as UTF-8. To put invalid bytes into the phone's output, "
                "write them as \\udcXX escapes inside double quotes.",
            ) from exc
    if len(text) > MAX_PROFILE_BYTES:
        raise _too_big(source, len(text))
    # libyaml refuses surrogate escapes (\udcXX), which profiles use for raw bytes; the
    # pure-Python parser accepts them, so use it when the text has any.
    loader = yaml.SafeLoader if "\\ud" in text.lower() else _Loader
    try:
        node = yaml.compose(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise ProfileError(f"{where}: not valid YAML: {problem}", _ADVICE) from exc
    if node is None:
        return None
    return _Builder(source).build(node)


def _too_big(source: str, size: int) -> ProfileError:
    return ProfileError(
        f"{source}: the profile is {size:,} bytes; the limit is {MAX_PROFILE_BYTES:,}",
        "Use a generator (generate: {ordinary_apps: N}) instead of listing every app.",
    )


class _Builder:
    """Turns a composed YAML node tree into located plain data, with a node budget."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.budget = MAX_NODES
        self.constructor = yaml.constructor.SafeConstructor()

    def build(self, node: yaml.Node) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise ProfileError(
                f"{self.source}: the profile expands to more than {MAX_NODES:,} values "
                "(too many aliases?)", _ADVICE)
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            out = LocatedDict()
            out.line = line
            self.constructor.flatten_mapping(node)
            for key_node, value_node in node.value:
                key = self.build(key_node)
                if isinstance(key, (dict, list)):
                    raise ProfileError(f"{self.source}:{key_node.start_mark.line + 1}: "
                                       "a key must be text, not a mapping or list", _ADVICE)
                if key in out:
                    raise ProfileError(f"{self.source}:{key_node.start_mark.line + 1}: "
                                       f"key {key!r} appears twice", _ADVICE)
                out[key] = self.build(value_node)
                out.key_lines[key] = key_node.start_mark.line + 1
            return out
        if isinstance(node, yaml.SequenceNode):
            seq = LocatedList()
            seq.line = line
            for item in node.value:
                seq.append(self.build(item))
                seq.item_lines.append(item.start_mark.line + 1)
            return seq
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            raise ProfileError(f"{self.source}:{line}: {exc}", _ADVICE) from exc


# --------------------------------------------------------------------------- loading
def builtin_profiles() -> dict[str, Path]:
    """Built-in profiles shipped with stalkerscan: name (file stem) to path."""
    found: dict[str, Path] = {}
    root = resources.files(BUILTIN_PACKAGE)
    for entry in root.iterdir():
        if entry.name.endswith((".yaml", ".yml")) and entry.is_file():
            found[entry.name.rsplit(".", 1)[0]] = Path(str(entry))
    return dict(sorted(found.items()))


def load_profile(path_or_name: str | Path) -> Any:
    """Load a profile from a file path, or a built-in profile by name.

    Returns an :class:`~stalkerscan.simulator.android.profile.AndroidProfile` or the iOS
    parser's profile object. Raises :class:`~stalkerscan.errors.ProfileError` naming the
    file, line, key path and problem when the profile is not usable.
    """
    path = _resolve(path_or_name)
    source = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_PROFILE_BYTES:
            raise _too_big(source, size)
        raw = path.read_bytes()
    except OSError as exc:
        raise ProfileError(f"{source}: cannot read the profile: {exc.strerror or exc}",
                           "Check the path and the file's permissions.") from exc
    data = parse_yaml(raw, source)
    return parse_profile_data(data, source=source)


def parse_profile_data(data: Any, *, source: str) -> Any:
    """Dispatch already-parsed profile data on its ``platform`` key."""
    root = ProfileCursor(source)
    mapping = root.mapping(data)
    if "platform" not in mapping:
        raise root.error("missing the top-level key 'platform' (android or ios)")
    platform = root.key(mapping, "platform").choice(mapping["platform"], ("android", "ios"))
    if platform == "android":
        from stalkerscan.simulator.android.profile import parse_android_profile

        return parse_android_profile(mapping, source=source)
    try:
        from stalkerscan.simulator.ios.profile import parse_ios_profile
    except ImportError as exc:  # the iOS simulator ships separately in this checkout
        raise ProfileError(f"{source}: iOS profiles are not available in this installation",
                           "Install the complete stalkerscan package.") from exc
    return parse_ios_profile(mapping, source=source)


def _resolve(path_or_name: str | Path) -> Path:
    candidate = Path(path_or_name)
    if candidate.exists():
        return candidate
    name = str(path_or_name)
    builtins = builtin_profiles()
    if name in builtins:
        return builtins[name]
    stem = name.rsplit(".", 1)[0] if name.endswith((".yaml", ".yml")) else name
    if stem in builtins:
        return builtins[stem]
    known = ", ".join(builtins) or "none"
    raise ProfileError(f"{name}: no such profile file or built-in profile",
                       f"Give a path to a YAML file, or one of the built-in profiles: {known}.")
