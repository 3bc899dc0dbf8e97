"""The Android acquisition plan: a fixed, batched list of reads, whatever the number of apps.

Every request's answer is streamed straight into the case folder; decisions (whether to try
a fallback variant, which APKs to pull) are made from what was preserved. A fault stops the
plan, never loses what was already read, and is reported as an incomplete acquisition.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from stalkerscan.acquire.android.channel import (
    AndroidChannel,
    ShellCommand,
    apk_paths_command,
    shell_variants,
    validate_apk_path,
)
from stalkerscan.acquire.progress import NullProgress, Progress
from stalkerscan.acquire.result import AcquisitionResult, StopAcquisition, run_plan
from stalkerscan.errors import (
    AdbServerError,
    CaseWriteError,
    DeviceDisconnectedError,
    DeviceError,
    FileRefusedError,
    RequestRefusedError,
    UnsafeDeviceStringError,
)
from stalkerscan.model.artifacts import AndroidArtifact, Outcome, RawRecord
from stalkerscan.preserve.case import CaseFolder

# The batched plan, in order. Cheap, identifying reads first so that a cable pulled early
# still leaves the phone's identity and clock in the case.
PLAN: tuple[AndroidArtifact, ...] = (
    AndroidArtifact.CLOCK_START,
    AndroidArtifact.GETPROP,
    AndroidArtifact.PACKAGE_LIST,
    AndroidArtifact.DUMPSYS_ACCESSIBILITY,
    AndroidArtifact.DUMPSYS_DEVICE_POLICY,
    AndroidArtifact.SETTINGS_SECURE,
    AndroidArtifact.SETTINGS_GLOBAL,
    AndroidArtifact.SETTINGS_SYSTEM,
    AndroidArtifact.LAUNCHER_ACTIVITIES,
    AndroidArtifact.USAGE_ACCESS,
    AndroidArtifact.INSTALL_UNKNOWN_APPS,
    AndroidArtifact.USERS,
    AndroidArtifact.ROOT_CHECK,
    AndroidArtifact.DUMPSYS_PACKAGE,
    AndroidArtifact.CLOCK_END,
)

DESCRIPTIONS = {
    AndroidArtifact.CLOCK_START: "Reading the phone's clock",
    AndroidArtifact.GETPROP: "Reading phone model and Android version",
    AndroidArtifact.PACKAGE_LIST: "Listing installed apps",
    AndroidArtifact.DUMPSYS_ACCESSIBILITY: "Reading accessibility services",
    AndroidArtifact.DUMPSYS_DEVICE_POLICY: "Reading device administrators",
    AndroidArtifact.SETTINGS_SECURE: "Reading security settings",
    AndroidArtifact.SETTINGS_GLOBAL: "Reading global settings",
    AndroidArtifact.SETTINGS_SYSTEM: "Reading system settings",
    AndroidArtifact.LAUNCHER_ACTIVITIES: "Finding apps without an icon",
    AndroidArtifact.USAGE_ACCESS: "Reading usage-access grants",
    AndroidArtifact.INSTALL_UNKNOWN_APPS: "Finding apps allowed to install other apps",
    AndroidArtifact.USERS: "Listing users and work profiles",
    AndroidArtifact.ROOT_CHECK: "Checking for root",
    AndroidArtifact.DUMPSYS_PACKAGE: "Reading every app's details",
    AndroidArtifact.CLOCK_END: "Reading the phone's clock again",
}

# Signs, in the first bytes of an answer, that the phone rejected the command line itself
# (old or vendor builds), as opposed to answering it.
_REJECTION_MARKERS = (
    b"Unknown option", b"Error: Unknown", b"Unknown command", b"java.lang.", b"Exception",
    b"inaccessible or not found", b"not found", b"usage:", b"Usage:", b"Bad argument",
    b"Security exception", b"SecurityException", b"Invalid",
)
# Artifacts whose non-zero exit status is a normal answer: ``ls -d`` exits 1 when any of
# the paths is missing, which on a phone that is not rooted is all of them.
_NONZERO_IS_ANSWER = frozenset({AndroidArtifact.ROOT_CHECK.value})
# Artifacts whose answer must contain something to count as an answer.
_EXPECTED_MARKER = {
    AndroidArtifact.PACKAGE_LIST.value: b"package:",
}


def _looks_rejected(head: bytes) -> bool:
    return any(marker in head for marker in _REJECTION_MARKERS)


class AndroidAcquirer:
    """Runs the plan against one phone, into one case folder."""

    def __init__(self, channel: AndroidChannel, case: CaseFolder, *, progress: Progress | None = None) -> None:
        self.channel = channel
        self.case = case
        self.progress = progress or NullProgress()
        self.shell_requests = 0
        self.pull_requests = 0
        self.bytes_read = 0
        self.failed: list[str] = []
        self.drift: dict[str, float] = {}

    # ------------------------------------------------------------------ one request
    def _run(self, command: ShellCommand, *, note: str | None = None, pulling: bool = False) -> tuple[RawRecord, bytes]:
        """Send one command, streaming into a new record; returns the record and a prefix.
        ``pulling``: the command serves an APK pull (counted apart from the inventory's budget)."""
        writer = self.case.begin_record(
            command.artifact,
            channel="adb-shell-v2" if self.channel.shell_v2 else "adb-shell",
            request=command.command_line,
            subject=command.subject,
            attempt=command.variant + 1,
            note=note,
        )
        head = bytearray()

        def sink(stream: str, chunk: bytes) -> None:
            if len(head) < 4096:
                head.extend(chunk[: 4096 - len(head)])
            writer.write(stream, chunk)

        host_before = time.time()
        try:
            with writer:
                outcome = self.channel.run(command, sink)
                host_after = time.time()
                if command.artifact in _NONZERO_IS_ANSWER:
                    failed = False
                else:
                    failed = (outcome.exit_code not in (0, None)) or (
                        outcome.exit_code is None and _looks_rejected(bytes(head[:300]))
                    )
                    if outcome.exit_code == 0 and _looks_rejected(bytes(head[:120])):
                        failed = True  # some builds print the usage error and still exit 0
                expected = _EXPECTED_MARKER.get(command.artifact)
                if expected is not None and expected not in head:
                    failed = True
                record = writer.finish(
                    Outcome.FAILED if failed else Outcome.OK,
                    exit_code=outcome.exit_code,
                    error=f"exit code {outcome.exit_code}" if failed and outcome.exit_code else
                    ("the phone rejected the command" if failed else None),
                )
        finally:
            if pulling:
                self.pull_requests += 1
            else:
                self.shell_requests += 1
            self.bytes_read += writer.bytes_written()
        if command.artifact in (AndroidArtifact.CLOCK_START.value, AndroidArtifact.CLOCK_END.value):
            self._note_clock(command.artifact, bytes(head), host_before, host_after)
        return record, bytes(head)

    def _note_clock(self, artifact: str, answer: bytes, before: float, after: float) -> None:
        from stalkerscan.parse.android.clock import parse_clock

        phone = parse_clock(answer).epoch_seconds
        if phone is not None:
            self.drift[artifact] = round(phone - (before + after) / 2, 3)

    def _stop_for(self, exc: DeviceError) -> StopAcquisition:
        """Stop the plan for a device error. A dropped connection reads as a pulled cable, but
        the adb server itself may be what went away (killed, crashed, `adb kill-server` run by
        another tool): then checking the cable is the wrong advice, so ask the server."""
        if isinstance(exc, DeviceDisconnectedError):
            try:
                self.channel.client.server_version()
            except DeviceError:
                exc = AdbServerError(
                    "The adb server stopped in the middle of the scan.",
                    "Another program on this computer may have ended it (for example `adb "
                    "kill-server`). Everything read so far has been kept. Scan again into a new "
                    "folder: stalkerscan starts the adb server again.",
                )
        return StopAcquisition(exc.message, exc)

    def _step(self, artifact: AndroidArtifact) -> None:
        """Run one artifact's variants until one is answered."""
        variants = shell_variants(artifact)
        note = None
        for command in variants:
            try:
                record, head = self._run(command, note=note)
            except RequestRefusedError as exc:  # a bug, never the user's: keep going
                self.failed.append(artifact.value)
                self.progress.warn(str(exc))
                return
            except CaseWriteError as exc:
                raise StopAcquisition(exc.message, exc) from exc
            except DeviceError as exc:
                raise self._stop_for(exc) from exc
            if record.outcome is Outcome.OK:
                return
            first_line = head.decode("utf-8", "replace").strip().splitlines()[:1]
            note = f"retry after variant {command.variant + 1} failed: {first_line[0][:160] if first_line else record.error}"
        self.failed.append(artifact.value)

    # ------------------------------------------------------------------ the plan
    def acquire(self, *, choose_apks: Callable[[CaseFolder], Sequence[str]] | None = None) -> AcquisitionResult:
        """Run the whole plan; then pull APKs for the packages ``choose_apks`` names."""

        def plan() -> None:
            for artifact in PLAN:
                self.progress.step(DESCRIPTIONS[artifact])
                self._step(artifact)
            if choose_apks is not None:
                packages = list(choose_apks(self.case))
                if packages:
                    self._pull_apks(packages)

        return self._result(run_plan(self.progress, len(PLAN), plan))

    def _result(self, stop: StopAcquisition | None) -> AcquisitionResult:
        return AcquisitionResult(
            complete=stop is None,
            reason=stop.reason if stop else None,
            requests=self.shell_requests,
            pull_requests=self.pull_requests,
            bytes_read=self.bytes_read,
            clock_drift_start_s=self.drift.get(AndroidArtifact.CLOCK_START.value),
            clock_drift_end_s=self.drift.get(AndroidArtifact.CLOCK_END.value),
            failed_artifacts=tuple(self.failed),
            error=stop.error if stop else None,
        )

    # ------------------------------------------------------------------ APKs
    def _pull_apks(self, packages: Sequence[str]) -> None:
        self.progress.start(len(packages))
        for package in packages:
            self.progress.step(f"Copying the app file of {package[:60]}")
            try:
                command = apk_paths_command(package)
            except UnsafeDeviceStringError as exc:
                self.progress.warn(exc.message)
                continue
            try:
                record, _ = self._run(command, pulling=True)
            except CaseWriteError as exc:
                raise StopAcquisition(exc.message, exc) from exc
            except DeviceError as exc:
                raise self._stop_for(exc) from exc
            if record.outcome is not Outcome.OK:
                continue
            paths = [
                line[len("package:"):].strip()
                for line in self.case.read(record).decode("utf-8", "replace").splitlines()
                if line.startswith("package:")
            ]
            for index, path in enumerate(paths):
                self._pull_one(package, path, index)

    def _pull_one(self, package: str, path: str, index: int) -> None:
        try:
            validate_apk_path(path)
        except UnsafeDeviceStringError as exc:
            self.progress.warn(exc.message)
            return
        writer = self.case.begin_record(
            AndroidArtifact.APK.value,
            channel="adb-sync",
            request=f"RECV {path}",
            subject=package,
            stream_paths={"data": self.case.apk_path(package, path, index)},
        )
        self.pull_requests += 1
        try:
            # Leaving the writer with an error records the file as interrupted, keeping what
            # arrived (see RecordWriter).
            with writer:
                try:
                    self.channel.pull(path, writer.write)
                except FileRefusedError as exc:
                    # The phone refused this one file (or it is over the size limit): recorded
                    # as failed with what arrived, and the scan goes on.
                    writer.finish(Outcome.FAILED, error=exc.message)
        except CaseWriteError as exc:
            raise StopAcquisition(exc.message, exc) from exc
        except DeviceError as exc:
            raise self._stop_for(exc) from exc
        finally:
            self.bytes_read += writer.bytes_written()
