"""The signatures used for one run, and where they came from.

Loading order: the project's own families (bundled), then the last downloaded community
set (if any), then every ``--signatures PATH`` given for this run. Broken files are skipped
with located messages and the rest still loads; the set remembers what it skipped so the
scan can say so.
"""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from stalkerscan.signatures import model as m
from stalkerscan.signatures.importers import ImportContext
from stalkerscan.signatures.lint import cross_family_problems, duplicate_id_problems
from stalkerscan.signatures.loader import FolderContents, collapse_problems, load_path
from stalkerscan.signatures.model import Family, SignatureProblem
from stalkerscan.signatures.normalize import slugify
from stalkerscan.signatures.paths import bundled_dir
from stalkerscan.signatures.update import STALE_AFTER_DAYS, DownloadedSet, current_set

if TYPE_CHECKING:
    from stalkerscan.match.index import IndicatorIndex

KIND_BUNDLED = "bundled"
KIND_COMMUNITY = "community"
KIND_EXTRA = "extra"


@dataclass(frozen=True)
class SkippedFile:
    """A signature file that was not used, and why."""

    path: str
    """The file."""

    problems: tuple[SignatureProblem, ...]
    """The errors that stopped it (each located)."""

    def __str__(self) -> str:
        return f"{self.path}: " + "; ".join(str(p) for p in self.problems[:3])


@dataclass(frozen=True)
class SourceInfo:
    """One source of signatures used for a run."""

    kind: str
    """``bundled`` (shipped with stalkerscan), ``community`` (last download) or ``extra``
    (``--signatures PATH``)."""

    path: str
    """Folder or file read."""

    families: int
    """Families loaded from it."""

    indicators: int
    """Indicators loaded from it."""

    files: int
    """Signature files read from it (YARA files excluded)."""

    skipped: int = 0
    """Files skipped because they were broken."""

    fetched_at: str | None = None
    """For the community set: when it was downloaded (UTC)."""

    origin: str | None = None
    """For the community set: where from (``default`` or the ``--from`` value)."""


@dataclass(frozen=True)
class SignatureSet:
    """Every family loaded for a run, with sources, problems and skipped files."""

    families: tuple[Family, ...]
    """Families from every source (the same family may appear once per source)."""

    sources: tuple[SourceInfo, ...]
    """Where they came from, in loading order."""

    problems: tuple[SignatureProblem, ...] = ()
    """Warnings and notes from loading and lint (errors are in ``skipped``)."""

    skipped: tuple[SkippedFile, ...] = ()
    """Files not used because they were broken."""

    yara_files: tuple[str, ...] = ()
    """YARA rule files found in the sources, for the YARA matcher."""

    warnings: tuple[str, ...] = ()
    """Plain sentences for the scan summary (stale or missing community set, skipped files)."""

    community: DownloadedSet | None = None
    """The downloaded community set used, if any."""

    def counts(self) -> dict[str, int]:
        """Number of distinct indicators by kind, and of families."""
        seen: dict[str, set[str]] = {}
        for family in self.families:
            for kind, value in family.app_indicators():
                seen.setdefault(kind.split(":")[0], set()).add(value)
            for kind, values in (("domain", (*family.network.c2_domains, *family.network.websites,
                                             *family.network.distribution)),
                                 ("ip", (*family.network.c2_ips, *family.network.distribution_ips))):
                seen.setdefault(kind, set()).update(values)
        counts = {kind: len(values) for kind, values in sorted(seen.items())}
        counts["families"] = len({f.id for f in self.families})
        return counts

    def family_ids(self) -> list[str]:
        """Distinct family ids, sorted."""
        return sorted({f.id for f in self.families})

    def family(self, family_id: str) -> tuple[Family, ...]:
        """Every source's description of one family."""
        return tuple(f for f in self.families if f.id == family_id)

    @cached_property
    def index(self) -> IndicatorIndex:
        """The indicator index, built once on first use."""
        from stalkerscan.match.index import IndicatorIndex

        return IndicatorIndex(self.families)

    def summary(self) -> str:
        """One line naming the sources used, for scan output and reports."""
        parts = []
        for source in self.sources:
            label = {"bundled": "stalkerscan's own", "community": "community feed",
                     "extra": "extra"}.get(source.kind, source.kind)
            when = f", downloaded {source.fetched_at[:10]}" if source.fetched_at else ""
            parts.append(f"{label} ({source.families} families{when})")
        return "Signatures: " + ("; ".join(parts) if parts else "none")


def _resolve_names(families: list[Family]) -> list[Family]:
    """Attach families known only by a display name (samples rows, STIX malware names,
    ISDi titles) to the family with that name or alias, when exactly one has it."""
    primary = [f for f in families if not f.id_from_name]
    by_id: dict[str, set[str]] = {}
    by_alias: dict[str, set[str]] = {}
    types: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    for family in primary:
        by_id.setdefault(family.id, set()).add(family.id)
        types.setdefault(family.id, set()).add(family.type)
        names.setdefault(family.id, family.name)
        for alias in (family.name, *family.aliases):
            by_alias.setdefault(slugify(alias), set()).add(family.id)
    resolved = []
    for family in families:
        if not family.id_from_name:
            resolved.append(family)
            continue
        target = None
        if family.id in by_id:
            target = family.id
        else:
            candidates: set[str] = set()
            for alias in (family.name, *family.aliases):
                candidates |= by_alias.get(slugify(alias), set())
            if len(candidates) == 1:
                target = next(iter(candidates))
        if target is None:
            resolved.append(family)
            continue
        known_types = types.get(target, set())
        new_type = next(iter(known_types)) if len(known_types) == 1 else family.type
        aliases = family.aliases if family.name == names[target] else (family.name, *family.aliases)
        resolved.append(replace(family, id=target, name=names[target], type=new_type,
                                aliases=tuple(dict.fromkeys(aliases))))
    return resolved


def build_signature_set(groups: Sequence[tuple[str, Path, FolderContents, DownloadedSet | None]],
                        *, now: _dt.datetime | None = None,
                        community_expected: bool = True) -> SignatureSet:
    """Assemble a set from loaded groups ``(kind, path, contents, downloaded_set)``."""
    families: list[Family] = []
    problems: list[SignatureProblem] = []
    skipped: list[SkippedFile] = []
    sources: list[SourceInfo] = []
    yara: list[str] = []
    warnings: list[str] = []
    community: DownloadedSet | None = None
    for kind, path, contents, downloaded in groups:
        group_families: list[Family] = []
        group_skipped = 0
        for result in contents.results:
            if result.errors and not result.families:
                skipped.append(SkippedFile(result.path, collapse_problems(result.errors)))
                group_skipped += 1
                problems.extend(p for p in result.problems if p.severity != m.SEVERITY_ERROR)
                continue
            problems.extend(result.problems)
            group_families.extend(result.families)
        yara.extend(contents.yara_files)
        families.extend(group_families)
        if downloaded is not None:
            community = downloaded
        sources.append(SourceInfo(
            kind=kind, path=str(path), families=len({f.id for f in group_families}),
            indicators=sum(f.indicator_count() for f in group_families),
            files=len(contents.results), skipped=group_skipped,
            fetched_at=downloaded.fetched_at if downloaded else None,
            origin=downloaded.source if downloaded else None))

    duplicate = duplicate_id_problems(families)
    if duplicate:
        drop = {p.location for p in duplicate}
        families = [f for f in families
                    if f.id_from_name or f.location not in drop]
        for p in duplicate:
            skipped.append(SkippedFile((p.location or "").rsplit(":", 1)[0], (p,)))
    families = _resolve_names(families)
    problems.extend(cross_family_problems(families))

    if community is not None and community.is_stale(now):
        warnings.append(
            f"The community signatures were downloaded {int(community.age_days(now))} days ago "
            f"(on {community.fetched_at[:10]}), more than {STALE_AFTER_DAYS} days: new stalkerware "
            f"may be missed. Run 'stalkerscan signatures update' when online.")
    elif community is None and community_expected:
        warnings.append("No community signatures have been downloaded: only stalkerscan's own "
                        "signatures are used. Run 'stalkerscan signatures update' when online.")
    if skipped:
        warnings.append(f"{len(skipped)} signature file(s) were skipped because they are broken: "
                        + "; ".join(s.path for s in skipped[:5]))
    return SignatureSet(
        families=tuple(families), sources=tuple(sources), problems=collapse_problems(problems),
        skipped=tuple(skipped), yara_files=tuple(yara), warnings=tuple(warnings),
        community=community)


def load_signature_set(extra_paths: Iterable[str | Path] = (), *, data_dir: Path | None = None,
                       include_bundled: bool = True, include_community: bool = True,
                       bundled_path: Path | None = None,
                       now: _dt.datetime | None = None) -> SignatureSet:
    """Load bundled + last downloaded community set + ``extra_paths`` (files or folders, any
    supported format). Never raises on broken files: they are listed in ``skipped``."""
    groups: list[tuple[str, Path, FolderContents, DownloadedSet | None]] = []
    if include_bundled:
        root = bundled_path or bundled_dir()
        groups.append((KIND_BUNDLED, root, load_path(root), None))
    if include_community:
        downloaded = current_set(data_dir)
        if downloaded is not None:
            context = ImportContext(version=f"downloaded {downloaded.fetched_at[:10]}")
            groups.append((KIND_COMMUNITY, downloaded.path,
                           _load_community(downloaded, context), downloaded))
    for extra in extra_paths:
        path = Path(extra).expanduser()
        groups.append((KIND_EXTRA, path, load_path(path), None))
    return build_signature_set(groups, now=now, community_expected=include_community)


def _load_community(downloaded: DownloadedSet, context: ImportContext) -> FolderContents:
    """Load the files of a downloaded set, naming each by the URL it came from."""
    from stalkerscan.signatures.loader import YARA_SUFFIXES, load_file

    results = []
    yara = []
    for fetched in downloaded.files:
        path = downloaded.path / fetched.name
        if path.suffix.lower() in YARA_SUFFIXES:
            yara.append(str(path))
            continue
        results.append(load_file(path, ImportContext(version=context.version,
                                                     display_path=fetched.url)))
    return FolderContents(tuple(results), tuple(yara))


def indicator_kinds_summary(signature_set: SignatureSet) -> str:
    """``1,234 packages, 567 certificate sha1, ...`` for terminal output."""
    counts = Counter(signature_set.counts())
    families = counts.pop("families", 0)
    parts = [f"{families:,} families"] + [f"{v:,} {k.replace('_', ' ')}" for k, v in counts.items() if v]
    return ", ".join(parts)
