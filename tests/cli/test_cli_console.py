"""The command line's progress display and error handling, without a terminal."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from stalkerscan.cli.console import RichProgress, handle_errors, safe

from stalkerscan.errors import EXIT_DEVICE, EXIT_INCOMPLETE, DeviceError


def console() -> Console:
    return Console(file=io.StringIO(), force_terminal=False, width=100)


def test_progress_counts_finished_steps_and_prints_each_when_not_on_a_terminal():
    progress = RichProgress(console())
    progress.start(4)
    progress.step("Reading the phone's clock")
    task = progress._progress.tasks[0]
    assert (task.completed, task.total, task.description) == (0, 4, "Reading the phone's clock")
    progress.step("Listing installed apps")
    progress.step("Starting")  # a step may have any name, even the bar's own first label
    progress.step("Checking for root")
    assert progress._progress.tasks[0].completed == 3
    progress.warn("The phone refused [one] thing")
    progress.done()
    assert progress._progress is None
    # A new phase starts counting again (APK pulls after the plan).
    progress.start(1)
    progress.step("Copying the app file of org.example.app")
    assert progress._progress.tasks[0].completed == 0
    progress.done()
    text = progress.console.file.getvalue()
    for line in ("Reading the phone's clock", "Listing installed apps", "Starting",
                 "Note: The phone refused [one] thing", "Copying the app file of org.example.app"):
        assert line in text


def test_errors_become_a_message_advice_and_the_documented_exit_code(monkeypatch):
    shown = console()
    monkeypatch.setattr("stalkerscan.cli.console.err", shown)

    @handle_errors
    def unplugged() -> None:
        raise DeviceError("The phone stopped answering.", "Check the cable.")

    @handle_errors
    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(SystemExit) as exit_info:
        unplugged()
    assert exit_info.value.code == EXIT_DEVICE
    with pytest.raises(SystemExit) as exit_info:
        interrupted()
    assert exit_info.value.code == EXIT_INCOMPLETE
    text = shown.file.getvalue()
    assert "Error: The phone stopped answering." in text and "What to do: Check the cable." in text
    assert "Stopped (Ctrl-C)." in text


def test_safe_text_cannot_inject_markup_or_control_characters():
    assert safe("[bold]x\x1b[2J\u202e") == "\\[bold]x\N{REPLACEMENT CHARACTER}[2J\N{REPLACEMENT CHARACTER}"
