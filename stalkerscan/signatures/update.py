"""Downloading community signature feeds, atomically, keeping the previous set on any failure.

This is the only code in stalkerscan that goes online, and only when the user runs
``stalkerscan signatures update``. It uses the standard library's ``urllib`` (no telemetry,
no other host than the feed URLs, http(s) only, redirects only to http(s)).

Layout under the user data folder::

    community/
      current.json            pointer to the set in use (replaced atomically)
      sets/<stamp>/           one complete, validated set per successful update
        ioc.yaml  watchware.yaml  samples.csv  rules.yar
        metadata.json         URL, SHA-256, size and time of each file

An update downloads every file into a fresh folder under ``community/.staging-*``, checks
each (declared length, size limit, imports with zero errors, YARA compiles), writes
``metadata.json``, moves the folder into ``sets/`` and only then replaces ``current.json``.
Anything failing leaves ``current.json`` (and so the previous set) untouched.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from stalkerscan.errors import SignatureUpdateError
from stalkerscan.signatures.importers import ImportContext
from stalkerscan.signatures.loader import SIGNATURE_SUFFIXES, YARA_SUFFIXES, load_file
from stalkerscan.signatures.paths import community_dir

ECHAP_RAW = "https://raw.githubusercontent.com/AssoEchap/stalkerware-indicators/master/"
MAX_DOWNLOAD_BYTES = 64 * 1024 * 1024
STALE_AFTER_DAYS = 30
USER_AGENT = "stalkerscan signature update"
_STAGING_MAX_AGE_S = 3600


@dataclass(frozen=True)
class FeedSource:
    """One file of a community feed to fetch."""

    url: str
    """``http(s)://`` URL or a local path."""

    filename: str
    """Name to store it under (decides how it is read)."""


DEFAULT_SOURCES: tuple[FeedSource, ...] = tuple(
    FeedSource(ECHAP_RAW + name, name) for name in ("ioc.yaml", "watchware.yaml", "samples.csv", "rules.yar")
)
"""Echap's stalkerware-indicators files (CC-BY 4.0), from the repository's raw files."""


@dataclass(frozen=True)
class FetchedFile:
    """One file of a downloaded set, as recorded in ``metadata.json``."""

    name: str
    """File name in the set folder."""

    url: str
    """Where it was fetched from."""

    sha256: str
    """SHA-256 of the bytes stored."""

    size: int
    """Size in bytes."""

    fetched_at: str
    """UTC time of the download, ISO 8601."""


@dataclass(frozen=True)
class DownloadedSet:
    """The community set in use."""

    path: Path
    """Folder holding the files."""

    fetched_at: str
    """UTC time of the update that produced it."""

    source: str
    """Where it came from (the ``--from`` value, or ``default``)."""

    files: tuple[FetchedFile, ...]
    """The files, with hashes and URLs."""

    def age_days(self, now: _dt.datetime | None = None) -> float:
        """Age of the set in days."""
        moment = now or _dt.datetime.now(_dt.timezone.utc)
        return (moment - _dt.datetime.fromisoformat(self.fetched_at)).total_seconds() / 86400

    def is_stale(self, now: _dt.datetime | None = None) -> bool:
        """True when older than :data:`STALE_AFTER_DAYS`."""
        return self.age_days(now) > STALE_AFTER_DAYS


@dataclass(frozen=True)
class UpdateResult:
    """What an update installed."""

    installed: DownloadedSet
    """The new set now in use."""

    previous: DownloadedSet | None
    """The set it replaced, if any."""


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


def sources_from(location: str) -> tuple[FeedSource, ...]:
    """Feed sources for ``--from``: a URL of one file, a mirror base URL, a folder or a file."""
    parsed = urllib.parse.urlsplit(location)
    if parsed.scheme in ("http", "https"):
        name = Path(parsed.path).name
        if name and Path(name).suffix.lower() in SIGNATURE_SUFFIXES:
            return (FeedSource(location, name),)
        base = location if location.endswith("/") else location + "/"
        return tuple(FeedSource(base + s.filename, s.filename) for s in DEFAULT_SOURCES)
    if parsed.scheme and len(parsed.scheme) > 1:
        raise SignatureUpdateError(
            f"cannot update from {location!r}: only http(s) URLs, folders and files are supported",
            advice="Give an https:// URL, or the path of a folder or file on this computer.")
    path = Path(location).expanduser()
    if path.is_dir():
        files = sorted(p for p in path.iterdir()
                       if p.is_file() and p.suffix.lower() in SIGNATURE_SUFFIXES)
        if not files:
            raise SignatureUpdateError(f"folder {path} holds no signature file",
                                       advice="Point --from at a folder with ioc.yaml and friends.")
        return tuple(FeedSource(str(p), p.name) for p in files)
    if path.is_file():
        return (FeedSource(str(path), path.name),)
    raise SignatureUpdateError(f"{location!r} is neither a URL, a folder nor a file",
                               advice="Check the spelling of the --from value.")


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to http(s) URLs (GitHub raw files redirect within https), and
    never from https down to plain http (that would hand the feed to anyone on the path)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        scheme = urllib.parse.urlsplit(newurl).scheme.lower()
        if scheme not in ("http", "https"):
            raise urllib.error.HTTPError(newurl, code, "redirect to a non-http(s) URL refused",
                                         headers, fp)
        if scheme == "http" and urllib.parse.urlsplit(req.full_url).scheme.lower() == "https":
            raise urllib.error.HTTPError(newurl, code, "redirect from https to plain http refused",
                                         headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener() -> urllib.request.OpenerDirector:
    # Only http(s) handlers: no ftp:, file: or data: access through a crafted redirect.
    opener = urllib.request.OpenerDirector()
    for handler in (urllib.request.ProxyHandler(), urllib.request.HTTPHandler(),
                    urllib.request.HTTPSHandler(), urllib.request.HTTPDefaultErrorHandler(),
                    _HttpOnlyRedirects(), urllib.request.HTTPErrorProcessor()):
        opener.add_handler(handler)
    return opener


def _download(url: str, target: Path, timeout: float, max_bytes: int) -> None:
    # Scheme checked by the caller (http/https only) and by the opener (no other handlers).
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})  # noqa: S310
    try:
        with _opener().open(request, timeout=timeout) as response, target.open("xb") as out:
            declared = response.headers.get("Content-Length")
            expected = int(declared) if declared and declared.isdigit() else None
            if expected is not None and expected > max_bytes:
                raise SignatureUpdateError(f"{url} is {expected:,} bytes, over the "
                                           f"{max_bytes:,}-byte limit")
            received = 0
            while True:
                chunk = response.read(64 * 1024)
                if not chunk:
                    break
                received += len(chunk)
                if received > max_bytes:
                    raise SignatureUpdateError(f"{url} is over the {max_bytes:,}-byte limit")
                out.write(chunk)
            if expected is not None and received != expected:
                raise SignatureUpdateError(
                    f"download of {url} was cut short ({received:,} of {expected:,} bytes)")
    except SignatureUpdateError:
        raise
    except urllib.error.HTTPError as exc:
        raise SignatureUpdateError(f"{url} answered HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        raise SignatureUpdateError(f"cannot reach {url}: {exc.reason}") from exc
    except (OSError, ValueError) as exc:  # connection reset, IncompleteRead, timeouts
        raise SignatureUpdateError(f"download of {url} failed: {exc}") from exc


def _copy_local(source: str, target: Path, max_bytes: int) -> None:
    path = Path(source)
    try:
        if path.stat().st_size > max_bytes:
            raise SignatureUpdateError(f"{path} is over the {max_bytes:,}-byte limit")
        shutil.copyfile(path, target)
    except OSError as exc:
        raise SignatureUpdateError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _validate(path: Path, url: str) -> None:
    """Import (or compile) a downloaded file; any error rejects the whole update."""
    if path.suffix.lower() in YARA_SUFFIXES:
        try:
            import yara

            # No include directives: a feed must not make YARA open other files on this computer
            # (scans compile with includes=False too).
            yara.compile(filepath=str(path), includes=False)
        except Exception as exc:  # yara.SyntaxError, yara.Error
            raise SignatureUpdateError(f"YARA rules from {url} do not compile: {exc}") from exc
        return
    result = load_file(path, ImportContext(display_path=url))
    if result.errors or not result.families:
        detail = "; ".join(str(p) for p in result.errors[:3]) or "it holds no signature family"
        raise SignatureUpdateError(f"content from {url} is not a valid signature file: {detail}")


def read_metadata(set_dir: Path) -> DownloadedSet | None:
    """The set described by ``set_dir/metadata.json``, or ``None`` when unreadable."""
    try:
        meta = json.loads((set_dir / "metadata.json").read_text("utf-8"))
        files = tuple(FetchedFile(**f) for f in meta["files"])
        return DownloadedSet(set_dir, meta["fetched_at"], meta.get("source", "default"), files)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def current_set(data_dir: Path | None = None) -> DownloadedSet | None:
    """The downloaded community set in use, or ``None`` (never updated, or unreadable)."""
    root = community_dir(data_dir)
    try:
        pointer = json.loads((root / "current.json").read_text("utf-8"))
        set_dir = root / "sets" / str(pointer["set"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if set_dir.parent != root / "sets" or not set_dir.is_dir():
        return None
    return read_metadata(set_dir)


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def update_signatures(sources: Sequence[FeedSource] | str | None = None, *,
                      data_dir: Path | None = None, http_timeout: float = 30.0,
                      max_bytes: int = MAX_DOWNLOAD_BYTES) -> UpdateResult:
    """Fetch ``sources`` (default: Echap's feed; a string is a ``--from`` location), validate
    them, and make them the community set in use. Raises :class:`SignatureUpdateError` and
    keeps the previous set on any failure."""
    if isinstance(sources, str):
        origin = sources
        feed = sources_from(sources)
    else:
        origin = "default" if sources is None else "custom"
        feed = tuple(sources) if sources is not None else DEFAULT_SOURCES
    names = [s.filename for s in feed]
    if len(set(names)) != len(names):
        raise SignatureUpdateError("two feed files would be stored under the same name")
    root = community_dir(data_dir)
    (root / "sets").mkdir(parents=True, exist_ok=True, mode=0o700)
    previous = current_set(data_dir)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=root))
    try:
        fetched: list[FetchedFile] = []
        for source in feed:
            name = Path(source.filename).name
            if not name or name in (".", "..") or name == "metadata.json":
                raise SignatureUpdateError(f"unusable file name {source.filename!r}")
            target = staging / name
            if urllib.parse.urlsplit(source.url).scheme in ("http", "https"):
                _download(source.url, target, http_timeout, max_bytes)
            else:
                _copy_local(source.url, target, max_bytes)
            _validate(target, source.url)
            digest = hashlib.sha256(target.read_bytes()).hexdigest()
            fetched.append(FetchedFile(name, source.url, digest, target.stat().st_size, _now()))
        stamp = _now()
        metadata = {"format": 1, "fetched_at": stamp, "source": origin,
                    "files": [asdict(f) for f in fetched]}
        (staging / "metadata.json").write_text(json.dumps(metadata, indent=2) + "\n", "utf-8")
        set_name = stamp.replace(":", "").replace("+0000", "Z") + "-" + staging.name.rsplit("-", 1)[-1]
        final = root / "sets" / set_name
        os.replace(staging, final)
        _write_atomic(root / "current.json", json.dumps({"set": set_name}) + "\n")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _prune(root, keep={set_name, previous.path.name if previous else ""})
    installed = read_metadata(final)
    assert installed is not None  # just written
    return UpdateResult(installed, previous)


def _prune(root: Path, keep: set[str]) -> None:
    """Remove sets other than the current one and the one before it, and staging folders
    left by an interrupted update (old enough not to belong to one running now)."""
    for old in (p for p in (root / "sets").iterdir() if p.is_dir() and p.name not in keep):
        shutil.rmtree(old, ignore_errors=True)
    cutoff = _dt.datetime.now().timestamp() - _STAGING_MAX_AGE_S
    for leftover in root.glob(".staging-*"):
        try:
            if leftover.stat().st_mtime < cutoff:
                shutil.rmtree(leftover, ignore_errors=True)
        except OSError:
            continue
