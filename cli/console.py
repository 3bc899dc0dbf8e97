"""Printing for the command line: rich consoles, errors with advice, progress."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from stalkerscan.errors import EXIT_INCOMPLETE, EXIT_USAGE, StalkerscanError
from stalkerscan.model.common import clean_excerpt

F = TypeVar("F", bound=Callable[..., Any])

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


_SAFE_LIMIT = 100_000
"""Longest device or file text printed whole; longer text is cut with an ellipsis."""


def safe(text: object) -> str:
    """Device or file text made safe for rich markup and the terminal (no control characters)."""
    return escape(clean_excerpt(str(text), limit=_SAFE_LIMIT))


def print_error(error: StalkerscanError) -> None:
    """An error: what happened, then what to do."""
    err.print(f"[bold red]Error:[/] {safe(error.message)}")
    if error.advice:
        err.print(f"[yellow]What to do:[/] {safe(error.advice)}")


def handle_errors(func: F) -> F:
    """Turn stalkerscan errors into a clear message and the documented exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except StalkerscanError as error:
            print_error(error)
            sys.exit(error.exit_code)
        except KeyboardInterrupt:
            err.print("[yellow]Stopped (Ctrl-C).[/] Anything already saved in the case folder is kept.")
            sys.exit(EXIT_INCOMPLETE)
        except OSError as error:
            err.print(f"[bold red]Error:[/] {safe(error)}")
            sys.exit(EXIT_USAGE)

    return wrapper  # type: ignore[return-value]


class RichProgress:
    """Acquisition progress as a rich progress bar (plain lines when not on a terminal)."""

    def __init__(self, console: Console = err) -> None:
        self.console = console
        self._progress: Progress | None = None
        self._task: Any = None
        self._stepped = False

    def start(self, total: int) -> None:
        self.done()
        self._progress = Progress(
            TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(), console=self.console, transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task("Starting", total=total)
        self._stepped = False

    def step(self, description: str) -> None:
        if self._progress is None:
            self.console.print(safe(description))
            return
        if self._stepped:
            self._progress.advance(self._task)  # the step before this one is done
        self._stepped = True
        self._progress.update(self._task, description=safe(description))
        if not self.console.is_terminal:
            self.console.print(safe(description))

    def warn(self, message: str) -> None:
        self.console.print(f"[yellow]Note:[/] {safe(message)}")

    def done(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
