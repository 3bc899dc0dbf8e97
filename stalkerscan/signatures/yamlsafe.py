"""Loading YAML safely: strings only, no tags, no anchors, bounded size, with line numbers.

Signature files come from the internet and from contributors. The loader:

- refuses files over a size limit before parsing;
- composes the document with PyYAML's *base* resolver (libyaml when available), so every
  scalar stays a string (``1.0``, ``no`` and ``0x12`` are not turned into numbers or
  booleans; Echap's own loader keeps strings too) and no constructor ever runs;
- refuses explicit tags (``!!python/object``, ``!!binary``...) and anchors/aliases (the
  "billion laughs" bomb and its cousins), duplicate keys, non-string keys;
- caps nesting depth and the number of nodes;
- records the line of every value so that later checks can say where a problem is.

Errors are :class:`~stalkerscan.errors.SignatureError` with ``location`` = ``file:line``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from stalkerscan.errors import SignatureError

try:  # libyaml is 10x faster; the pure-Python parser gives the same nodes.
    _Loader: type = yaml.CBaseLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.BaseLoader

MAX_YAML_BYTES = 8 * 1024 * 1024
"""Largest signature YAML accepted (Echap's ioc.yaml is under 100 kB)."""

MAX_NODES = 500_000
"""Most YAML nodes in one document."""

MAX_DEPTH = 24
"""Deepest nesting accepted."""

_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"

Path_ = tuple[Any, ...]


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML document with the line of each value."""

    data: Any
    """Strings, lists and dicts only."""

    source: str
    """File name used in messages."""

    lines: Mapping[Path_, int] = field(default_factory=dict)
    """1-based line of each value, by path (keys and list indices)."""

    def line(self, path: Path_) -> int | None:
        """Line of the value at ``path``, or of its nearest parent."""
        probe = tuple(path)
        while True:
            if probe in self.lines:
                return self.lines[probe]
            if not probe:
                return None
            probe = probe[:-1]

    def where(self, path: Path_) -> str:
        """``file:line`` for ``path``."""
        line = self.line(path)
        return f"{self.source}:{line}" if line is not None else self.source


def _located(source: str, mark: Any) -> str:
    return f"{source}:{mark.line + 1}" if mark is not None else source


def load_yaml(data: bytes | str, source: str, *, max_bytes: int = MAX_YAML_BYTES) -> YamlDocument:
    """Parse one YAML document safely. Raises :class:`SignatureError` with a location."""
    size = len(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
    if size > max_bytes:
        raise SignatureError(
            f"file is {size:,} bytes, over the {max_bytes:,}-byte limit for signature YAML",
            advice="Split the file, or check that it is really a signature file.",
            location=source,
        )
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise SignatureError(
                "file is not valid UTF-8 text", advice="Save the file as UTF-8.",
                location=f"{source}:{line}") from exc
    else:
        text = data
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "malformed YAML"
        raise SignatureError(
            f"YAML syntax error: {problem}", advice="Fix the YAML syntax at this line.",
            location=_located(source, mark)) from exc
    except yaml.YAMLError as exc:
        raise SignatureError(f"YAML error: {exc}", location=source) from exc
    except RecursionError as exc:
        raise SignatureError(
            "YAML nesting is too deep", advice="Signature files are a few levels deep at most.",
            location=source) from exc
    if node is None:
        return YamlDocument(None, source, {})
    lines: dict[Path_, int] = {}
    walker = _Walker(source, lines, text)
    value = walker.walk(node, (), 0)
    return YamlDocument(value, source, lines)


class _Walker:
    """Turns composed nodes into plain values, enforcing the safety rules."""

    def __init__(self, source: str, lines: dict[Path_, int], text: str) -> None:
        self.source = source
        self.text = text
        self.lines = lines
        self.seen: set[int] = set()
        self.count = 0

    def fail(self, message: str, node: Any, advice: str | None = None,
             mark: Any = None) -> SignatureError:
        return SignatureError(message, advice=advice,
                              location=_located(self.source, mark or node.start_mark))

    def _first_alias_mark(self) -> Any:
        try:
            for event in yaml.parse(self.text, Loader=_Loader):
                if isinstance(event, yaml.AliasEvent):
                    return event.start_mark
        except yaml.YAMLError:  # pragma: no cover - the text already composed once
            return None
        return None

    def walk(self, node: Any, path: Path_, depth: int) -> Any:
        if id(node) in self.seen:
            # PyYAML hands back the anchored node itself for every alias, so the node's mark
            # is the anchor's; find the first alias in the event stream to name its line.
            raise self.fail("YAML anchors and aliases (&name / *name) are not allowed in "
                            "signature files", node,
                            advice="Write each value out in full; aliases can be abused to "
                                   "make a small file expand into an enormous one.",
                            mark=self._first_alias_mark())
        self.seen.add(id(node))
        self.count += 1
        if self.count > MAX_NODES:
            raise self.fail(f"document has more than {MAX_NODES:,} values", node)
        if depth > MAX_DEPTH:
            raise self.fail(f"YAML nesting deeper than {MAX_DEPTH} levels", node)
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.ScalarNode):
            if node.tag != _STR:
                raise self.fail(f"explicit YAML tag {node.tag!r} is not allowed", node,
                                advice="Remove the tag; every value is read as text.")
            return node.value
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                raise self.fail(f"explicit YAML tag {node.tag!r} is not allowed", node)
            return [self.walk(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            if node.tag != _MAP:
                raise self.fail(f"explicit YAML tag {node.tag!r} is not allowed", node)
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _STR:
                    raise self.fail("mapping keys must be plain text", key_node)
                key = key_node.value
                if key in result:
                    raise self.fail(f"key {key!r} appears twice in the same mapping", key_node,
                                    advice="Merge the two entries into one.")
                result[key] = self.walk(value_node, (*path, key), depth + 1)
            return result
        raise self.fail("unsupported YAML node", node)  # pragma: no cover
