"""Build real, signed APKs for simulated phones and tests.

An APK built here is a genuine Android package as far as stalkerscan (and Google's
``apksigner verify``) can tell:

* ``AndroidManifest.xml`` is binary XML (AXML): string pool, resource map, namespace and
  element chunks, with the package, version, permissions, launcher activity and the
  accessibility / device-admin / notification-listener components asked for.
* ``classes.dex`` is a small but structurally valid DEX (header with adler32 checksum and
  SHA-1 signature, string ids, string data, map list) holding ``dex_strings``, so YARA rules
  over DEX files see what they would see in a real app.
* The archive is signed with a bundled simulator key (``keys/``) with any of the v1 JAR
  signature, APK Signature Scheme v2 and v3.

Everything is deterministic: the same :class:`ApkSpec` always gives the same bytes (fixed zip
timestamps, no signing-time attribute, RSA PKCS#1 v1.5 signatures).

The simulator keys are public test keys: a certificate from them is never evidence of
anything (see ``keys/README.md``).
"""

from __future__ import annotations

import base64
import hashlib
import io
import random
import struct
import threading
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from types import MappingProxyType

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7

__all__ = [
    "ApkSpec",
    "build_apk",
    "build_dex",
    "build_manifest_axml",
    "build_native_lib",
    "signer_certificate_der",
    "signer_names",
]

SCHEMES = ("v1", "v2", "v3")
"""Signature schemes :func:`build_apk` can apply."""

# Fixed zip timestamp (the earliest a zip can hold), so builds are reproducible.
_ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class ApkSpec:
    """What to put in a simulated APK. Hashable: equal specs build equal bytes."""

    package: str
    """The package name written to the manifest (``package=`` attribute)."""

    label: str | None = None
    """``<application android:label>`` as a raw string; ``None`` leaves it out."""

    version_code: int = 1
    """``android:versionCode``."""

    version_name: str = "1.0"
    """``android:versionName``."""

    permissions: tuple[str, ...] = ()
    """``<uses-permission android:name>`` entries, in order."""

    launcher_activity: str | None = ".MainActivity"
    """Activity with a MAIN/LAUNCHER intent filter; ``None`` = no launcher icon."""

    accessibility_services: tuple[str, ...] = ()
    """Service class names guarded by ``BIND_ACCESSIBILITY_SERVICE``."""

    device_admin_receivers: tuple[str, ...] = ()
    """Receiver class names guarded by ``BIND_DEVICE_ADMIN``."""

    notification_listeners: tuple[str, ...] = ()
    """Service class names guarded by ``BIND_NOTIFICATION_LISTENER_SERVICE``."""

    dex_strings: tuple[str, ...] = ()
    """Strings placed in ``classes.dex`` (string_ids table), e.g. for YARA tests."""

    native_libs: Mapping[str, bytes] = field(default_factory=dict)
    """Native libraries by entry name, e.g. ``{"lib/arm64-v8a/libx.so": elf_bytes}``."""

    extra_entries: Mapping[str, bytes] = field(default_factory=dict)
    """Raw extra zip entries (deflated), by entry name."""

    signer: str = "sim-developer-1"
    """Name of a bundled simulator key (see :func:`signer_names`)."""

    schemes: tuple[str, ...] = ("v1", "v2")
    """Signature schemes to apply: any of ``v1``, ``v2``, ``v3``."""

    padding_bytes: int = 0
    """Size of a deterministic, incompressible stored asset to reach a realistic APK size."""

    def __post_init__(self) -> None:
        # Copy the mappings into read-only views so a spec cannot change after it was hashed.
        object.__setattr__(self, "native_libs", MappingProxyType(dict(self.native_libs)))
        object.__setattr__(self, "extra_entries", MappingProxyType(dict(self.extra_entries)))
        unknown = [s for s in self.schemes if s not in SCHEMES]
        if unknown:
            raise ValueError(f"unknown signature scheme(s) {unknown}; use any of {SCHEMES}")
        if self.padding_bytes < 0:
            raise ValueError("padding_bytes must be >= 0")

    def __hash__(self) -> int:
        return hash(
            (
                self.package, self.label, self.version_code, self.version_name,
                self.permissions, self.launcher_activity, self.accessibility_services,
                self.device_admin_receivers, self.notification_listeners, self.dex_strings,
                tuple(sorted(self.native_libs.items())),
                tuple(sorted(self.extra_entries.items())),
                self.signer, self.schemes, self.padding_bytes,
            )
        )


# =========================================================================== keys
@dataclass(frozen=True)
class _Signer:
    name: str
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    certificate_der: bytes
    public_key_der: bytes


def _keys_dir() -> resources.abc.Traversable:
    return resources.files("stalkerscan.simulator") / "keys"


@lru_cache(maxsize=1)
def signer_names() -> tuple[str, ...]:
    """Names of the bundled simulator keys, sorted (e.g. ``sim-developer-1``)."""
    suffix = ".cert.pem"
    return tuple(
        sorted(p.name[: -len(suffix)] for p in _keys_dir().iterdir() if p.name.endswith(suffix))
    )


@cache
def _signer(name: str) -> _Signer:
    if name not in signer_names():
        raise ValueError(f"unknown simulator signer {name!r}; bundled: {', '.join(signer_names())}")
    base = _keys_dir()
    key = serialization.load_pem_private_key(
        (base / f"{name}.key.pem").read_bytes(), password=None
    )
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"simulator key {name!r} is not an RSA key")
    cert = x509.load_pem_x509_certificate((base / f"{name}.cert.pem").read_bytes())
    return _Signer(
        name=name,
        key=key,
        certificate=cert,
        certificate_der=cert.public_bytes(serialization.Encoding.DER),
        public_key_der=cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
    )


def signer_certificate_der(signer: str) -> bytes:
    """The DER X.509 certificate of a bundled simulator key."""
    return _signer(signer).certificate_der


# =========================================================================== AXML
# Chunk types and value types from AOSP's ResourceTypes.h.
_RES_STRING_POOL_TYPE = 0x0001
_RES_XML_TYPE = 0x0003
_RES_XML_START_NAMESPACE_TYPE = 0x0100
_RES_XML_END_NAMESPACE_TYPE = 0x0101
_RES_XML_START_ELEMENT_TYPE = 0x0102
_RES_XML_END_ELEMENT_TYPE = 0x0103
_RES_XML_RESOURCE_MAP_TYPE = 0x0180
_UTF8_FLAG = 0x100
_TYPE_REFERENCE = 0x01
_TYPE_STRING = 0x03
_TYPE_INT_DEC = 0x10
_TYPE_INT_BOOLEAN = 0x12
_NO_INDEX = 0xFFFFFFFF

_ANDROID_NS = "http://schemas.android.com/apk/res/android"
# android.R.attr ids, in id order (the resource map requires a fixed id per name).
_ANDROID_ATTR_IDS = {
    "label": 0x01010001,
    "name": 0x01010003,
    "permission": 0x01010006,
    "exported": 0x01010010,
    "resource": 0x01010025,
    "minSdkVersion": 0x0101020C,
    "versionCode": 0x0101021B,
    "versionName": 0x0101021C,
    "targetSdkVersion": 0x01010270,
}


@dataclass(frozen=True)
class _Ref:
    """A resource reference value (``@0x7f...``)."""

    res_id: int


_AttrValue = str | int | bool | _Ref


@dataclass
class _Element:
    name: str
    attrs: list[tuple[bool, str, _AttrValue]]  # (android namespace?, name, value)
    children: list[_Element] = field(default_factory=list)


def _intent_filter(action: str, category: str | None = None) -> _Element:
    children = [_Element("action", [(True, "name", action)])]
    if category:
        children.append(_Element("category", [(True, "name", category)]))
    return _Element("intent-filter", [], children)


def _manifest_tree(spec: ApkSpec) -> _Element:
    if "v1" in spec.schemes:
        min_sdk = 21
    elif "v2" in spec.schemes:
        min_sdk = 24  # v2 is verified from Android 7.0
    else:
        min_sdk = 28  # v3 from Android 9
    app_attrs: list[tuple[bool, str, _AttrValue]] = []
    if spec.label is not None:
        app_attrs.append((True, "label", spec.label))
    application = _Element("application", app_attrs)
    if spec.launcher_activity is not None:
        application.children.append(
            _Element(
                "activity",
                [(True, "name", spec.launcher_activity), (True, "exported", True)],
                [_intent_filter("android.intent.action.MAIN", "android.intent.category.LAUNCHER")],
            )
        )
    for name in spec.accessibility_services:
        application.children.append(
            _Element(
                "service",
                [
                    (True, "name", name),
                    (True, "permission", "android.permission.BIND_ACCESSIBILITY_SERVICE"),
                    (True, "exported", True),
                ],
                [
                    _intent_filter("android.accessibilityservice.AccessibilityService"),
                    _Element(
                        "meta-data",
                        [
                            (True, "name", "android.accessibilityservice"),
                            (True, "resource", _Ref(0x7F0F0000)),
                        ],
                    ),
                ],
            )
        )
    for name in spec.device_admin_receivers:
        application.children.append(
            _Element(
                "receiver",
                [
                    (True, "name", name),
                    (True, "permission", "android.permission.BIND_DEVICE_ADMIN"),
                    (True, "exported", True),
                ],
                [
                    _Element(
                        "meta-data",
                        [
                            (True, "name", "android.app.device_admin"),
                            (True, "resource", _Ref(0x7F0F0001)),
                        ],
                    ),
                    _intent_filter("android.app.action.DEVICE_ADMIN_ENABLED"),
                ],
            )
        )
    for name in spec.notification_listeners:
        application.children.append(
            _Element(
                "service",
                [
                    (True, "name", name),
                    (True, "permission", "android.permission.BIND_NOTIFICATION_LISTENER_SERVICE"),
                    (True, "exported", True),
                ],
                [_intent_filter("android.service.notification.NotificationListenerService")],
            )
        )
    # Android 11 (API 30) refuses v1-only APKs that target it, so v1-only APKs target 29.
    target_sdk = 34 if ("v2" in spec.schemes or "v3" in spec.schemes) else 29
    children = [
        _Element(
            "uses-sdk",
            [(True, "minSdkVersion", min_sdk), (True, "targetSdkVersion", target_sdk)],
        )
    ]
    children += [_Element("uses-permission", [(True, "name", p)]) for p in spec.permissions]
    children.append(application)
    return _Element(
        "manifest",
        [
            (True, "versionCode", spec.version_code),
            (True, "versionName", spec.version_name),
            (False, "package", spec.package),
        ],
        children,
    )


class _StringPool:
    """Collects strings; attribute names with resource ids come first, as the map needs."""

    def __init__(self, attr_names: Iterable[str]) -> None:
        self.strings: list[str] = []
        self._index: dict[str, int] = {}
        for name in attr_names:
            self.add(name)

    def add(self, text: str) -> int:
        if text not in self._index:
            self._index[text] = len(self.strings)
            self.strings.append(text)
        return self._index[text]

    def encode(self, *, utf8: bool) -> bytes:
        offsets: list[int] = []
        data = bytearray()
        for text in self.strings:
            offsets.append(len(data))
            data += _encode_pool_string(text, utf8=utf8)
        while len(data) % 4:
            data.append(0)
        header_size = 28
        strings_start = header_size + 4 * len(offsets)
        size = strings_start + len(data)
        header = struct.pack(
            "<HHIIIIII",
            _RES_STRING_POOL_TYPE, header_size, size,
            len(offsets), 0, _UTF8_FLAG if utf8 else 0, strings_start, 0,
        )
        return header + struct.pack(f"<{len(offsets)}I", *offsets) + bytes(data)


def _encode_length8(value: int) -> bytes:
    if value > 0x7FFF:
        raise ValueError("string too long for a UTF-8 string pool")
    return bytes([value]) if value < 0x80 else bytes([0x80 | (value >> 8), value & 0xFF])


def _encode_pool_string(text: str, *, utf8: bool) -> bytes:
    utf16 = text.encode("utf-16-le", "surrogatepass")
    units = len(utf16) // 2
    if utf8:
        raw = text.encode("utf-8", "surrogatepass")
        return _encode_length8(units) + _encode_length8(len(raw)) + raw + b"\x00"
    if units > 0x7FFF:
        prefix = struct.pack("<HH", 0x8000 | (units >> 16), units & 0xFFFF)
    else:
        prefix = struct.pack("<H", units)
    return prefix + utf16 + b"\x00\x00"


def build_manifest_axml(spec: ApkSpec, *, utf8: bool = False) -> bytes:
    """The binary ``AndroidManifest.xml`` for ``spec`` (UTF-16 string pool unless ``utf8``)."""
    tree = _manifest_tree(spec)
    used_attrs: list[str] = []

    def collect(element: _Element) -> None:
        for in_android, name, _ in element.attrs:
            if in_android and name not in used_attrs:
                used_attrs.append(name)
        for child in element.children:
            collect(child)

    collect(tree)
    # The resource map gives ids to the first N pool strings; keep them in id order.
    attr_names = sorted(used_attrs, key=lambda n: _ANDROID_ATTR_IDS[n])
    pool = _StringPool(attr_names)
    prefix_idx = pool.add("android")
    uri_idx = pool.add(_ANDROID_NS)
    body = bytearray()
    line = 1

    def node(chunk_type: int, ext: bytes) -> bytes:
        nonlocal line
        out = struct.pack("<HHIII", chunk_type, 16, 16 + len(ext), line, _NO_INDEX) + ext
        line += 1
        return out

    def attribute(in_android: bool, name: str, value: _AttrValue) -> tuple[int, bytes]:
        ns = uri_idx if in_android else _NO_INDEX
        name_idx = pool.add(name)
        if isinstance(value, bool):
            raw, dtype, data = _NO_INDEX, _TYPE_INT_BOOLEAN, 0xFFFFFFFF if value else 0
        elif isinstance(value, int):
            raw, dtype, data = _NO_INDEX, _TYPE_INT_DEC, value & 0xFFFFFFFF
        elif isinstance(value, _Ref):
            raw, dtype, data = _NO_INDEX, _TYPE_REFERENCE, value.res_id
        else:
            raw = pool.add(value)
            dtype, data = _TYPE_STRING, raw
        sort_key = _ANDROID_ATTR_IDS.get(name, 0xFFFFFFFF) if in_android else 0xFFFFFFFF
        return sort_key, struct.pack("<IIIHBBI", ns, name_idx, raw, 8, 0, dtype, data)

    def emit(element: _Element) -> None:
        name_idx = pool.add(element.name)
        # Like aapt, attributes with resource ids come first, in id order.
        attrs = sorted((attribute(*a) for a in element.attrs), key=lambda item: item[0])
        ext = struct.pack(
            "<IIHHHHHH", _NO_INDEX, name_idx, 0x14, 0x14, len(attrs), 0, 0, 0
        ) + b"".join(a for _, a in attrs)
        body.extend(node(_RES_XML_START_ELEMENT_TYPE, ext))
        for child in element.children:
            emit(child)
        body.extend(node(_RES_XML_END_ELEMENT_TYPE, struct.pack("<II", _NO_INDEX, name_idx)))

    ns_ext = struct.pack("<II", prefix_idx, uri_idx)
    body.extend(node(_RES_XML_START_NAMESPACE_TYPE, ns_ext))
    emit(tree)
    body.extend(node(_RES_XML_END_NAMESPACE_TYPE, ns_ext))

    ids = [_ANDROID_ATTR_IDS[n] for n in attr_names]
    res_map = struct.pack("<HHI", _RES_XML_RESOURCE_MAP_TYPE, 8, 8 + 4 * len(ids))
    res_map += struct.pack(f"<{len(ids)}I", *ids)
    content = pool.encode(utf8=utf8) + res_map + bytes(body)
    return struct.pack("<HHI", _RES_XML_TYPE, 8, 8 + len(content)) + content


# =========================================================================== DEX
def _mutf8(text: str) -> bytes:
    """Modified UTF-8 as DEX stores it: NUL as C0 80, supplementary chars as surrogates."""
    out = bytearray()
    utf16 = text.encode("utf-16-le", "surrogatepass")
    for (unit,) in struct.iter_unpack("<H", utf16):
        if 0 < unit < 0x80:
            out.append(unit)
        elif unit < 0x800:
            out += bytes([0xC0 | (unit >> 6), 0x80 | (unit & 0x3F)])
        else:
            out += bytes([0xE0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3F), 0x80 | (unit & 0x3F)])
    return bytes(out)


def _uleb128(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _utf16_key(text: str) -> bytes:
    # DEX sorts string_ids by UTF-16 code unit values: big-endian UTF-16 compares that way.
    return text.encode("utf-16-be", "surrogatepass")


def build_dex(strings: Iterable[str], *, code: bytes = b"") -> bytes:
    """A minimal, structurally valid DEX (version 035) whose string table holds ``strings``.

    The header carries the real file size, adler32 checksum and SHA-1 signature; the map
    list describes the header, string ids and string data. ``code`` is raw bytes stored as
    the file's *link data* (a section whose format the DEX spec leaves open), e.g. a bytecode
    sequence a YARA hex rule looks for.
    """
    unique = sorted(set(strings), key=_utf16_key)
    header_size = 0x70
    string_ids_off = header_size
    data_off = string_ids_off + 4 * len(unique)
    data = bytearray()
    offsets: list[int] = []
    for text in unique:
        offsets.append(data_off + len(data))
        units = len(text.encode("utf-16-le", "surrogatepass")) // 2
        data += _uleb128(units) + _mutf8(text) + b"\x00"
    while len(data) % 4:
        data.append(0)
    map_off = data_off + len(data)
    map_items = [(0x0000, 1, 0), (0x0001, len(unique), string_ids_off)]
    if unique:
        map_items.append((0x2002, len(unique), data_off))
    map_items.append((0x1000, 1, map_off))
    data += struct.pack("<I", len(map_items))
    for type_code, count, offset in map_items:
        data += struct.pack("<HHII", type_code, 0, count, offset)
    data_size = len(data)
    link_off = data_off + data_size if code else 0
    file_size = data_off + data_size + len(code)
    header = bytearray(header_size)
    header[0:8] = b"dex\n035\x00"
    struct.pack_into(
        "<20I", header, 32,
        file_size, header_size, 0x12345678,
        len(code), link_off,
        map_off,
        len(unique), string_ids_off if unique else 0,
        0, 0,  # type_ids
        0, 0,  # proto_ids
        0, 0,  # field_ids
        0, 0,  # method_ids
        0, 0,  # class_defs
        data_size, data_off,
    )
    body = bytes(header) + struct.pack(f"<{len(offsets)}I", *offsets) + bytes(data) + code
    signature = hashlib.sha1(body[32:]).digest()  # noqa: S324 - the DEX format's own checksum
    body = body[:12] + signature + body[32:]
    checksum = zlib.adler32(body[12:]) & 0xFFFFFFFF
    return body[:8] + struct.pack("<I", checksum) + body[12:]


def _class_descriptor(package: str, name: str) -> str:
    fqcn = package + name if name.startswith(".") else name
    return "L" + fqcn.replace(".", "/") + ";"


def _dex_strings(spec: ApkSpec) -> list[str]:
    strings = ["<init>", "V", "Landroid/app/Activity;", "Ljava/lang/Object;"]
    for name in (
        ([spec.launcher_activity] if spec.launcher_activity else [])
        + list(spec.accessibility_services)
        + list(spec.device_admin_receivers)
        + list(spec.notification_listeners)
    ):
        strings.append(_class_descriptor(spec.package, name))
    if spec.accessibility_services:
        strings.append("Landroid/accessibilityservice/AccessibilityService;")
    if spec.device_admin_receivers:
        strings.append("Landroid/app/admin/DeviceAdminReceiver;")
    if spec.notification_listeners:
        strings.append("Landroid/service/notification/NotificationListenerService;")
    return strings + list(spec.dex_strings)


# =========================================================================== ELF
def build_native_lib(strings: Iterable[str], *, machine: int = 0xB7) -> bytes:
    """A minimal ELF64 shared object header followed by NUL-separated ``strings``.

    Enough for YARA rules over native libraries (``uint16(0) == 0x457f``); not loadable.
    ``machine`` defaults to AArch64 (0xB7).
    """
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    header = ident + struct.pack(
        "<HHIQQQIHHHHHH", 3, machine, 1, 0, 0, 0, 0, 64, 56, 0, 64, 0, 0
    )
    blob = b"\x00".join(s.encode("utf-8", "surrogatepass") for s in strings) + b"\x00"
    return header + blob


# =========================================================================== zip
def _zip_info(name: str, compress_type: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE_TIME)
    info.compress_type = compress_type
    info.create_system = 0
    info.external_attr = 0
    return info


def _write_zip(entries: list[tuple[str, bytes, int]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data, compress_type in entries:
            archive.writestr(_zip_info(name, compress_type), data, compress_type=compress_type)
    return buffer.getvalue()


# =========================================================================== v1 (JAR) signing
def _manifest_line(text: str) -> bytes:
    """One manifest header line wrapped at 72 bytes with continuation lines (JAR spec)."""
    raw = text.encode("utf-8")
    lines = [raw[:72]]
    rest = raw[72:]
    while rest:
        lines.append(b" " + rest[:71])
        rest = rest[71:]
    return b"".join(line + b"\r\n" for line in lines)


def _b64_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def _v1_signature_files(
    entries: list[tuple[str, bytes, int]], signer: _Signer, schemes: tuple[str, ...]
) -> list[tuple[str, bytes]]:
    manifest_main = (
        _manifest_line("Manifest-Version: 1.0")
        + _manifest_line("Created-By: stalkerscan apkgen (simulator)")
        + b"\r\n"
    )
    sections: list[tuple[str, bytes]] = []
    for name, data, _ in sorted(entries, key=lambda e: e[0]):
        section = (
            _manifest_line(f"Name: {name}")
            + _manifest_line(f"SHA-256-Digest: {_b64_sha256(data)}")
            + b"\r\n"
        )
        sections.append((name, section))
    manifest = manifest_main + b"".join(s for _, s in sections)

    sf = _manifest_line("Signature-Version: 1.0") + _manifest_line(
        "Created-By: stalkerscan apkgen (simulator)"
    )
    sf += _manifest_line(f"SHA-256-Digest-Manifest: {_b64_sha256(manifest)}")
    sf += _manifest_line(f"SHA-256-Digest-Manifest-Main-Attributes: {_b64_sha256(manifest_main)}")
    newer = [s[1] for s in schemes if s in ("v2", "v3")]
    if newer:
        # Stripping protection: tells verifiers v2/v3 signatures must also be present.
        sf += _manifest_line("X-Android-APK-Signed: " + ", ".join(newer))
    sf += b"\r\n"
    for name, section in sections:
        sf += _manifest_line(f"Name: {name}") + _manifest_line(
            f"SHA-256-Digest: {_b64_sha256(section)}"
        ) + b"\r\n"

    pkcs7_der = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(sf)
        .add_signer(signer.certificate, signer.key, hashes.SHA256())
        .sign(
            serialization.Encoding.DER,
            [
                pkcs7.PKCS7Options.DetachedSignature,
                pkcs7.PKCS7Options.NoAttributes,  # no signing time: deterministic bytes
                pkcs7.PKCS7Options.Binary,
            ],
        )
    )
    return [
        ("META-INF/MANIFEST.MF", manifest),
        ("META-INF/CERT.SF", sf),
        ("META-INF/CERT.RSA", pkcs7_der),
    ]


# =========================================================================== v2 / v3 signing
_SIG_RSA_PKCS1_V1_5_SHA256 = 0x0103
_V2_BLOCK_ID = 0x7109871A
_V3_BLOCK_ID = 0xF05368C0
_STRIPPING_PROTECTION_ATTR_ID = 0xBEEFF00D
_APK_SIG_BLOCK_MAGIC = b"APK Sig Block 42"
_CHUNK_SIZE = 1024 * 1024
_V3_MIN_SDK = 28
_V3_MAX_SDK = 0x7FFFFFFF


def _lp(data: bytes) -> bytes:
    """uint32 little-endian length-prefixed."""
    return struct.pack("<I", len(data)) + data


def _lp_seq(items: Iterable[bytes]) -> bytes:
    return _lp(b"".join(_lp(item) for item in items))


def _chunked_sha256(sections: Iterable[bytes]) -> bytes:
    """The v2/v3 content digest: SHA-256 over 1 MiB chunk digests of each section."""
    chunk_digests: list[bytes] = []
    for section in sections:
        view = memoryview(section)
        for start in range(0, len(section), _CHUNK_SIZE):
            chunk = view[start : start + _CHUNK_SIZE]
            h = hashlib.sha256(b"\xa5" + struct.pack("<I", len(chunk)))
            h.update(chunk)
            chunk_digests.append(h.digest())
    top = hashlib.sha256(b"\x5a" + struct.pack("<I", len(chunk_digests)))
    for digest in chunk_digests:
        top.update(digest)
    return top.digest()


def _eocd_offset(archive: bytes) -> int:
    # Python's zipfile writes no archive comment, so the EOCD is the last 22 bytes.
    offset = len(archive) - 22
    if archive[offset : offset + 4] != b"PK\x05\x06":
        raise ValueError("unexpected zip layout: EOCD not at the end")
    return offset


def _rsa_sign(signer: _Signer, data: bytes) -> bytes:
    return signer.key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def _scheme_signer_block(
    signer: _Signer, digest: bytes, *, v3: bool, stripping_protection: bool
) -> bytes:
    digests = _lp_seq([struct.pack("<I", _SIG_RSA_PKCS1_V1_5_SHA256) + _lp(digest)])
    certificates = _lp_seq([signer.certificate_der])
    attributes: list[bytes] = []
    if stripping_protection:
        attributes.append(struct.pack("<II", _STRIPPING_PROTECTION_ATTR_ID, 3))
    sdk_range = struct.pack("<II", _V3_MIN_SDK, _V3_MAX_SDK) if v3 else b""
    signed_data = digests + certificates + sdk_range + _lp_seq(attributes)
    signatures = _lp_seq(
        [struct.pack("<I", _SIG_RSA_PKCS1_V1_5_SHA256) + _lp(_rsa_sign(signer, signed_data))]
    )
    signer_block = _lp(signed_data) + sdk_range + signatures + _lp(signer.public_key_der)
    return _lp_seq([signer_block])


def _insert_signing_block(archive: bytes, signer: _Signer, schemes: tuple[str, ...]) -> bytes:
    eocd = _eocd_offset(archive)
    (cd_offset,) = struct.unpack_from("<I", archive, eocd + 16)
    digest = _chunked_sha256([archive[:cd_offset], archive[cd_offset:eocd], archive[eocd:]])
    pairs: list[tuple[int, bytes]] = []
    if "v2" in schemes:
        pairs.append(
            (
                _V2_BLOCK_ID,
                _scheme_signer_block(
                    signer, digest, v3=False, stripping_protection="v3" in schemes
                ),
            )
        )
    if "v3" in schemes:
        pairs.append(
            (_V3_BLOCK_ID, _scheme_signer_block(signer, digest, v3=True, stripping_protection=False))
        )
    body = b"".join(
        struct.pack("<QI", len(value) + 4, block_id) + value for block_id, value in pairs
    )
    size = len(body) + 8 + len(_APK_SIG_BLOCK_MAGIC)
    block = struct.pack("<Q", size) + body + struct.pack("<Q", size) + _APK_SIG_BLOCK_MAGIC
    new_eocd = bytearray(archive[eocd:])
    struct.pack_into("<I", new_eocd, 16, cd_offset + len(block))
    return archive[:cd_offset] + block + archive[cd_offset:eocd] + bytes(new_eocd)


# =========================================================================== build
def _is_v1_signature_file(name: str) -> bool:
    """JAR signature files, which the v1 manifest does not digest (JAR spec)."""
    upper = name.upper()
    if not upper.startswith("META-INF/") or "/" in upper[len("META-INF/") :]:
        return False
    base = upper[len("META-INF/") :]
    return base == "MANIFEST.MF" or base.startswith("SIG-") or base.endswith(
        (".SF", ".RSA", ".DSA", ".EC")
    )


_CACHE_BUDGET_BYTES = 64 * 1024 * 1024
_cache: OrderedDict[ApkSpec, bytes] = OrderedDict()
_cache_bytes = 0
_cache_lock = threading.Lock()


def build_apk(spec: ApkSpec) -> bytes:
    """Build and sign the APK described by ``spec``. Same spec, same bytes.

    Raises ``ValueError`` for an unknown signer or scheme. Recent results are kept in a
    small cache (64 MiB in all, least recently used dropped first); thread-safe.
    """
    global _cache_bytes
    with _cache_lock:
        cached = _cache.get(spec)
        if cached is not None:
            _cache.move_to_end(spec)
            return cached
    data = _build_apk(spec)
    if len(data) <= _CACHE_BUDGET_BYTES // 4:
        with _cache_lock:
            if spec not in _cache:
                _cache[spec] = data
                _cache_bytes += len(data)
                while _cache_bytes > _CACHE_BUDGET_BYTES:
                    _, dropped = _cache.popitem(last=False)
                    _cache_bytes -= len(dropped)
    return data


def _build_apk(spec: ApkSpec) -> bytes:
    signer = _signer(spec.signer)
    deflated, stored = zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED
    entries: list[tuple[str, bytes, int]] = [
        ("AndroidManifest.xml", build_manifest_axml(spec), deflated),
        ("classes.dex", build_dex(_dex_strings(spec)), deflated),
    ]
    entries += [(name, data, deflated) for name, data in sorted(spec.native_libs.items())]
    entries += [(name, data, deflated) for name, data in sorted(spec.extra_entries.items())]
    if spec.padding_bytes:
        filler = random.Random(f"apkgen-padding:{spec.package}").randbytes(spec.padding_bytes)
        entries.append(("assets/padding.bin", filler, stored))
    if "v1" in spec.schemes:
        v1_files = _v1_signature_files(
            [e for e in entries if not _is_v1_signature_file(e[0])], signer, spec.schemes
        )
        entries += [(name, data, deflated) for name, data in v1_files]
    archive = _write_zip(entries)
    if "v2" in spec.schemes or "v3" in spec.schemes:
        archive = _insert_signing_block(archive, signer, spec.schemes)
    return archive
