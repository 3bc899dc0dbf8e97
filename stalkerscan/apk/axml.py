"""Read Android binary XML (AXML), the compiled form of ``AndroidManifest.xml``.

The format (AOSP ``ResourceTypes.h``) is a sequence of chunks, each starting with
``type:u16, header_size:u16, size:u32``: a string pool, a resource map giving
``android:`` attribute names their resource ids, then namespace and element start / end
nodes whose attributes point into the string pool.

Manifests are written by whoever built the APK; stalkerware authors obfuscate them to break
analysis tools (empty attribute names, bogus chunk sizes, odd string encodings). Every offset
is bounds-checked; whatever cannot be read becomes a :class:`ParseProblem` and parsing keeps
what it has. Attribute names are taken from the resource map when they are known
``android:`` attributes, so blanked names in the string pool do not hide them.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field

from stalkerscan.model import ParseProblem, clean_excerpt

ANDROID_NAMESPACE = "http://schemas.android.com/apk/res/android"
"""The ``android:`` attribute namespace URI."""

# Chunk and value types (ResourceTypes.h).
_RES_STRING_POOL_TYPE = 0x0001
_RES_XML_TYPE = 0x0003
_RES_XML_START_NAMESPACE_TYPE = 0x0100
_RES_XML_START_ELEMENT_TYPE = 0x0102
_RES_XML_END_ELEMENT_TYPE = 0x0103
_RES_XML_RESOURCE_MAP_TYPE = 0x0180
_UTF8_FLAG = 0x100
_NO_INDEX = 0xFFFFFFFF

TYPE_REFERENCE = 0x01
TYPE_STRING = 0x03
TYPE_INT_DEC = 0x10
TYPE_INT_HEX = 0x11
TYPE_INT_BOOLEAN = 0x12

KNOWN_ANDROID_ATTRIBUTES = {
    0x01010001: "label",
    0x01010002: "icon",
    0x01010003: "name",
    0x01010006: "permission",
    0x0101000E: "enabled",
    0x01010010: "exported",
    0x01010011: "process",
    0x01010025: "resource",
    0x01010202: "targetActivity",
    0x0101020C: "minSdkVersion",
    0x0101021B: "versionCode",
    0x0101021C: "versionName",
    0x01010270: "targetSdkVersion",
}
"""``android.R.attr`` ids of the attributes stalkerscan reads, by id."""

MAX_ELEMENTS = 100_000
"""Most elements read from one document (a large real manifest has a few thousand)."""

MAX_DEPTH = 128
"""Deepest element nesting read."""

MAX_ATTRIBUTES = 512
"""Most attributes read from one element."""


@dataclass(frozen=True)
class XmlAttribute:
    """One attribute of an element."""

    name: str
    """Local name (from the resource map when it is a known ``android:`` attribute)."""

    namespace: str | None
    """Namespace URI, ``None`` for none."""

    value: str | int | bool | None
    """Typed value: text, integer or boolean; ``None`` for a reference or an unknown type."""

    value_type: int
    """``Res_value`` data type (0x03 string, 0x10 int, 0x12 boolean, 0x01 reference, ...)."""

    reference: int | None = None
    """Resource id when the value is a reference (``@string/app_name``)."""

    resource_id: int | None = None
    """Resource id of the attribute name, from the resource map."""


@dataclass(frozen=True)
class XmlElement:
    """One element with its attributes and children."""

    name: str
    """Tag name, e.g. ``activity``."""

    attributes: tuple[XmlAttribute, ...] = ()
    """Attributes in stored order."""

    children: tuple[XmlElement, ...] = ()
    """Child elements in order."""

    line: int | None = None
    """Source line number recorded by the compiler (untrusted)."""

    def attribute(self, name: str, *, android: bool = True) -> XmlAttribute | None:
        """The first attribute with this local name (in the ``android:`` namespace, or in
        no namespace when ``android`` is false)."""
        for attribute in self.attributes:
            if attribute.name != name:
                continue
            in_android = attribute.namespace == ANDROID_NAMESPACE or (
                attribute.resource_id is not None and attribute.namespace is None
                and attribute.resource_id in KNOWN_ANDROID_ATTRIBUTES
            )
            if in_android == android:
                return attribute
        return None

    def value(self, name: str, *, android: bool = True) -> str | int | bool | None:
        """The typed value of an attribute, or None."""
        attribute = self.attribute(name, android=android)
        return attribute.value if attribute else None

    def iter(self, name: str | None = None) -> list[XmlElement]:
        """This element and all descendants (depth first), optionally only those named."""
        out: list[XmlElement] = []
        stack = [self]
        while stack:
            element = stack.pop()
            if name is None or element.name == name:
                out.append(element)
            stack.extend(reversed(element.children))
        return out


@dataclass(frozen=True)
class AxmlDocument:
    """A parsed binary XML document."""

    root: XmlElement | None
    """The root element, or None when none could be read."""

    problems: tuple[ParseProblem, ...] = ()
    """What could not be read."""


class _StringPool:
    """Lazily decoded, bounds-checked string pool."""

    def __init__(self, data: bytes, start: int, header_size: int, size: int) -> None:
        self._data = data
        self._cache: dict[int, str | None] = {}
        count, _styles, flags, strings_start = struct.unpack_from("<IIII", data, start + 8)
        self.utf8 = bool(flags & _UTF8_FLAG)
        self._end = start + size
        offsets_at = start + header_size
        max_count = max(0, (self._end - offsets_at) // 4)
        self.count = min(count, max_count)
        self.truncated = self.count < count
        self._offsets = struct.unpack_from(f"<{self.count}I", data, offsets_at)
        self._strings_at = start + strings_start

    def get(self, index: int) -> str | None:
        if index == _NO_INDEX or not 0 <= index < self.count:
            return None
        if index not in self._cache:
            self._cache[index] = self._decode(self._strings_at + self._offsets[index])
        return self._cache[index]

    def _decode(self, at: int) -> str | None:
        data, end = self._data, self._end
        try:
            if self.utf8:
                at = self._length8(at)[1]  # UTF-16 length, unused
                length, at = self._length8(at)
                if at + length > end:
                    return None
                return data[at : at + length].decode("utf-8", "replace")
            (length,) = struct.unpack_from("<H", data, at)
            at += 2
            if length & 0x8000:
                (low,) = struct.unpack_from("<H", data, at)
                length = ((length & 0x7FFF) << 16) | low
                at += 2
            if at + 2 * length > end:
                return None
            return data[at : at + 2 * length].decode("utf-16-le", "replace")
        except struct.error:
            return None

    def _length8(self, at: int) -> tuple[int, int]:
        if at >= self._end:
            raise struct.error("past the end")
        first = self._data[at]
        if first & 0x80:
            if at + 1 >= self._end:
                raise struct.error("past the end")
            return ((first & 0x7F) << 8) | self._data[at + 1], at + 2
        return first, at + 1


@dataclass
class _Building:
    name: str
    attributes: tuple[XmlAttribute, ...]
    line: int
    children: list[_Building] = field(default_factory=list)

    def freeze(self) -> XmlElement:
        return XmlElement(
            self.name, self.attributes, tuple(child.freeze() for child in self.children),
            self.line,
        )


def parse_axml(data: bytes, *, source: str = "AndroidManifest.xml") -> AxmlDocument:
    """Parse binary XML. Never raises; problems say what was skipped."""
    problems: list[ParseProblem] = []

    def problem(message: str, excerpt: str = "") -> None:
        problems.append(ParseProblem(source, message, excerpt=clean_excerpt(excerpt)))

    if len(data) < 8:
        problem("Too short to be a binary XML document.")
        return AxmlDocument(None, tuple(problems))
    doc_type, doc_header, doc_size = struct.unpack_from("<HHI", data, 0)
    if data.lstrip()[:1] == b"<":
        problem("The manifest is plain-text XML, not the compiled form Android installs; "
                "it was not read.")
        return AxmlDocument(None, tuple(problems))
    if doc_type != _RES_XML_TYPE:
        problem(f"Unexpected document chunk type 0x{doc_type:04x} (expected 0x0003); "
                "reading on anyway.")
    end = len(data)
    if doc_size != len(data):
        problem(f"Document declares {doc_size} bytes but holds {len(data)}.")
        end = min(max(doc_size, 8), len(data))
    pos = doc_header if 8 <= doc_header <= end else 8

    pool: _StringPool | None = None
    resource_map: tuple[int, ...] = ()
    roots: list[_Building] = []
    stack: list[_Building] = []
    elements = 0

    while pos + 8 <= end:
        chunk_type, header_size, size = struct.unpack_from("<HHI", data, pos)
        if size < 8 or header_size < 8 or header_size > size or pos + size > end:
            problem(f"Chunk at offset {pos} has an impossible size ({size}); the rest of the "
                    "document was not read.")
            break
        try:
            if chunk_type == _RES_STRING_POOL_TYPE:
                if pool is None:
                    if header_size < 28:
                        raise struct.error("string pool header too small")
                    pool = _StringPool(data, pos, header_size, size)
                    if pool.truncated:
                        problem("The string pool declares more strings than it holds.")
            elif chunk_type == _RES_XML_RESOURCE_MAP_TYPE:
                count = (size - header_size) // 4
                resource_map = struct.unpack_from(f"<{count}I", data, pos + header_size)
            elif chunk_type == _RES_XML_START_ELEMENT_TYPE:
                elements += 1
                if elements > MAX_ELEMENTS:
                    problem(f"More than {MAX_ELEMENTS} elements; the rest was not read.")
                    break
                (line,) = struct.unpack_from("<I", data, pos + 8)
                element = _start_element(data, pos, header_size, size, pool, resource_map,
                                         line, problem)
                if len(stack) >= MAX_DEPTH:
                    problem(f"Elements nested deeper than {MAX_DEPTH}; deeper ones were skipped.")
                    stack.append(_Building("", (), line))  # placeholder keeps end tags paired
                    elements -= 1
                else:
                    (stack[-1].children if stack else roots).append(element)
                    stack.append(element)
            elif chunk_type == _RES_XML_END_ELEMENT_TYPE:
                if stack:
                    stack.pop()
                else:
                    problem("An end tag without a start tag was ignored.")
            # Namespace nodes, CDATA and unknown chunks carry nothing we need.
        except struct.error as exc:
            problem(f"Chunk at offset {pos} (type 0x{chunk_type:04x}) is malformed: {exc}.")
        pos += size

    if stack:
        problem("The document ends before all elements are closed (truncated?).")
    if pool is None:
        problem("No string pool: names and text could not be read.")
    real_roots = [r for r in roots if r.name]
    if not real_roots:
        problem("No element could be read.")
        return AxmlDocument(None, tuple(problems))
    if len(real_roots) > 1:
        problem(f"{len(real_roots)} root elements; only the first was used.")
    return AxmlDocument(real_roots[0].freeze(), tuple(problems))


def _start_element(
    data: bytes, pos: int, header_size: int, size: int, pool: _StringPool | None,
    resource_map: tuple[int, ...], line: int, problem: Callable[..., None],
) -> _Building:
    ext = pos + header_size
    _ns, name_index, attr_start, attr_size, attr_count = struct.unpack_from("<IIHHH", data, ext)
    name = (pool.get(name_index) if pool else None) or ""
    if not name:
        problem(f"An element at offset {pos} has no readable name.")
        name = "?"
    if attr_size < 20:
        if attr_count:
            problem(f"Element <{name}> has attributes of impossible size {attr_size}; "
                    "they were skipped.", name)
        return _Building(name, (), line)
    if attr_count > MAX_ATTRIBUTES:
        problem(f"Element <{name}> declares {attr_count} attributes; only {MAX_ATTRIBUTES} "
                "were read.", name)
        attr_count = MAX_ATTRIBUTES
    attributes: list[XmlAttribute] = []
    chunk_end = pos + size
    for number in range(attr_count):
        at = ext + attr_start + number * attr_size
        if at + 20 > chunk_end:
            problem(f"Element <{name}> is cut short; {attr_count - number} attribute(s) "
                    "missing.", name)
            break
        ns_index, attr_name_index, raw_index, _vsize, _res0, dtype, value_data = (
            struct.unpack_from("<IIIHBBI", data, at)
        )
        resource_id = resource_map[attr_name_index] if attr_name_index < len(
            resource_map
        ) else None
        attr_name = KNOWN_ANDROID_ATTRIBUTES.get(resource_id or 0) or (
            (pool.get(attr_name_index) if pool else None) or ""
        )
        namespace = pool.get(ns_index) if pool else None
        raw = pool.get(raw_index) if pool else None
        value: str | int | bool | None
        reference = None
        if dtype == TYPE_STRING:
            value = (pool.get(value_data) if pool else None) or raw
        elif dtype in (TYPE_INT_DEC, TYPE_INT_HEX):
            value = value_data - (1 << 32) if value_data & 0x80000000 else value_data
        elif dtype == TYPE_INT_BOOLEAN:
            value = value_data != 0
        elif dtype == TYPE_REFERENCE:
            value, reference = None, value_data
        else:
            value = raw
        attributes.append(XmlAttribute(attr_name, namespace, value, dtype, reference,
                                       resource_id))
    return _Building(name, tuple(attributes), line)
