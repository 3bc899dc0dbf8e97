"""What every benchmark shares: one row type, median timing, the machine, the shared feeds.

Benchmarks print figures; they never assert on them (the machine is shared and noisy).
Scripts in this folder import this module as ``_common`` (their folder is on ``sys.path``
when run as ``python benchmarks/NAME.py``).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

REPOSITORY = Path(__file__).resolve().parents[1]
"""The stalkerscan checkout this folder belongs to."""


@dataclass(frozen=True)
class Row:
    """One line of the benchmark table."""

    section: str
    """What is measured, broadly: ``Android scan``, ``iPhone scan``, ``Signatures``, ``YARA``,
    ``Memory``."""

    measure: str
    """This row's case in a few words, e.g. ``300 apps, 10 ms/request, --pull-apks none``."""

    value: float | None
    """The figure (median over ``repeats``) in ``unit``; None when not measured (see note)."""

    unit: str
    """``s``, ``ms``, ``MB/s`` or ``MB``."""

    repeats: int | None = None
    """How many runs the median is over (None when not measured)."""

    shell_requests: int | None = None
    """Shell requests the scanner sent to the phone (Android scans)."""

    apk_requests: int | None = None
    """Requests spent on APK files: ``pm path`` plus sync pulls (Android scans)."""

    bytes_read: int | None = None
    """Bytes read from the phone and kept as evidence (Android scans), or scanned (YARA)."""

    apps: int | None = None
    """Apps the scan found on the phone (scans) or matched (signatures)."""

    extra: str = ""
    """A secondary figure, e.g. the acquisition share of a scan's wall time."""

    note: str = ""
    """Context: a target and whether it is met, why a row was skipped, what a figure includes."""


def skipped(section: str, measure: str, unit: str, why: str) -> Row:
    """A row that could not be measured on this machine, saying why."""
    return Row(section, measure, None, unit, note=why)


def timed(fn: Callable[[], T], repeat: int) -> tuple[list[float], T]:
    """Run ``fn`` ``repeat`` times; wall seconds of each run and the last result."""
    times: list[float] = []
    result: Any = None
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return times, result


def median(values: Sequence[float]) -> float:
    """The median (the figure every row reports)."""
    return float(statistics.median(values))


def target_note(value: float, target: float, unit: str) -> str:
    """``target < 150 ms: met`` or ``... not met``: printed, never asserted."""
    return f"target < {target:g} {unit}: {'met' if value < target else 'NOT met'}"


def shared_dir() -> Path | None:
    """``shared/`` beside the checkout (real third-party data: read in place, never copied)."""
    for parent in REPOSITORY.parents:
        candidate = parent / "shared"
        if candidate.is_dir():
            return candidate
    return None


def echap_dir() -> Path | None:
    """Echap's stalkerware-indicators feed in ``shared/feeds/echap``, if present."""
    shared = shared_dir()
    candidate = shared / "feeds" / "echap" if shared else None
    return candidate if candidate and (candidate / "ioc.yaml").is_file() else None


def echap_signature_files() -> list[Path]:
    """The full Echap feed with samples (and its YARA rules), or nothing when absent."""
    echap = echap_dir()
    if echap is None:
        return []
    names = ("ioc.yaml", "watchware.yaml", "samples.csv", "rules.yar")
    return [echap / name for name in names if (echap / name).is_file()]


# --------------------------------------------------------------------------- the machine
def cpu_model() -> str:
    """The CPU's marketing name (``platform.processor()`` is empty on most Linux systems)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    if platform.system() == "Darwin":
        try:
            return subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True,
                                  text=True, timeout=5, check=False).stdout.strip() or platform.machine()
        except (OSError, subprocess.SubprocessError):
            pass
    return platform.processor() or platform.machine()


def memory_total_gb() -> float | None:
    """Installed memory in GB (Linux), else None."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def git_commit() -> str | None:
    """The checkout's short commit id (and ``+changes`` when the tree is not clean)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPOSITORY, capture_output=True,
                              text=True, timeout=10, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head or None


def machine_facts() -> dict[str, str]:
    """CPU, cores, memory, OS, Python, load, date: the header of every table."""
    from stalkerscan import __version__

    memory = memory_total_gb()
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    facts = {
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "cores": str(os.cpu_count() or "?"),
        "memory": f"{memory:.1f} GB" if memory else "unknown",
        "os": platform.platform(terse=False),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "stalkerscan": f"{__version__}" + (f" ({git_commit()})" if git_commit() else ""),
    }
    if load is not None:
        facts["load average at start"] = " ".join(f"{x:.2f}" for x in load)
    return facts


@contextlib.contextmanager
def isolated_home(work: Path) -> Iterator[Path]:
    """Point HOME and the XDG folders at ``work/home`` for the block (children inherit it):
    signature and YARA caches never touch the user's own."""
    home = work / "home"
    home.mkdir(parents=True, exist_ok=True)
    names = ("HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME")
    saved = {name: os.environ.get(name) for name in names}
    os.environ["HOME"] = str(home)
    for name in names[1:]:
        os.environ[name] = str(home / name.lower())
    try:
        yield home
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# --------------------------------------------------------------------------- the table
COLUMNS = ("Section", "Measure", "Median", "n", "Shell req.", "APK req.", "Bytes", "Apps", "Also", "Notes")


def format_value(row: Row) -> str:
    """The figure with its unit, or ``-`` when not measured."""
    if row.value is None:
        return "-"
    if row.unit == "s":
        return f"{row.value:.2f} s"
    if row.unit == "ms":
        return f"{row.value:.2f} ms" if row.value < 10 else f"{row.value:.1f} ms"
    if row.unit in ("MB/s", "MB"):
        return f"{row.value:.1f} {row.unit}" if row.value < 10 else f"{row.value:.0f} {row.unit}"
    return f"{row.value:g} {row.unit}"


def format_bytes(count: int | None) -> str:
    """Decimal megabytes (or kB) for the table."""
    if count is None:
        return ""
    if count >= 1_000_000:
        return f"{count / 1e6:.1f} MB"
    return f"{count / 1e3:.0f} kB"


def row_cells(row: Row, note_ref: str = "") -> list[str]:
    """One row's cells, in :data:`COLUMNS` order (the note as a footnote reference)."""
    def number(value: int | None) -> str:
        return "" if value is None else f"{value:,}"

    return [row.section, row.measure, format_value(row), number(row.repeats), number(row.shell_requests),
            number(row.apk_requests), format_bytes(row.bytes_read), number(row.apps), row.extra, note_ref]


def footnotes(rows: Sequence[Row]) -> tuple[list[str], list[str]]:
    """Each row's footnote reference (``[1]``, shared by rows with the same note) and the notes."""
    numbers: dict[str, int] = {}
    refs = []
    for row in rows:
        if not row.note:
            refs.append("")
            continue
        number = numbers.setdefault(row.note, len(numbers) + 1)
        refs.append(f"[{number}]")
    return refs, [f"[{n}] {note}" for note, n in numbers.items()]


def render_table(rows: Sequence[Row], facts: dict[str, str], *, markdown: bool = False,
                 width: int = 180) -> str:
    """The one table, machine first and notes last: rich's box drawing, or Markdown."""
    import io

    from rich import box
    from rich.console import Console
    from rich.table import Table

    refs, notes = footnotes(rows)
    table = Table(box=box.MARKDOWN if markdown else box.SIMPLE_HEAD, show_edge=markdown, pad_edge=markdown)
    for name in COLUMNS:
        numeric = name in ("Median", "n", "Shell req.", "APK req.", "Bytes", "Apps")
        table.add_column(name, justify="right" if numeric else "left", no_wrap=markdown)
    previous = None
    for row, ref in zip(rows, refs, strict=True):
        cells = row_cells(row, ref)
        if row.section == previous:
            cells[0] = ""
        elif previous is not None and not markdown:
            table.add_section()
        previous = row.section
        table.add_row(*cells)
    buffer = io.StringIO()
    console = Console(file=buffer, width=1000 if markdown else width, color_system=None, highlight=False,
                      markup=False, emoji=False)
    console.print(table)
    body = "\n".join(line.rstrip() for line in buffer.getvalue().strip("\n").splitlines())
    if markdown:
        head = "\n".join(f"- {key}: {value}" for key, value in facts.items())
        tail = "\n".join(f"- {note}" for note in notes)
    else:
        head = "stalkerscan benchmarks\n" + "\n".join(f"  {key}: {value}" for key, value in facts.items())
        tail = "\n".join(notes)
    return f"{head}\n\n{body}\n\n{tail}\n" if notes else f"{head}\n\n{body}\n"
