"""Progress reporting from acquisition to whoever shows it (rich in the CLI, nothing in tests)."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """What acquisition tells the person waiting."""

    def start(self, total: int) -> None:
        """A phase with ``total`` steps begins."""

    def step(self, description: str) -> None:
        """The next step begins; ``description`` is a short plain sentence."""

    def warn(self, message: str) -> None:
        """Something worth telling but not stopping for."""

    def done(self) -> None:
        """The phase ended (normally or not)."""


class NullProgress:
    """Shows nothing; keeps warnings for tests."""

    def __init__(self) -> None:
        self.warnings: list[str] = []
        self.steps: list[str] = []

    def start(self, total: int) -> None:
        pass

    def step(self, description: str) -> None:
        self.steps.append(description)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def done(self) -> None:
        pass
