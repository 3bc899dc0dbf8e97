"""YARA over the code inside APKs: every DEX file and native library, never the zip itself.

Rules (``.yar`` / ``.yara`` files: the project's own, Echap's ``rules.yar``, a researcher's)
are compiled once per run and the compiled set is cached on disk, keyed by the SHA-256 of
every rule file's content and the YARA version, so the next run loads it in milliseconds. A
file that fails to compile is reported as a :class:`~stalkerscan.errors.SignatureError`
naming file and line, and the other files still load.

Scanning opens each APK with :class:`~stalkerscan.apk.archive.SafeArchive` (limits on entry
size, total size, entry count, nesting and time) and hands YARA each DEX and ``.so`` entry
(also ones hidden under other names, found by their magic bytes, and those inside nested
APKs), each with its own timeout. Community rules test ``uint16(0) == 0x6564`` ("de", the
DEX magic) or ``0x457f`` (ELF), which only hold when the entry is scanned on its own.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import BinaryIO

import yara

from stalkerscan.apk.analyze import is_dex_entry, is_native_lib_entry, is_nested_archive_entry
from stalkerscan.apk.archive import DEFAULT_LIMITS, ArchiveEntry, ArchiveLimits, SafeArchive
from stalkerscan.errors import SignatureError
from stalkerscan.model import ParseProblem, clean_excerpt

RULE_SUFFIXES = (".yar", ".yara")
"""File name endings read as YARA rule files when a folder is given."""

MAX_RULE_FILE_BYTES = 16 * 1024 * 1024
"""Largest rule file read."""

DEFAULT_TIMEOUT_SECONDS = 30
"""Time YARA may spend on one DEX or library before it is abandoned."""

DEX_MAGIC = b"dex\n"
ELF_MAGIC = b"\x7fELF"
_CACHE_SUFFIX = ".yarc"


# =========================================================================== compiling
@dataclass(frozen=True)
class RuleFile:
    """One rule file that compiled and is part of the set."""

    path: str
    """Path as given."""

    namespace: str
    """YARA namespace its rules live in (the file name without suffix, made unique)."""

    sha256: str
    """SHA-256 of its content."""


@dataclass(frozen=True)
class CompiledRules:
    """A compiled rule set, with the files that made it and those that were skipped."""

    rules: yara.Rules | None
    """The compiled rules; ``None`` when no file compiled."""

    files: tuple[RuleFile, ...] = ()
    """Files compiled into the set, in the order given."""

    errors: tuple[SignatureError, ...] = ()
    """Files skipped, each error naming file and line."""

    warnings: tuple[str, ...] = ()
    """Compiler warnings (slow strings, ...), each prefixed with its file."""

    cache_key: str = ""
    """SHA-256 identifying the set (YARA version + every file's content)."""

    from_cache: bool = False
    """True when loaded from the on-disk cache rather than compiled."""

    @property
    def rule_count(self) -> int:
        """Number of rules in the set."""
        return sum(1 for _ in self.rules) if self.rules is not None else 0

    def file_for(self, namespace: str) -> str:
        """The rule file path behind a namespace."""
        for rule_file in self.files:
            if rule_file.namespace == namespace:
                return rule_file.path
        return ""


def default_cache_dir() -> Path:
    """Where compiled rule sets are cached: ``<user cache dir>/stalkerscan/yara``."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("stalkerscan")) / "yara"


def default_rule_files() -> list[Path]:
    """The project's bundled YARA rules and those of the downloaded community set."""
    from stalkerscan.signatures.paths import bundled_dir
    from stalkerscan.signatures.update import current_set

    folders = [bundled_dir() / "yara"]
    downloaded = current_set()
    if downloaded is not None:
        folders.append(downloaded.path)
    return expand_rule_paths(folders)


def expand_rule_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given, and every ``.yar`` / ``.yara`` file under folders (sorted)."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(
                p for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in RULE_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            ))
        else:
            out.append(path)
    return out


def _syntax_error(path: Path, exc: Exception) -> SignatureError:
    """A located error from YARA's ``line N: message``."""
    text = str(exc)
    line = None
    if text.startswith("line "):
        head, _, rest = text.partition(":")
        number = head[len("line "):].strip()
        if number.isdigit():
            line, text = int(number), rest.strip()
    location = f"{path}:{line}" if line is not None else str(path)
    return SignatureError(
        f"YARA rule file does not compile: {text}",
        advice="Fix the rule at this place, or leave the file out; the other rule files "
        "are still used.",
        location=location,
    )


def _namespace(path: Path, taken: set[str]) -> str:
    base = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in path.stem) or "rules"
    name, number = base, 2
    while name in taken:
        name, number = f"{base}_{number}", number + 1
    taken.add(name)
    return name


def compile_rules(
    paths: Iterable[Path],
    *,
    cache_dir: Path | None = None,
    use_cache: bool = True,
) -> CompiledRules:
    """Compile rule files into one set (cached on disk by content hash).

    Each file is checked on its own first, so one broken file is reported (file and line)
    and skipped while the others load. ``include`` directives are refused: pass every file
    explicitly. Raises nothing for broken rules; see :attr:`CompiledRules.errors`.
    """
    errors: list[SignatureError] = []
    warnings: list[str] = []
    sources: dict[str, str] = {}
    files: list[RuleFile] = []
    taken: set[str] = set()
    for path in paths:
        try:
            if path.stat().st_size > MAX_RULE_FILE_BYTES:
                errors.append(SignatureError(
                    f"YARA rule file is larger than {MAX_RULE_FILE_BYTES // (1024 * 1024)} MiB; "
                    "not read.", location=str(path)))
                continue
            raw = path.read_bytes()
            text = raw.decode("utf-8")
        except OSError as exc:
            errors.append(SignatureError(f"YARA rule file cannot be read: {exc.strerror or exc}",
                                         location=str(path)))
            continue
        except UnicodeDecodeError as exc:
            errors.append(SignatureError(f"YARA rule file is not UTF-8 text ({exc.reason} at "
                                         f"byte {exc.start})", location=str(path)))
            continue
        try:
            checked = yara.compile(source=text, includes=False)
        except (yara.SyntaxError, yara.Error) as exc:
            errors.append(_syntax_error(path, exc))
            continue
        warnings.extend(f"{path}: {w}" for w in getattr(checked, "warnings", []) or [])
        namespace = _namespace(path, taken)
        sources[namespace] = text
        files.append(RuleFile(str(path), namespace, hashlib.sha256(raw).hexdigest()))

    if not sources:
        return CompiledRules(None, (), tuple(errors), tuple(warnings))

    key_material = "\n".join(
        [f"yara {yara.YARA_VERSION}"] + [f"{f.namespace} {f.sha256}" for f in files]
    )
    cache_key = hashlib.sha256(key_material.encode()).hexdigest()
    cache_root = cache_dir or default_cache_dir()
    cached = cache_root / f"{cache_key}{_CACHE_SUFFIX}"
    if use_cache and _private_cache_file(cached):
        try:
            rules = yara.load(str(cached))
            return CompiledRules(rules, tuple(files), tuple(errors), tuple(warnings), cache_key,
                                 from_cache=True)
        except yara.Error:
            pass  # a damaged cache entry is simply rebuilt below
    try:
        rules = yara.compile(sources=sources, includes=False)
    except (yara.SyntaxError, yara.Error) as exc:
        # Every file compiled alone; together they can still clash (rare). Say so plainly.
        errors.append(SignatureError(f"YARA rule files do not compile together: {exc}",
                                     advice="Leave one of the clashing files out."))
        return CompiledRules(None, (), tuple(errors), tuple(warnings))
    if use_cache:
        _save_atomic(rules, cache_root, cached)
    return CompiledRules(rules, tuple(files), tuple(errors), tuple(warnings), cache_key)


def _private_cache_file(path: Path) -> bool:
    """True when a cached compiled set may be loaded: a regular file, in a folder and a file
    only this user can write. libyara trusts compiled rules it loads (it does not check them
    as it checks rule source), so one planted by someone else is never loaded."""
    try:
        for item in (path.parent, path):
            info = item.lstat()
            if item is path and not stat.S_ISREG(info.st_mode):
                return False
            if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                return False
            if hasattr(os, "getuid") and info.st_uid != os.getuid():
                return False
    except OSError:
        return False
    return True


def _save_atomic(rules: yara.Rules, folder: Path, target: Path) -> None:
    """Write the compiled set next to its final name, then rename (never a half file)."""
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=_CACHE_SUFFIX)
        os.close(fd)
        try:
            rules.save(tmp)
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except (OSError, yara.Error):
        pass  # the cache only saves time; a read-only cache folder must not stop a scan


# =========================================================================== scanning
@dataclass(frozen=True)
class YaraMatch:
    """One rule that fired on one scanned file."""

    rule: str
    """Rule name."""

    namespace: str
    """Namespace (which rule file) the rule came from."""

    rule_file: str
    """Path of the rule file."""

    apk_path: str
    """The APK (or bare file) scanned."""

    entry: str
    """Entry inside the APK that matched (``a.apk!classes.dex`` for nested ones); ``""`` when a
    bare DEX or library file was scanned."""

    strings_matched: int
    """How many of the rule's strings were found."""

    tags: tuple[str, ...] = ()
    """Rule tags, e.g. ``stalkerware``."""

    meta: Mapping[str, str] = field(default_factory=dict)
    """Rule metadata (``ref``, ``author``, ``sha256``...), as text."""


@dataclass(frozen=True)
class ScannedEntry:
    """One DEX or library handed to YARA."""

    name: str
    """Entry name (nested ones as ``outer!inner``), ``""`` for a bare file."""

    kind: str
    """``dex`` or ``native``."""

    size: int
    """Bytes scanned."""


@dataclass(frozen=True)
class YaraScanResult:
    """Everything YARA found in one APK or file, and what it could not scan."""

    path: str
    """The APK or file scanned."""

    matches: tuple[YaraMatch, ...] = ()
    """Rules that fired, in scan order."""

    scanned: tuple[ScannedEntry, ...] = ()
    """DEX files and libraries scanned."""

    problems: tuple[ParseProblem, ...] = ()
    """Limits hit, unreadable entries, timeouts."""

    @property
    def bytes_scanned(self) -> int:
        """Total bytes handed to YARA."""
        return sum(e.size for e in self.scanned)


def _kind_of(head: bytes) -> str | None:
    if head.startswith(DEX_MAGIC):
        return "dex"
    if head.startswith(ELF_MAGIC):
        return "native"
    return None


class YaraScanner:
    """Scans APKs, DEX files and native libraries with one compiled rule set."""

    def __init__(
        self,
        rules: CompiledRules,
        *,
        limits: ArchiveLimits = DEFAULT_LIMITS,
        timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self.rules = rules
        self.limits = limits
        self.timeout_seconds = max(1, int(timeout_seconds))

    # ------------------------------------------------------------------ one buffer
    def _match(
        self, data: bytes, *, apk_path: str, entry: str, source: str
    ) -> tuple[list[YaraMatch], list[ParseProblem]]:
        if self.rules.rules is None:
            return [], []
        try:
            found = self.rules.rules.match(data=data, timeout=self.timeout_seconds)
        except yara.TimeoutError:
            return [], [ParseProblem(source, f"YARA stopped after {self.timeout_seconds} s on "
                                     "this file (timeout); its rules were not all checked.",
                                     excerpt=clean_excerpt(entry))]
        except yara.Error as exc:
            return [], [ParseProblem(source, f"YARA could not scan this file: {exc}.",
                                     excerpt=clean_excerpt(entry))]
        matches = [
            YaraMatch(
                rule=m.rule,
                namespace=m.namespace,
                rule_file=self.rules.file_for(m.namespace),
                apk_path=apk_path,
                entry=entry,
                strings_matched=len(m.strings),
                tags=tuple(m.tags),
                meta=MappingProxyType({str(k): str(v) for k, v in m.meta.items()}),
            )
            for m in found
        ]
        return matches, []

    # ------------------------------------------------------------------ archives
    def _scan_archive(
        self,
        archive: SafeArchive,
        *,
        apk_path: str,
        prefix: str,
        matches: list[YaraMatch],
        scanned: list[ScannedEntry],
        problems: list[ParseProblem],
    ) -> None:
        problems.extend(archive.problems)
        for entry in archive.entries:
            if entry.is_dir:
                continue
            name = f"{prefix}{entry.name}"
            if is_nested_archive_entry(entry):
                nested = archive.open_nested(entry)
                if isinstance(nested, SafeArchive):
                    with nested:
                        self._scan_archive(nested, apk_path=apk_path, prefix=f"{name}!",
                                           matches=matches, scanned=scanned, problems=problems)
                else:
                    problems.extend(nested.problems)
                continue
            if not (is_dex_entry(entry) or is_native_lib_entry(entry)) and not self._hidden_code(
                archive, entry
            ):
                continue
            read = archive.read(entry)
            problems.extend(read.problems)
            if read.data is None:
                continue
            kind = _kind_of(read.data[:4])
            if kind is None:
                kind = "dex" if is_dex_entry(entry) else "native"
            scanned.append(ScannedEntry(name, kind, len(read.data)))
            found, trouble = self._match(read.data, apk_path=apk_path, entry=name,
                                         source=archive.source)
            matches.extend(found)
            problems.extend(trouble)

    @staticmethod
    def _hidden_code(archive: SafeArchive, entry: ArchiveEntry) -> bool:
        """A DEX or ELF file stored under another name (droppers hide payloads in assets)."""
        return entry.uncompressed_size >= 4 and _kind_of(archive.peek(entry, 4)) is not None

    def scan_apk(
        self, data: bytes | Path | BinaryIO, *, apk_path: str | None = None
    ) -> YaraScanResult:
        """Scan every DEX and native library inside an APK. Never raises on a bad APK."""
        name = apk_path or (str(data) if isinstance(data, Path) else "apk")
        matches: list[YaraMatch] = []
        scanned: list[ScannedEntry] = []
        problems: list[ParseProblem] = []
        with SafeArchive.open(data, source=name, limits=self.limits) as archive:
            self._scan_archive(archive, apk_path=name, prefix="", matches=matches,
                               scanned=scanned, problems=problems)
        return YaraScanResult(name, tuple(matches), tuple(scanned), tuple(problems))

    def scan_file(self, path: Path) -> YaraScanResult:
        """Scan a file given by a researcher: an APK (or any zip), a DEX or a library."""
        name = str(path)
        try:
            with path.open("rb") as handle:
                head = handle.read(4)
                if head[:2] == b"PK":
                    handle.seek(0)
                    return self.scan_apk(handle, apk_path=name)
                kind = _kind_of(head)
                if kind is None:
                    return YaraScanResult(name, problems=(ParseProblem(
                        name, "Not an APK, DEX file or native library; not scanned."),))
                size = handle.seek(0, io.SEEK_END)
                if size > self.limits.max_entry_bytes:
                    return YaraScanResult(name, problems=(ParseProblem(
                        name, f"Not scanned: larger than the {self.limits.max_entry_bytes} bytes "
                        "accepted (max_entry_bytes)."),))
                handle.seek(0)
                data = handle.read()
        except OSError as exc:
            return YaraScanResult(name, problems=(ParseProblem(
                name, f"The file could not be read: {exc.strerror or exc}."),))
        found, trouble = self._match(data, apk_path=name, entry="", source=name)
        return YaraScanResult(name, tuple(found), (ScannedEntry("", kind, len(data)),),
                              tuple(trouble))

    def scan_paths(
        self,
        paths: Iterable[Path],
        *,
        on_file: Callable[[Path, int, int], None] | None = None,
    ) -> list[YaraScanResult]:
        """Scan files and, recursively, folders (APK, DEX, ``.so`` files and zips found by
        their first bytes). ``on_file(path, index, total)`` reports progress."""
        targets = collect_scan_targets(paths)
        results = []
        for index, path in enumerate(targets, start=1):
            if on_file is not None:
                on_file(path, index, len(targets))
            results.append(self.scan_file(path))
        return results


def collect_scan_targets(paths: Iterable[Path]) -> list[Path]:
    """Files as given, and every regular file under folders (sorted; symlinks not followed)."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            for root, dirs, names in os.walk(path, followlinks=False):
                dirs.sort()
                for name in sorted(names):
                    candidate = Path(root) / name
                    if candidate.is_file() and not candidate.is_symlink():
                        out.append(candidate)
        else:
            out.append(path)
    return out


def result_to_dict(result: YaraScanResult) -> dict[str, object]:
    """A JSON-ready view of a scan result."""
    return {
        "path": result.path,
        "matches": [
            {
                "rule": m.rule, "namespace": m.namespace, "rule_file": m.rule_file,
                "apk_path": m.apk_path, "entry": m.entry, "strings_matched": m.strings_matched,
                "tags": list(m.tags), "meta": dict(m.meta),
            }
            for m in result.matches
        ],
        "scanned": [{"name": s.name, "kind": s.kind, "size": s.size} for s in result.scanned],
        "bytes_scanned": result.bytes_scanned,
        "problems": [
            {"source": p.source, "message": p.message, "excerpt": p.excerpt}
            for p in result.problems
        ],
    }
