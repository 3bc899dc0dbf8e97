"""The small interface every feed importer implements, and the shared readers of the
three kinds of file feeds come in (one YAML document, CSV with a header, JSON)."""

from __future__ import annotations

import csv
import io
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from stalkerscan.errors import SignatureError
from stalkerscan.model.findings import Provenance
from stalkerscan.signatures import model as m
from stalkerscan.signatures.model import Family, ImportResult, SignatureProblem
from stalkerscan.signatures.yamlsafe import MAX_YAML_BYTES, YamlDocument, load_yaml

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

    def failed(self, display: str, code: str, message: str, location: str) -> ImportResult:
        """The result for a file that cannot be used at all: no family, one located error."""
        return ImportResult((), (SignatureProblem(m.SEVERITY_ERROR, code, message, location),),
                            self.format, display)

    def unreadable(self, display: str, error: SignatureError) -> ImportResult:
        """:meth:`failed` for a file :func:`read_limited` or the YAML loader refused."""
        # The error's text starts with its location; the problem carries that separately.
        message = (error.message.removeprefix(f"{error.location}: ") if error.location
                   else error.message)
        return self.failed(display, "unreadable", message, error.location or display)


def read_limited(path: Path, limit: int, display: str) -> bytes:
    """Read a whole file, refusing one over ``limit`` bytes. Raises ``SignatureError``."""
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


def first_content_line(head: bytes) -> str | None:
    """The first line of ``head`` that is not blank, a comment or a document start (``---``)."""
    for raw in head.decode("utf-8", "replace").splitlines():
        line = raw.strip()
        if line and not line.startswith("#") and line != "---":
            return line
    return None


class YamlImporter(Importer):
    """An importer of one YAML document, read with the safe loader (:mod:`..yamlsafe`)."""

    def load(self, path: Path, context: ImportContext | None = None) -> ImportResult:
        display = self.display(path, context)
        try:
            doc = load_yaml(read_limited(path, MAX_YAML_BYTES, display), display)
        except SignatureError as exc:
            return self.unreadable(display, exc)
        return self.load_document(doc, path, context)

    @abstractmethod
    def load_document(self, doc: YamlDocument, path: Path,
                      context: ImportContext | None = None) -> ImportResult:
        """Read an already parsed document (``doc.source`` names the file)."""


class CsvImporter(Importer):
    """An importer for a CSV feed recognised by the names of its first columns.

    :meth:`load` reads the file, checks the header and hands the data rows, trimmed to the
    header's columns, to :meth:`read_rows`; blank rows are skipped and short rows skipped with
    a located warning.
    """

    header: tuple[str, ...] = ()
    """The column names the first line must start with."""

    def sniff(self, path: Path, head: bytes) -> bool:
        first = head.decode("utf-8-sig", "replace").splitlines()[:1]
        return bool(first) and [c.strip() for c in first[0].split(",")][:3] == list(self.header[:3])

    def load(self, path: Path, context: ImportContext | None = None) -> ImportResult:
        display = self.display(path, context)
        try:
            text = read_limited(path, MAX_FEED_BYTES, display).decode("utf-8-sig")
        except SignatureError as exc:
            return self.unreadable(display, exc)
        except UnicodeDecodeError:
            return self.failed(display, "not-utf8", "file is not UTF-8 text", display)
        reader = csv.reader(io.StringIO(text, newline=""))
        first = next(reader, None)
        if first is None or [c.strip() for c in first][: len(self.header)] != list(self.header):
            return self.failed(display, "bad-header", f"first line must be {','.join(self.header)}",
                               f"{display}:1")
        problems: list[SignatureProblem] = []
        width = len(self.header)

        def data_rows() -> Iterator[tuple[int, list[str]]]:
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) < width:
                    problems.append(SignatureProblem(
                        m.SEVERITY_WARNING, "short-row",
                        f"row has {len(row)} columns, expected {width}; skipped",
                        f"{display}:{reader.line_num}"))
                    continue
                yield reader.line_num, [cell.strip() for cell in row[:width]]

        families = self.read_rows(data_rows(), path, context, problems)
        return ImportResult(families, tuple(problems), self.format, display)

    @abstractmethod
    def read_rows(self, rows: Iterator[tuple[int, list[str]]], path: Path,
                  context: ImportContext | None,
                  problems: list[SignatureProblem]) -> tuple[Family, ...]:
        """Families from the data rows ``(line, cells)``; warnings go to ``problems``."""
