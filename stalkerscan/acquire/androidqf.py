"""Importing an androidqf acquisition folder as a case (``scan --androidqf FOLDER``).

Clinics often already hold androidqf folders (the MVT project's acquisition tool). Importing
one copies every file into the new case's ``import/`` folder byte for byte, hashing each into
the custody log as it is copied; the original folder is only read. Analysis then reads the
preserved copy, exactly as for a live scan, so the case can be verified and re-analysed.
"""

from __future__ import annotations

import dataclasses
import os
import stat
from collections.abc import Sequence
from pathlib import Path

from stalkerscan.acquire.progress import NullProgress, Progress
from stalkerscan.errors import CaseError, InputFileError
from stalkerscan.model.android import AndroidInventory
from stalkerscan.model.artifacts import Outcome
from stalkerscan.model.common import SourceRef
from stalkerscan.preserve.case import CaseFolder, RecordWriter, safe_component

IMPORT_DIR = "import"
ARTIFACT = "androidqf_file"
MAX_FILES = 10_000
MAX_FILE_BYTES = 4 * 1024 * 1024 * 1024
_CHUNK = 1024 * 1024


def androidqf_files(folder: Path) -> list[Path]:
    """The regular files of an androidqf folder (symbolic links are not followed), sorted.

    Raises :class:`InputFileError` when the folder does not look like one androidqf acquisition,
    before anything is created.
    """
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.is_symlink() or not path.is_file():
                continue
            found.append(path)
            if len(found) > MAX_FILES:
                raise InputFileError(
                    f"{folder} holds more than {MAX_FILES} files; it does not look like an androidqf folder.",
                    "Give the folder androidqf created for one phone.",
                )
    if not any(p.name in ("packages.json", "dumpsys.txt", "getprop.txt") for p in found):
        raise InputFileError(
            f"{folder} does not look like an androidqf acquisition (no packages.json, dumpsys.txt or getprop.txt).",
            "Give the folder androidqf created for one phone.",
        )
    return found


def _case_name(relative: Path) -> str:
    """The copy's path inside ``import/``: every part made safe."""
    parts = [safe_component(part, "file") for part in relative.parts]
    return "/".join([IMPORT_DIR, *parts])


def _copy(path: Path, writer: RecordWriter) -> str | None:
    """Copy one file into its record's ``data`` stream; why it was not copied whole, or None."""
    size = 0
    try:
        with path.open("rb") as handle:
            writer.write("data", b"")  # an empty file is kept as an empty file
            while chunk := handle.read(_CHUNK):
                size += len(chunk)
                if size > MAX_FILE_BYTES:
                    return f"larger than {MAX_FILE_BYTES} bytes; not copied further"
                writer.write("data", chunk)
    except OSError as exc:  # reading the original (writing the case raises CaseWriteError)
        return f"could not read: {exc.strerror or exc}"
    return None


def import_androidqf(folder: Path, files: Sequence[Path], case: CaseFolder, *,
                     progress: Progress | None = None) -> list[str]:
    """Copy ``files`` (from :func:`androidqf_files`) of an androidqf folder into the case;
    returns the files (relative to the folder) that could not be copied whole."""
    progress = progress or NullProgress()
    progress.start(len(files))
    not_copied: list[str] = []
    try:
        for path in files:
            relative = path.relative_to(folder)
            progress.step(f"Copying {relative.as_posix()[:80]}")
            writer = case.begin_record(ARTIFACT, channel="androidqf", request=relative.as_posix(),
                                       stream_paths={"data": _case_name(relative)})
            with writer:
                problem = _copy(path, writer)
                if problem is not None:
                    writer.finish(Outcome.FAILED, error=problem)
                    not_copied.append(relative.as_posix())
    finally:
        progress.done()
    return not_copied


def _not_plain(folder: Path) -> list[str]:
    """Entries under ``folder`` that are neither folders nor regular files (links, FIFOs,
    devices), relative to its parent; the folder itself when it is a link."""
    if folder.is_symlink():
        return [folder.name]
    found = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            try:
                mode = path.lstat().st_mode
            except OSError:
                continue
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                found.append(path.relative_to(folder.parent).as_posix())
    return sorted(found)


def inventory_from_case(case: CaseFolder) -> AndroidInventory:
    """Parse the androidqf copy kept in a case; sources point at the case's own files.

    The parser reads the copy as a folder, so a case in which something other than stalkerscan
    put a link (or a FIFO) there is refused first: a link could make it read, and the report
    show, a file from anywhere on this computer.
    """
    from stalkerscan.parse.android.androidqf import build_inventory_from_androidqf

    unusable = _not_plain(case.root / IMPORT_DIR)
    if unusable:
        raise CaseError(
            f"The androidqf copy in {case.root} was not read: {', '.join(unusable[:5])} is not a "
            "regular file (a link, FIFO or device).",
            "The case folder has been changed by something other than stalkerscan; run "
            "`stalkerscan verify` on it and keep it as it is.",
        )
    inventory = build_inventory_from_androidqf(case.root / IMPORT_DIR)

    def moved(ref: SourceRef) -> SourceRef:
        return dataclasses.replace(ref, path=f"{IMPORT_DIR}/{ref.path}") if not ref.path.startswith(IMPORT_DIR) else ref

    return dataclasses.replace(
        inventory,
        apps=tuple(dataclasses.replace(app, sources=tuple(moved(s) for s in app.sources)) for app in inventory.apps),
    )
