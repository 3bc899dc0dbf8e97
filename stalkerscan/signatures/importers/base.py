"""The small interface every feed importer implements."""

from __future__ import annotations

import csv
import io
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from stalkerscan.model.findings import Provenance
from stalkerscan.signatures import model as m
from stalkerscan.signatures.model import ImportResult, SignatureProblem

MAX_FEED_BYTES = 64 * 1024 * 1024
"""Largest feed file any importer reads (Echap's full STIX bundle is about 5 MB)."""


@dataclass(frozen=True)
class ImportContext:
    """What the caller knows about a file beyond its content."""

    source: str | None = None
    """Provenance source name to use instead of the importer's default."""

    licence: str | None = None
    """Licence to record instead of the importer's default."""

    version: str | None = None
    """Version or date of the set (e.g. the download date of a community feed)."""

    display_path: str | None = None
    """How to name the file in messages and provenance (defaults to the path)."""


class Importer(ABC):
    """Reads one feed format into :class:`~stalkerscan.signatures.model.Family` records.

    Importers never raise on bad content: broken files come back as an
    :class:`ImportResult` with located ``error`` problems and no families.
    """

    format: str = ""
    """Short name of the format, e.g. ``echap-yaml``."""

    description: str = ""
    """One line for humans."""

    @abstractmethod
    def sniff(self, path: Path, head: bytes) -> bool:
        """True when ``path`` (whose first bytes are ``head``) is in this format."""

    @abstractmethod
    def load(self, path: Path, context: ImportContext | None = None) -> ImportResult:
        """Read ``path``."""

    # ------------------------------------------------------------------ shared helpers
    def provenance(self, path: Path, context: ImportContext | None, *, source: str,
                   licence: str | None, reference: str | None = None) -> Provenance:
        """The provenance every family from ``path`` carries."""
        ctx = context or ImportContext()
        return Provenance(
            source=ctx.source or source,
            licence=ctx.licence or licence,
            version=ctx.version,
            reference=reference,
            file=ctx.display_path or str(path),
        )

    @staticmethod
    def display(path: Path, context: ImportContext | None) -> str:
        """The file name used in messages."""
        return (context.display_path if context and context.display_path else None) or str(path)


def read_limited(path: Path, limit: int, display: str) -> bytes:
    """Read a whole file, refusing one over ``limit`` bytes. Raises ``SignatureError``."""
    from stalkerscan.errors import SignatureError

    try:
        size = path.stat().st_size
        if size > limit:
            raise SignatureError(
                f"file is {size:,} bytes, over the {limit:,}-byte limit for this format",
                advice="Check that this is really a signature file.", location=display)
        with path.open("rb") as handle:
            # Read what the file holds (plus one byte, to notice it growing past the limit),
            # not `limit` bytes: a 64 MiB limit must not cost 64 MiB for a 300 KB file.
            data = handle.read(min(size, limit) + 1)
    except OSError as exc:
        raise SignatureError(f"cannot read file: {exc.strerror or exc}", location=display) from exc
    if len(data) > limit:
        raise SignatureError(f"file is over the {limit:,}-byte limit for this format",
                             location=display)
    return data


class CsvImporter(Importer):
    """An importer for a CSV feed recognised by the names of its first columns."""

    header: tuple[str, ...] = ()
    """The column names the first line must start with."""

    def sniff(self, path: Path, head: bytes) -> bool:
        first = head.decode("utf-8-sig", "replace").splitlines()[:1]
        return bool(first) and [c.strip() for c in first[0].split(",")][:3] == list(self.header[:3])

    def rows(self, path: Path, display: str) -> tuple[Iterator[tuple[int, list[str]]] | None, ImportResult | None]:
        """The data rows as ``(line, cells)``, or the failed :class:`ImportResult` to return
        (unreadable, not UTF-8, wrong header). Blank rows are skipped."""
        from stalkerscan.errors import SignatureError

        def failed(code: str, message: str, where: str) -> ImportResult:
            return ImportResult((), (SignatureProblem(m.SEVERITY_ERROR, code, message, where),),
                                self.format, display)

        try:
            text = read_limited(path, MAX_FEED_BYTES, display).decode("utf-8-sig")
        except SignatureError as exc:
            return None, failed("unreadable", exc.message, exc.location or display)
        except UnicodeDecodeError:
            return None, failed("not-utf8", "file is not UTF-8 text", display)
        reader = csv.reader(io.StringIO(text, newline=""))
        first = next(reader, None)
        if first is None or [c.strip() for c in first][: len(self.header)] != list(self.header):
            return None, failed("bad-header", f"first line must be {','.join(self.header)}", f"{display}:1")

        def data_rows() -> Iterator[tuple[int, list[str]]]:
            for row in reader:
                if row and any(cell.strip() for cell in row):
                    yield reader.line_num, row

        return data_rows(), None
