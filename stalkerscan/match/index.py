"""The indicator index: one dictionary per indicator kind, built once per run.

Every look-up is an exact dictionary access (no linear scan, no prefix or substring match),
so matching 1,000 apps against Echap's ~6,000 indicators takes milliseconds. Evidence
strength depends on the kind of indicator:

==========================  ========  ==================================================
kind                        strength  why
==========================  ========  ==================================================
APK SHA-256                 strong    the exact file; cannot be produced by someone else
signing certificate         strong    only the key holder can sign with it (public test
                                      keys are refused when loading)
profile UUID (iOS)          strong    random per profile: the very same profile file
package name / bundle id    medium    anyone can give an app any name
profile identifier (iOS)    medium    chosen by whoever wrote the profile
signer identity (iOS)       medium    a certificate *name*, not the certificate itself
component class name        weak      easy to copy; a hint only
case-only near miss         weak      a different name; reported with a note
==========================  ========  ==================================================

When several sources list the same indicator for the same family, the match carries every
source's provenance. When an indicator is listed under several families, the match says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from stalkerscan.match.base import Matcher
from stalkerscan.model.android import AndroidApp, AndroidInventory
from stalkerscan.model.findings import EvidenceStrength, Provenance, SignatureMatch
from stalkerscan.model.ios import IosInventory
from stalkerscan.signatures import model as sm
from stalkerscan.signatures.model import Family
from stalkerscan.signatures.normalize import expand_component, normalize_hex, normalize_uuid

STRONG = EvidenceStrength.STRONG
MEDIUM = EvidenceStrength.MEDIUM
WEAK = EvidenceStrength.WEAK

_STRENGTH_RANK = {STRONG: 0, MEDIUM: 1, WEAK: 2}

COMPONENT_KINDS = {role: f"{sm.KIND_COMPONENT}:{role}" for role in sm.COMPONENT_ROLES}
_ROLE_LABEL = {
    sm.ROLE_ACCESSIBILITY: "accessibility service",
    sm.ROLE_DEVICE_ADMIN: "device-admin receiver",
    sm.ROLE_NOTIFICATION_LISTENER: "notification listener",
}

INDEX_KINDS: tuple[str, ...] = (
    sm.KIND_PACKAGE, sm.KIND_CERT_SHA1, sm.KIND_CERT_SHA256, sm.KIND_APK_SHA256,
    *COMPONENT_KINDS.values(), sm.KIND_BUNDLE_ID, sm.KIND_PROFILE_ID, sm.KIND_PROFILE_UUID,
    sm.KIND_SIGNER, sm.KIND_DOMAIN, sm.KIND_IP, sm.KIND_URL,
)


@dataclass(frozen=True)
class IndexEntry:
    """One family that lists one indicator, with every source that says so."""

    family_id: str
    """Family id."""

    family_name: str
    """Display name (from a source with explicit ids when there is one)."""

    family_type: str
    """Family type; the most concerning one when sources disagree."""

    provenance: tuple[Provenance, ...]
    """Every source listing this indicator for this family."""

    note: str | None = None
    """Disagreement between sources worth telling the reader (e.g. on the type)."""


def _family_values(family: Family) -> Iterable[tuple[str, str]]:
    for kind, value in family.app_indicators():
        role = kind.partition(":")[2]
        yield (COMPONENT_KINDS[role] if role else kind), value
    n = family.network
    for value in (*n.c2_domains, *n.websites, *n.distribution):
        yield sm.KIND_DOMAIN, value
    for value in (*n.c2_ips, *n.distribution_ips):
        yield sm.KIND_IP, value
    for value in n.urls:
        yield sm.KIND_URL, value


class IndicatorIndex(Matcher):
    """Exact-match index over a set of families; also the signature :class:`Matcher`."""

    name = "indicators"

    def __init__(self, families: Iterable[Family]) -> None:
        family_list: list[Family] = []
        for family in families:
            # Reference of the family, so that every match can point to a public source.
            if family.provenance.reference is None and family.references:
                p = family.provenance
                family = replace(family, provenance=Provenance(
                    p.source, p.licence, p.version, family.references[0], p.file))
            family_list.append(family)
        # value -> positions of the families listing it (usually exactly one).
        raw: dict[str, dict[str, list[int]]] = {kind: {} for kind in INDEX_KINDS}
        for position, family in enumerate(family_list):
            for kind, value in _family_values(family):
                listed = raw[kind].setdefault(value, [])
                if not listed or listed[-1] != position:
                    listed.append(position)
        # Entries depend only on which families list a value, so most values share one.
        cache: dict[tuple[int, ...], tuple[IndexEntry, ...]] = {}
        self._maps: dict[str, dict[str, tuple[IndexEntry, ...]]] = {}
        for kind, values in raw.items():
            frozen: dict[str, tuple[IndexEntry, ...]] = {}
            for value, positions in values.items():
                key = tuple(positions)
                entries = cache.get(key)
                if entries is None:
                    entries = cache[key] = self._entries([family_list[i] for i in key])
                frozen[value] = entries
            self._maps[kind] = frozen
        # Letter-case-folded views, to report near misses of case-sensitive names.
        self._folded: dict[str, dict[str, tuple[str, ...]]] = {}
        for kind in (sm.KIND_PACKAGE, sm.KIND_BUNDLE_ID):
            folded: dict[str, list[str]] = {}
            for value in self._maps[kind]:
                folded.setdefault(value.lower(), []).append(value)
            self._folded[kind] = {k: tuple(v) for k, v in folded.items()}

    @staticmethod
    def _entries(families: list[Family]) -> tuple[IndexEntry, ...]:
        """One entry per family id, merging what every source says about it."""
        grouped: dict[str, list[Family]] = {}
        for family in families:
            grouped.setdefault(family.id, []).append(family)
        entries = []
        for family_id, group in grouped.items():
            types: dict[str, list[str]] = {}
            for family in group:
                types.setdefault(family.type, []).append(family.provenance.source)
            ordered = sorted(types, key=sm.type_rank)
            note = None
            if len(ordered) > 1:
                said = "; ".join(f"{t} by {', '.join(dict.fromkeys(types[t]))}" for t in ordered)
                note = f"Sources disagree on what this is: listed as {said}."
            primary = next((f.name for f in group if not f.id_from_name), group[0].name)
            provenance = tuple(sorted(dict.fromkeys(f.provenance for f in group),
                                      key=lambda p: (p.source, p.file or "")))
            entries.append(IndexEntry(family_id, primary, ordered[0], provenance, note))
        return tuple(entries)

    # ------------------------------------------------------------------ look-ups
    def lookup(self, kind: str, value: str) -> tuple[IndexEntry, ...]:
        """Families listing exactly ``value`` as ``kind`` (see :data:`INDEX_KINDS`)."""
        return self._maps.get(kind, {}).get(value, ())

    def sizes(self) -> dict[str, int]:
        """Number of distinct values per kind."""
        return {kind: len(values) for kind, values in self._maps.items()}

    def __len__(self) -> int:
        return sum(len(values) for values in self._maps.values())

    # ------------------------------------------------------------------ matching
    def match_android(self, inventory: AndroidInventory) -> list[SignatureMatch]:
        out = _Matches()
        for app in inventory.apps:
            self._match_app(app, out)
        components = (
            (sm.ROLE_ACCESSIBILITY, [s.component for s in inventory.accessibility_services]),
            (sm.ROLE_DEVICE_ADMIN, [a.component for a in inventory.device_admins]),
            (sm.ROLE_NOTIFICATION_LISTENER, [n.component for n in inventory.notification_listeners]),
        )
        for role, listed in components:
            for component in listed:
                parsed = expand_component(component)
                if parsed is None:
                    continue
                package, cls = parsed
                for entry in self.lookup(COMPONENT_KINDS[role], cls):
                    out.add(entry, sm.KIND_COMPONENT, cls, package, WEAK,
                            f"The {_ROLE_LABEL[role]} {component} has a class name this family "
                            f"uses; class names are easy to copy, so this is only a hint.",
                            self._others(COMPONENT_KINDS[role], cls, entry))
        return out.result()

    def _match_app(self, app: AndroidApp, out: _Matches) -> None:
        package = app.package
        app_matches: list[tuple[IndexEntry, str, str, EvidenceStrength, str | None]] = []
        exact = self.lookup(sm.KIND_PACKAGE, package)
        for entry in exact:
            app_matches.append((entry, sm.KIND_PACKAGE, package, MEDIUM, None))
        if not exact:
            for spelled in self._folded[sm.KIND_PACKAGE].get(package.lower(), ()):
                note = (f"Only the letter case differs: the signatures list {spelled!r}, the phone "
                        f"has {package!r}. Android package names are case-sensitive, so this is "
                        f"a different app; shown as a hint only.")
                for entry in self.lookup(sm.KIND_PACKAGE, spelled):
                    app_matches.append((entry, sm.KIND_PACKAGE, spelled, WEAK, note))
        certificates: dict[tuple[str, str], None] = {}
        for apk in app.apks:
            digest = normalize_hex(apk.sha256, "sha256") if apk.sha256 else None
            if digest:
                for entry in self.lookup(sm.KIND_APK_SHA256, digest):
                    app_matches.append((entry, sm.KIND_APK_SHA256, digest, STRONG, None))
            for cert in apk.certificates:
                for algo, kind, value in (("sha1", sm.KIND_CERT_SHA1, cert.sha1),
                                          ("sha256", sm.KIND_CERT_SHA256, cert.sha256)):
                    normal = normalize_hex(value, algo) if value else None
                    if normal:
                        certificates[(kind, normal)] = None
        named = {e.family_id for e, kind, _, s, _ in app_matches if s is not WEAK}
        for kind, digest in certificates:
            entries = self.lookup(kind, digest)
            if len(entries) > 1:
                # One certificate under several families: let the app's own name or file
                # hash decide when it can, and say so either way.
                agreeing = [e for e in entries if e.family_id in named]
                names = _family_names(entries)
                if agreeing:
                    note = (f"This certificate is listed under several families ({names}); the "
                            f"app's package name or file hash points to this one.")
                    entries = tuple(agreeing)
                else:
                    note = (f"This certificate is listed under several families ({names}); the "
                            f"signatures cannot tell which one this app belongs to.")
            else:
                note = None
            for entry in entries:
                app_matches.append((entry, kind, digest, STRONG, note))
        for entry, kind, indicator, strength, note in app_matches:
            extra = None if kind in (sm.KIND_CERT_SHA1, sm.KIND_CERT_SHA256) else \
                self._others(kind, indicator, entry)
            out.add(entry, kind, indicator, package, strength, note, extra)

    def match_ios(self, inventory: IosInventory) -> list[SignatureMatch]:
        out = _Matches()
        for app in inventory.apps:
            bundle = app.bundle_id
            exact = self.lookup(sm.KIND_BUNDLE_ID, bundle)
            for entry in exact:
                out.add(entry, sm.KIND_BUNDLE_ID, bundle, bundle, MEDIUM, None,
                        self._others(sm.KIND_BUNDLE_ID, bundle, entry))
            if not exact:
                for spelled in self._folded[sm.KIND_BUNDLE_ID].get(bundle.lower(), ()):
                    note = (f"Only the letter case differs: the signatures list {spelled!r}, the "
                            f"phone has {bundle!r}; shown as a hint only.")
                    for entry in self.lookup(sm.KIND_BUNDLE_ID, spelled):
                        out.add(entry, sm.KIND_BUNDLE_ID, spelled, bundle, WEAK, note, None)
            if app.signer_identity:
                for entry in self.lookup(sm.KIND_SIGNER, app.signer_identity):
                    out.add(entry, sm.KIND_SIGNER, app.signer_identity, bundle, MEDIUM,
                            "The app is signed by a developer identity this family uses (a "
                            "certificate name, not the certificate itself).",
                            self._others(sm.KIND_SIGNER, app.signer_identity, entry))
        for profile in inventory.profiles:
            for entry in self.lookup(sm.KIND_PROFILE_ID, profile.identifier):
                out.add(entry, sm.KIND_PROFILE_ID, profile.identifier, profile.identifier, MEDIUM,
                        None, self._others(sm.KIND_PROFILE_ID, profile.identifier, entry))
            uuid = normalize_uuid(profile.uuid) if profile.uuid else None
            if uuid:
                for entry in self.lookup(sm.KIND_PROFILE_UUID, uuid):
                    out.add(entry, sm.KIND_PROFILE_UUID, uuid, profile.identifier, STRONG, None,
                            self._others(sm.KIND_PROFILE_UUID, uuid, entry))
        return out.result()

    def _others(self, kind: str, value: str, entry: IndexEntry) -> str | None:
        others = [e for e in self.lookup(kind, value) if e.family_id != entry.family_id]
        if not others:
            return None
        return (f"The same {kind.split(':')[0].replace('_', ' ')} is also listed under: "
                f"{_family_names(others)}.")


def _family_names(entries: Iterable[IndexEntry]) -> str:
    """``Family (source, source), Other (source)``: who lists an indicator, for a note."""
    return ", ".join(f"{e.family_name} ({', '.join(p.source for p in e.provenance)})"
                     for e in entries)


class _Matches:
    """Collects matches, one per (family, kind, indicator, subject)."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str, str, str], SignatureMatch] = {}

    def add(self, entry: IndexEntry, kind: str, indicator: str, subject: str,
            strength: EvidenceStrength, note: str | None, extra: str | None) -> None:
        key = (entry.family_id, kind, indicator, subject)
        if key in self._items:
            return
        notes = [text for text in (note, extra, entry.note) if text]
        self._items[key] = SignatureMatch(
            family_id=entry.family_id, family_name=entry.family_name,
            family_type=entry.family_type, indicator_kind=kind, indicator=indicator,
            subject=subject, strength=strength, provenance=entry.provenance,
            note=" ".join(notes) if notes else None)

    def result(self) -> list[SignatureMatch]:
        return sorted(self._items.values(),
                      key=lambda s: (_STRENGTH_RANK[s.strength], s.family_id, s.subject,
                                     s.indicator_kind, s.indicator))
