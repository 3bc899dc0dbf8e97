"""Normalising and checking indicator values, so that matching can be exact dictionary look-ups.

Feeds disagree on letter case and separators (Echap writes certificate SHA-1s upper-case,
others lower-case, some with colons). Hex is normalised to lower-case without separators.
Package names and bundle ids are *not* case-folded: Android package names are
case-sensitive, and a case-only difference is reported as a note by the matcher.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from functools import lru_cache
from urllib.parse import urlsplit

_HEX_SEPARATORS = re.compile(r"[\s:]")
_HEX = re.compile(r"^[0-9a-f]+$")

# Android package names: at least two dot-separated segments, the first starting with a
# letter. Feeds also list packages whose later segments start with a digit or underscore
# (built by repackaging tools); the phone prints them as they are, so accept them.
_ANDROID_PACKAGE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)+$")
# iOS bundle ids: alphanumerics, hyphens and periods (CFBundleIdentifier).
_BUNDLE_ID = re.compile(r"^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*$")
# An Apple Team ID prefix on an application identifier ("ABCDE12345.com.example.app").
_TEAM_ID_PREFIX = re.compile(r"^[A-Z0-9]{10}\.(?=[A-Za-z0-9-]+\.)")
_HOSTNAME = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*"
                       r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_CLASS_NAME = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*(?:\.[A-Za-z_$][A-Za-z0-9_$]*)*$")
_UUID = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")
_SLUG_DROP = re.compile(r"[^a-z0-9]+")
_IP_CHARS = re.compile(r"^[0-9.]+$|:")

HEX_LENGTHS = {"sha1": 40, "sha256": 64, "md5": 32}


def normalize_hex(value: str, algorithm: str) -> str | None:
    """Lower-case hex without separators, or ``None`` when not a digest of that algorithm."""
    cleaned = value.lower()
    if not cleaned.isalnum():  # separators, spaces: rare, so the regex runs only then
        cleaned = _HEX_SEPARATORS.sub("", cleaned)
    if len(cleaned) != HEX_LENGTHS[algorithm] or not _HEX.match(cleaned):
        return None
    return cleaned


def hex_algorithm(value: str) -> str | None:
    """``sha1`` or ``sha256`` by length, for feeds that mix both in one list."""
    cleaned = _HEX_SEPARATORS.sub("", value).lower()
    if not _HEX.match(cleaned):
        return None
    for name in ("sha1", "sha256"):
        if len(cleaned) == HEX_LENGTHS[name]:
            return name
    return None


def is_android_package(value: str) -> bool:
    """True for a package name Android would accept (loosely: later segments may start with a digit)."""
    return bool(_ANDROID_PACKAGE.match(value))


def is_bundle_id(value: str) -> bool:
    """True for a plausible CFBundleIdentifier."""
    return bool(_BUNDLE_ID.match(value))


def strip_team_id(app_identifier: str) -> str:
    """``ABCDE12345.com.example.app`` -> ``com.example.app``; other values unchanged."""
    return _TEAM_ID_PREFIX.sub("", app_identifier, count=1)


def is_class_name(value: str) -> bool:
    """True for a fully qualified Java class name."""
    return bool(_CLASS_NAME.match(value)) and "." in value


def normalize_uuid(value: str) -> str | None:
    """Upper-case canonical UUID, or ``None``."""
    cleaned = value.strip().upper()
    return cleaned if _UUID.match(cleaned) else None


def normalize_ip(value: str) -> str | None:
    """Canonical text of an IPv4 / IPv6 address, or ``None``."""
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def normalize_host(value: str) -> str | None:
    """Lower-case host name without a trailing dot, or ``None`` when not a host name."""
    cleaned = value.strip().rstrip(".").lower()
    try:
        cleaned = cleaned.encode("idna").decode("ascii") if not cleaned.isascii() else cleaned
    except UnicodeError:
        return None
    return cleaned if _HOSTNAME.match(cleaned) else None


def classify_network_value(value: str) -> tuple[str, str] | None:
    """Sort a mixed network value (Echap's ``distribution``) into ``(kind, normalised)``.

    ``kind`` is ``ip``, ``host`` or ``url``; a URL also yields its host separately through
    :func:`url_host`. ``None`` when the value is none of those.
    """
    text = value.strip()
    if "://" in text:
        parts = urlsplit(text)
        if parts.scheme in ("http", "https") and parts.hostname:
            return ("url", text)
        return None
    ip = normalize_ip(text) if _IP_CHARS.match(text) else None
    if ip is not None:
        return ("ip", ip)
    host = normalize_host(text.split("/", 1)[0]) if "/" in text else normalize_host(text)
    return ("host", host) if host else None


def url_host(url: str) -> str | None:
    """Host of an http(s) URL, normalised, or ``None``."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    if host is None:
        return None
    return normalize_ip(host) or normalize_host(host)


@lru_cache(maxsize=8192)
def slugify(name: str) -> str:
    """Family id from a display name: ``The Truth Spy`` -> ``the-truth-spy``; ``1TopSpy`` -> ``1topspy``."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    slug = _SLUG_DROP.sub("-", folded).strip("-")
    return slug or "unnamed"


def expand_component(component: str) -> tuple[str, str] | None:
    """``pkg/.Svc`` or ``pkg/pkg.Svc`` -> ``(pkg, pkg.Svc)``; ``None`` when malformed."""
    package, sep, cls = component.strip().partition("/")
    if not sep or not package or not cls:
        return None
    if cls.startswith("."):
        cls = package + cls
    elif "." not in cls:
        # A bare class name is relative to the package (as the manifest allows).
        cls = f"{package}.{cls}"
    return package, cls
