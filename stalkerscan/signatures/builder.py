"""One place where every importer turns raw values into normalised indicators.

:class:`FamilyBuilder` normalises (hex lower-case, hosts lower-case), validates, drops
duplicates, refuses public/shared signing certificates with a note, and records the line of
each value so lint messages can say where a problem is. Importers call ``add_*`` with
whatever the file held and never repeat those rules themselves.
"""

from __future__ import annotations

from collections.abc import Callable

from stalkerscan.model.findings import Provenance
from stalkerscan.signatures import model as m
from stalkerscan.signatures import normalize as n
from stalkerscan.signatures.model import Family, SignatureProblem
from stalkerscan.signatures.shared_keys import refusal_note, shared_certificate

LineOf = Callable[[], "int | None"]


class FamilyBuilder:
    """Collects one family's indicators, then :meth:`build` freezes them."""

    def __init__(self, *, family_id: str, name: str, family_type: str, provenance: Provenance,
                 location: str | None, problems: list[SignatureProblem],
                 id_from_name: bool = False) -> None:
        self.family_id = family_id
        self.name = name
        self.family_type = family_type
        self.provenance = provenance
        self.location = location
        self.problems = problems
        self.id_from_name = id_from_name
        self.aliases: list[str] = []
        self.platforms: list[str] = []
        self.references: list[str] = []
        self.yara_rules: list[str] = []
        self.contributors: list[str] = []
        self.tests: list[m.FamilyTest] = []
        self.licence: str | None = provenance.licence
        self.first_seen: str | None = None
        self.last_verified: str | None = None
        self._values: dict[str, list[str]] = {}
        self._seen: dict[str, set[str]] = {}
        self.lines: dict[tuple[str, str], int] = {}

    # ------------------------------------------------------------------ helpers
    def _where(self, line: int | None) -> str | None:
        if line is not None and self.provenance.file:
            return f"{self.provenance.file}:{line}"
        return self.location

    def problem(self, severity: str, code: str, message: str, line: int | None = None) -> None:
        """Record a problem located at ``line`` of this family's file."""
        self.problems.append(SignatureProblem(severity, code, message, self._where(line)))

    def _put(self, bucket: str, kind: str, value: str, line: int | None) -> None:
        seen = self._seen.setdefault(bucket, set())
        if value in seen:
            return
        seen.add(value)
        self._values.setdefault(bucket, []).append(value)
        if line is not None:
            self.lines.setdefault((kind, value), line)

    def _get(self, bucket: str) -> tuple[str, ...]:
        return tuple(self._values.get(bucket, ()))

    # ------------------------------------------------------------------ android
    def add_package(self, value: str, line: int | None = None) -> None:
        """An Android package name, kept exactly as written."""
        text = value.strip()
        if not n.is_android_package(text):
            self.problem(m.SEVERITY_WARNING, "bad-package",
                         f"{value!r} is not an Android package name; skipped", line)
            return
        self._put("packages", m.KIND_PACKAGE, text, line)

    def add_certificate(self, value: str, line: int | None = None, algorithm: str | None = None) -> None:
        """A signing-certificate digest (SHA-1 or SHA-256; guessed by length when not given)."""
        algo = algorithm or n.hex_algorithm(value)
        digest = n.normalize_hex(value, algo) if algo in ("sha1", "sha256") else None
        if digest is None:
            expected = f"a {algo.upper()} digest" if algo else "a SHA-1 (40 hex digits) or SHA-256 (64 hex digits)"
            self.problem(m.SEVERITY_WARNING, "bad-hex",
                         f"certificate {value!r} is not {expected}; skipped", line)
            return
        shared = shared_certificate(digest)
        if shared is not None:
            self.problem(m.SEVERITY_NOTE, "shared-certificate", refusal_note(digest, shared), line)
            return
        kind = m.KIND_CERT_SHA1 if algo == "sha1" else m.KIND_CERT_SHA256
        self._put(kind, kind, digest, line)

    def add_apk_sha256(self, value: str, line: int | None = None) -> None:
        """SHA-256 of an APK file."""
        digest = n.normalize_hex(value, "sha256")
        if digest is None:
            self.problem(m.SEVERITY_WARNING, "bad-hex",
                         f"APK hash {value!r} is not a SHA-256 (64 hex digits); skipped", line)
            return
        self._put(m.KIND_APK_SHA256, m.KIND_APK_SHA256, digest, line)

    def add_component(self, role: str, value: str, line: int | None = None) -> None:
        """A fully qualified component class name for ``role``."""
        text = value.strip()
        if not n.is_class_name(text):
            self.problem(m.SEVERITY_WARNING, "bad-component",
                         f"{value!r} is not a fully qualified class name "
                         f"(e.g. org.example.spy.AccessService); skipped", line)
            return
        self._put(role, m.KIND_COMPONENT, text, line)

    # ------------------------------------------------------------------ ios
    def add_bundle_id(self, value: str, line: int | None = None) -> None:
        """An iOS bundle id, kept exactly as written."""
        text = value.strip()
        if not n.is_bundle_id(text):
            self.problem(m.SEVERITY_WARNING, "bad-bundle-id",
                         f"{value!r} is not an iOS bundle id; skipped", line)
            return
        self._put(m.KIND_BUNDLE_ID, m.KIND_BUNDLE_ID, text, line)

    def add_profile_identifier(self, value: str, line: int | None = None) -> None:
        """A configuration profile PayloadIdentifier."""
        text = value.strip()
        if not text or any(not ch.isprintable() for ch in text):
            self.problem(m.SEVERITY_WARNING, "bad-profile-id",
                         f"{value!r} is not a profile identifier; skipped", line)
            return
        self._put(m.KIND_PROFILE_ID, m.KIND_PROFILE_ID, text, line)

    def add_profile_uuid(self, value: str, line: int | None = None) -> None:
        """A configuration profile PayloadUUID."""
        uuid = n.normalize_uuid(value)
        if uuid is None:
            self.problem(m.SEVERITY_WARNING, "bad-uuid", f"{value!r} is not a UUID; skipped", line)
            return
        self._put(m.KIND_PROFILE_UUID, m.KIND_PROFILE_UUID, uuid, line)

    def add_signer(self, value: str, line: int | None = None) -> None:
        """An iOS SignerIdentity string."""
        text = value.strip()
        if not text:
            return
        self._put(m.KIND_SIGNER, m.KIND_SIGNER, text, line)

    # ------------------------------------------------------------------ network
    def add_network(self, role: str, value: str, line: int | None = None) -> None:
        """A network value for ``role`` (``c2``, ``website`` or ``distribution``); hosts, URLs
        and IPs are told apart, since feeds mix them in one list."""
        sorted_value = n.classify_network_value(value)
        if sorted_value is None:
            self.problem(m.SEVERITY_WARNING, "bad-network-value",
                         f"{value!r} is neither a host name, an IP address nor an http(s) URL; "
                         f"skipped", line)
            return
        kind, text = sorted_value
        if kind == "url":
            self._put("urls", m.KIND_URL, text, line)
            host = n.url_host(text)
            if host is None:
                return
            kind, text = ("ip", host) if n.normalize_ip(host) else ("host", host)
        if kind == "ip":
            bucket = "distribution_ips" if role == "distribution" else "c2_ips"
            self._put(bucket, m.KIND_IP, text, line)
        else:
            bucket = {"c2": "c2_domains", "website": "websites"}.get(role, "distribution")
            self._put(bucket, m.KIND_DOMAIN, text, line)

    def add_ip(self, value: str, line: int | None = None) -> None:
        """A C2 IP address."""
        ip = n.normalize_ip(value)
        if ip is None:
            self.problem(m.SEVERITY_WARNING, "bad-ip", f"{value!r} is not an IP address; skipped", line)
            return
        self._put("c2_ips", m.KIND_IP, ip, line)

    def add_yara_rule(self, value: str, line: int | None = None) -> None:
        """The name of a YARA rule."""
        text = value.strip()
        if text:
            self._put(m.KIND_YARA, m.KIND_YARA, text, line)

    # ------------------------------------------------------------------ build
    def is_empty(self) -> bool:
        """True when no indicator was kept."""
        return not any(self._values.values())

    def build(self) -> Family:
        """The frozen family."""
        android = m.AndroidIndicators(
            packages=self._get("packages"),
            certificate_sha1=self._get(m.KIND_CERT_SHA1),
            certificate_sha256=self._get(m.KIND_CERT_SHA256),
            apk_sha256=self._get(m.KIND_APK_SHA256),
            accessibility_services=self._get(m.ROLE_ACCESSIBILITY),
            device_admin_receivers=self._get(m.ROLE_DEVICE_ADMIN),
            notification_listeners=self._get(m.ROLE_NOTIFICATION_LISTENER),
        )
        ios = m.IosIndicators(
            bundle_ids=self._get(m.KIND_BUNDLE_ID),
            profile_identifiers=self._get(m.KIND_PROFILE_ID),
            profile_uuids=self._get(m.KIND_PROFILE_UUID),
            signer_identities=self._get(m.KIND_SIGNER),
        )
        network = m.NetworkIndicators(
            c2_domains=self._get("c2_domains"), c2_ips=self._get("c2_ips"),
            websites=self._get("websites"), distribution=self._get("distribution"),
            distribution_ips=self._get("distribution_ips"), urls=self._get("urls"),
        )
        platforms = list(self.platforms)
        if not platforms:
            if android.count():
                platforms.append("android")
            if ios.count():
                platforms.append("ios")
        return Family(
            id=self.family_id, name=self.name, type=self.family_type, provenance=self.provenance,
            aliases=tuple(dict.fromkeys(a for a in self.aliases if a and a != self.name)),
            platforms=tuple(platforms), android=android, ios=ios, network=network,
            yara_rules=self._get(m.KIND_YARA), references=tuple(self.references),
            licence=self.licence, first_seen=self.first_seen, last_verified=self.last_verified,
            contributors=tuple(self.contributors), tests=tuple(self.tests),
            location=self.location, id_from_name=self.id_from_name, indicator_lines=self.lines,
        )
