"""What every acquisition (Android or iPhone) reports when it ends, and how it stops early."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from stalkerscan.acquire.progress import Progress
from stalkerscan.errors import CaseWriteError, DeviceError

STOPPED_BY_CTRL_C = "The scan was stopped (Ctrl-C) before it finished."


@dataclass(frozen=True)
class AcquisitionResult:
    """How an acquisition went."""

    complete: bool
    """True when every step ran (individual answers may still be errors on the phone)."""

    reason: str | None
    """Why it stopped early, in plain words (None when complete)."""

    requests: int
    """Requests sent to read the phone: shell requests on Android (APK pulls excluded),
    lockdown and service requests on an iPhone."""

    bytes_read: int
    """Bytes kept from the phone."""

    clock_drift_start_s: float | None
    """Phone clock minus computer clock at the start, seconds."""

    clock_drift_end_s: float | None
    """The same at the end."""

    pull_requests: int = 0
    """Android: requests sent to pull APKs (``pm path`` plus sync reads)."""

    failed_artifacts: tuple[str, ...] = ()
    """Artifacts for which the phone refused every variant, or that could not be read."""

    error: DeviceError | CaseWriteError | None = field(default=None, compare=False)
    """The error that stopped the acquisition, if any."""


class StopAcquisition(Exception):
    """Raised inside an acquirer when the plan cannot continue; becomes an incomplete result."""

    def __init__(self, reason: str, error: DeviceError | CaseWriteError | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.error = error


def run_plan(progress: Progress, steps: int, plan: Callable[[], None]) -> StopAcquisition | None:
    """Run an acquirer's ``plan`` as one phase of ``steps`` steps shown by ``progress``.

    Returns None when the plan ran to its end, else why it stopped early: the
    :class:`StopAcquisition` it raised, or Ctrl-C. Anything else (a bug) goes on up.
    """
    progress.start(steps)
    try:
        plan()
    except KeyboardInterrupt:
        return StopAcquisition(STOPPED_BY_CTRL_C, None)
    except StopAcquisition as stop:
        return stop
    finally:
        progress.done()
    return None
