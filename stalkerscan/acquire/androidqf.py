"""Importing an androidqf acquisition folder as a case (``scan --androidqf FOLDER``).

Clinics often already hold androidqf folders (the MVT project's acquisition tool). Importing
one copies every file into the new case's ``import/`` folder byte for byte, hashing each into
the custody log as it is copied; the original folder is only read. Analysis then reads the
preserved copy, exactly as for a live scan, so the case can be verified and re-analysed.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from stalkerscan.acquire.progress import NullProgress, Progress
from stalkerscan.errors import CaseWriteError, InputFileError
from stalkerscan.model.android import AndroidInventory
from stalkerscan.model.artifacts import Outcome
from stalkerscan.model.common import SourceRef
from stalkerscan.preserve.case import CaseFolder, safe_component

IMPORT_DIR = "import"
ARTIFACT = "androidqf_file"
MAX_FILES = 10_000
MAX_FILE_BYTES = 4 * 1024 * 1024 * 1024
_CHUNK = 1024 * 1024


def _files(folder: Path) -> list[Path]:
    """Regular files under the folder (symbolic links are not followed), sorted."""
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
    return found


def _case_name(relative: Path) -> str:
    """The copy's path inside ``import/``: every part made safe."""
    parts = [safe_component(part, "file") for part in relative.parts]
    return "/".join([IMPORT_DIR, *parts])


def import_androidqf(folder: Path, case: CaseFolder, *, progress: Progress | None = None) -> int:
    """Copy every file of an androidqf folder into the case; returns how many were copied."""
    progress = progress or NullProgress()
    files = _files(folder)
    if not any(p.name in ("packages.json", "dumpsys.txt", "getprop.txt") for p in files):
        raise InputFileError(
            f"{folder} does not look like an androidqf acquisition (no packages.json, dumpsys.txt or getprop.txt).",
            "Give the folder androidqf created for one phone.",
        )
    progress.start(len(files))
    copied = 0
    try:
        for path in files:
            relative = path.relative_to(folder)
            progress.step(f"Copying {relative.as_posix()[:80]}")
            writer = case.begin_record(ARTIFACT, channel="androidqf", request=relative.as_posix(),
                                       stream_paths={"data": _case_name(relative)})
            try:
                size = 0
                with path.open("rb") as handle:
                    while chunk := handle.read(_CHUNK):
                        size += len(chunk)
                        if size > MAX_FILE_BYTES:
                            writer.finish(Outcome.FAILED, error=f"larger than {MAX_FILE_BYTES} bytes; not copied further")
                            break
                        writer.write("data", chunk)
                    else:
                        writer.write("data", b"")  # an empty file is kept as an empty file
                        writer.finish(Outcome.OK)
                        copied += 1
            except CaseWriteError:
                raise
            except OSError as exc:
                writer.finish(Outcome.FAILED, error=f"could not read: {exc.strerror or exc}")
    finally:
        progress.done()
    return copied


def inventory_from_case(case: CaseFolder) -> AndroidInventory:
    """Parse the androidqf copy kept in a case; sources point at the case's own files."""
    from stalkerscan.parse.android.androidqf import build_inventory_from_androidqf

    inventory = build_inventory_from_androidqf(case.root / IMPORT_DIR)

    def moved(ref: SourceRef) -> SourceRef:
        return dataclasses.replace(ref, path=f"{IMPORT_DIR}/{ref.path}") if not ref.path.startswith(IMPORT_DIR) else ref

    return dataclasses.replace(
        inventory,
        apps=tuple(dataclasses.replace(app, sources=tuple(moved(s) for s in app.sources)) for app in inventory.apps),
    )
