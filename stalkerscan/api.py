"""The Python API: ``scan``, ``analyze``, ``report``, ``verify`` and the :class:`Case` they return.

Each is a thin orchestration of the stages (acquire -> preserve -> parse -> match -> report);
the command line is a thin layer over these. See docs/api.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from stalkerscan import errors
from stalkerscan.acquire.progress import NullProgress, Progress
from stalkerscan.analysis import analyse, apks_worth_pulling
from stalkerscan.errors import DeviceError, StalkerscanError, UsageError
from stalkerscan.model.case import AnalysisResult, VerdictLevel
from stalkerscan.outputs import FORMATS, analysis_files, rendered_reports
from stalkerscan.preserve.case import CaseFolder, closed_on_crash, ensure_new_case_dir, seal_quietly
from stalkerscan.preserve.verify import VerifyReport, verify_case
from stalkerscan.signatures.signature_set import SignatureSet, load_signature_set

log = logging.getLogger(__name__)

PULL_POLICIES = ("none", "flagged", "sideloaded", "all", "default")


@dataclass(frozen=True)
class Case:
    """A case folder and its latest analysis."""

    path: Path
    """The case folder."""

    result: AnalysisResult | None
    """The analysis (None when analysis itself failed; the evidence is still kept)."""

    analysis_dir: Path
    """Where this analysis's outputs are: the case folder itself for the first analysis,
    else ``analyses/<stamp>/``."""

    error: StalkerscanError | None = None
    """What stopped the acquisition early, if anything."""

    @property
    def complete(self) -> bool:
        """True when the acquisition finished."""
        return bool(self.result and self.result.info.complete)

    @property
    def exit_code(self) -> int:
        """The documented exit code: 0 nothing found, 1 findings, 4 incomplete."""
        if self.result is None or not self.result.info.complete:
            return errors.EXIT_INCOMPLETE
        if self.result.verdict.level is VerdictLevel.NOTHING_FOUND:
            return errors.EXIT_NOTHING_FOUND
        return errors.EXIT_FINDINGS

    @property
    def report_html(self) -> Path:
        """The HTML report of this analysis."""
        return self.analysis_dir / "report.html"


def resolve_signatures(signatures: SignatureSet | Sequence[str | Path] | None) -> SignatureSet:
    if isinstance(signatures, SignatureSet):
        return signatures
    return load_signature_set([Path(p) for p in (signatures or ())])


def first_analysis(case: CaseFolder, sigs: SignatureSet, *, locale: str, formats: Sequence[str]) -> AnalysisResult | None:
    """Analyse right after acquisition; a failure here never costs the evidence."""
    try:
        result = analyse(case, sigs, locale=locale)
        for name, data in analysis_files(result, locale=locale, formats=formats).items():
            case.write_file(name, data)
        case.custody.append("analysed", {"signatures": result.signatures.description,
                                         "verdict": result.verdict.level.value,
                                         "findings": len(result.findings)})
        return result
    except errors.CaseWriteError:
        raise
    except Exception as exc:  # a parser or report bug must not lose a survivor's evidence
        log.exception("analysis failed")
        case.custody.append("analysis_failed", {"error": f"{type(exc).__name__}: {exc}"})
        return None


def finish_scan(
    case: CaseFolder,
    *,
    complete: bool,
    reason: str | None,
    facts: Mapping[str, Any],
    error: StalkerscanError | None,
    sigs: SignatureSet,
    locale: str,
    formats: Sequence[str],
    events: Sequence[tuple[str, Mapping[str, Any]]] = (),
) -> Case:
    """The one ending of every scan and import: log ``events`` in custody, record how the
    acquisition ended, run the first analysis, and seal, whatever happens.

    A disk that fills up or turns read-only here makes an incomplete case (exit code 4) with
    everything written so far kept, not an error that loses the case: reading had started,
    and ``analyze`` finishes the job once there is room again.
    """
    try:
        for event, details in events:
            case.custody.append(event, details)
        case.close_acquisition(complete=complete, reason=reason, facts=facts)
        analysis = first_analysis(case, sigs, locale=locale, formats=formats)
    except errors.CaseWriteError as exc:
        first = error if isinstance(error, errors.CaseWriteError) else exc
        return Case(case.root, None, case.root, error=first)
    finally:
        seal_quietly(case)
    return Case(case.root, analysis, case.root, error=error)


def scan(
    out: Path | str,
    *,
    platform: str | None = None,
    serial: str | None = None,
    adb_host: str | None = None,
    adb_port: int | None = None,
    usbmux_address: str | None = None,
    examiner: str | None = None,
    case_id: str | None = None,
    pull_apks: str = "default",
    signatures: SignatureSet | Sequence[str | Path] | None = None,
    locale: str = "en",
    formats: Sequence[str] = FORMATS,
    wait_seconds: float = 60.0,
    request_timeout: float = 300.0,
    progress: Progress | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> Case:
    """Scan a phone over USB into a new case folder ``out`` and analyse it.

    Raises a :class:`~stalkerscan.errors.DeviceError` when no phone can be read at all (no
    case folder is created then). Once reading has started, faults end the acquisition early
    but still return a :class:`Case`, marked incomplete, with everything read kept.
    """
    if pull_apks not in PULL_POLICIES:
        raise UsageError(f"--pull-apks must be one of {', '.join(PULL_POLICIES)}.")
    out_path = ensure_new_case_dir(out)
    sigs = resolve_signatures(signatures)
    progress = progress or NullProgress()
    chosen = platform or _detect_platform(serial, adb_host, adb_port, usbmux_address)
    if chosen == "android":
        return _scan_android(
            out_path, serial=serial, adb_host=adb_host, adb_port=adb_port, examiner=examiner,
            case_id=case_id, pull_apks=pull_apks, sigs=sigs, locale=locale, formats=formats,
            wait_seconds=wait_seconds, request_timeout=request_timeout, progress=progress, on_wait=on_wait,
        )
    if chosen == "ios":
        from stalkerscan.acquire.ios.scan import scan_iphone

        return scan_iphone(
            out_path, udid=serial, usbmux_address=usbmux_address, examiner=examiner, case_id=case_id,
            sigs=sigs, locale=locale, formats=formats, progress=progress, on_wait=on_wait,
            wait_seconds=wait_seconds, request_timeout=min(request_timeout, 120.0),
        )
    raise UsageError(f"Unknown platform {chosen!r}: use android or ios.")


def _detect_platform(serial: str | None, adb_host: str | None, adb_port: int | None,
                     usbmux_address: str | None) -> str:
    """android or ios, from which kind of phone is connected."""
    from stalkerscan.devices import platforms_connected

    platforms = platforms_connected(serial, adb_host=adb_host, adb_port=adb_port, usbmux_address=usbmux_address)
    if len(platforms) == 1:
        return platforms.pop()
    if not platforms:
        raise errors.NoDeviceError(
            "No phone is connected." if serial is None else f"No phone with serial {serial} is connected.",
            "Connect the phone with a USB cable that carries data and unlock it. Android phones "
            "need USB debugging on; iPhones need you to tap Trust. See `stalkerscan devices`.",
        )
    raise errors.MultipleDevicesError(
        "Both an Android phone and an iPhone are connected.",
        "Unplug one, or say which to scan with --platform android or --platform ios.",
    )


def _scan_android(
    out: Path, *, serial: str | None, adb_host: str | None, adb_port: int | None, examiner: str | None,
    case_id: str | None, pull_apks: str, sigs: SignatureSet, locale: str, formats: Sequence[str],
    wait_seconds: float, request_timeout: float, progress: Progress, on_wait: Callable[[str], None] | None,
) -> Case:
    from stalkerscan.acquire.android.acquirer import AndroidAcquirer
    from stalkerscan.acquire.android.server import connect_to_server, resolve_server_address
    from stalkerscan.acquire.android.session import choose_phone, guidance, open_channel

    address = resolve_server_address(adb_host, adb_port)
    client = connect_to_server(address, timeout=min(request_timeout, 30.0))
    phone = choose_phone(
        client, serial, wait_seconds=wait_seconds,
        on_wait=(lambda entry: on_wait(guidance(entry.state))) if on_wait else None,
    )
    case = CaseFolder.create(out, platform="android", case_id=case_id, examiner=examiner)
    case.custody.append("device_identified", {
        "platform": "android", "serial": phone.entry.serial, "model": phone.entry.model,
        "product": phone.entry.product, "device": phone.entry.device,
        "features": sorted(phone.features), "adb_server": f"{address.host}:{address.port}",
        "signatures": sigs.summary(),
    })
    channel = open_channel(client, phone, request_timeout=request_timeout)
    acquirer = AndroidAcquirer(channel, case, progress=progress)
    with closed_on_crash(case, "The scan"):
        result = acquirer.acquire(choose_apks=lambda c: apks_worth_pulling(c, pull_apks, sigs))
    facts = {
        "device_serial": phone.entry.serial,
        "device_model": _android_model(case) or phone.entry.model,
        "shell_requests": result.requests,
        "pull_requests": result.pull_requests,
        "bytes_read": result.bytes_read,
        "clock_drift_start_s": result.clock_drift_start_s,
        "clock_drift_end_s": result.clock_drift_end_s,
        "failed_artifacts": list(result.failed_artifacts),
        "apk_policy": pull_apks,
        "signatures": sigs.summary(),
    }
    return finish_scan(case, complete=result.complete, reason=result.reason, facts=facts, error=result.error,
                       sigs=sigs, locale=locale, formats=formats)


def scan_androidqf(
    folder: Path | str,
    out: Path | str,
    *,
    examiner: str | None = None,
    case_id: str | None = None,
    signatures: SignatureSet | Sequence[str | Path] | None = None,
    locale: str = "en",
    formats: Sequence[str] = FORMATS,
    progress: Progress | None = None,
) -> Case:
    """Import an androidqf acquisition folder into a new case and analyse it.

    Every file is copied into the case byte for byte (and hashed); the folder is only read.
    """
    from stalkerscan.acquire.androidqf import androidqf_files, import_androidqf

    source = Path(folder).expanduser()
    if not source.is_dir():
        raise UsageError(f"{source} is not a folder.", "Give the folder androidqf created for one phone.")
    out_path = ensure_new_case_dir(out)
    if out_path.resolve().is_relative_to(source.resolve()):
        raise UsageError("The case folder cannot be inside the androidqf folder.",
                         "Choose --out somewhere else: the androidqf folder is only read.")
    sigs = resolve_signatures(signatures)
    files = androidqf_files(source)  # a folder that is not one is refused before a case exists
    case = CaseFolder.create(out_path, platform="android", source="androidqf", case_id=case_id, examiner=examiner)
    facts: dict[str, Any] = {"source_folder": str(source.resolve()), "signatures": sigs.summary()}
    error: errors.CaseWriteError | None = None
    with closed_on_crash(case, "The import"):
        try:
            case.custody.append("import_started", {"source": "androidqf", "path": str(source.resolve()),
                                                   "signatures": sigs.summary()})
            not_copied = import_androidqf(source, files, case, progress=progress)
            facts.update(files_copied=len(files) - len(not_copied), files_not_copied=not_copied)
            reason = (f"{len(not_copied)} file(s) of the androidqf folder could not be copied whole: "
                      f"{', '.join(not_copied[:5])}." if not_copied else None)
        except errors.CaseWriteError as exc:  # the disk filled up: an incomplete case, as for a scan
            error, reason = exc, exc.message
    return finish_scan(case, complete=reason is None, reason=reason, facts=facts, error=error,
                       sigs=sigs, locale=locale, formats=formats)


def _android_model(case: CaseFolder) -> str | None:
    """The phone's own model name (``adb devices -l`` mangles punctuation to underscores)."""
    from stalkerscan.model.artifacts import AndroidArtifact, latest
    from stalkerscan.parse.android.getprop import device_info_from_props, parse_getprop

    record = latest(case, AndroidArtifact.GETPROP.value)
    if record is None:
        return None
    info = device_info_from_props(parse_getprop(case.read(record)).props)
    return " ".join(part for part in (info.manufacturer, info.model) if part) or None


def analyze(
    case_dir: Path | str,
    *,
    signatures: SignatureSet | Sequence[str | Path] | None = None,
    locale: str = "en",
    formats: Sequence[str] = FORMATS,
    analysed_on: date | None = None,
) -> Case:
    """Re-parse and re-match a case from ``raw/`` alone, with the current signatures.

    Writes into a new ``analyses/<stamp>/`` folder with its own manifest; earlier evidence and
    analyses are never changed. A case whose acquisition never closed (crash, power loss) is
    first closed as incomplete and sealed.
    """
    case = CaseFolder.open(case_dir)
    sigs = resolve_signatures(signatures)
    if case.acquisition() is None:
        case.close_acquisition(
            complete=False,
            reason="The scan stopped without closing the case (the program was ended or the "
                   "computer lost power). Everything saved before that is kept.",
            facts={"closed_by": "analyze"},
        )
    if not case.is_sealed():
        case.seal()
    result = analyse(case, sigs, analysed_on=analysed_on, locale=locale)
    folder = case.new_analysis()
    for name, data in analysis_files(result, locale=locale, formats=formats).items():
        folder.write_file(name, data)
    folder.seal("analysed", {"signatures": result.signatures.description,
                             "verdict": result.verdict.level.value, "findings": len(result.findings)})
    return Case(case.root, result, folder.path)


def report(case_dir: Path | str, *, formats: Sequence[str] = ("html",), locale: str = "en") -> list[Path]:
    """Re-render reports of the latest analysis from its stored inventory and findings (nothing is
    re-analysed: `analyze` does that, with the current signatures).

    Writes into a new ``analyses/<stamp>/`` folder and logs it; returns the files written.
    """
    from stalkerscan.stored import load_analysis_result

    case = CaseFolder.open(case_dir)
    result = load_analysis_result(case)
    folder = case.new_analysis()
    written = []
    for name, data in rendered_reports(result, locale=locale, formats=formats).items():
        folder.write_file(name, data)
        written.append(folder.path / name)
    folder.seal("report_rendered", {"formats": list(formats), "locale": locale})
    return written


def verify(case_dir: Path | str) -> VerifyReport:
    """Re-hash every file of a case against its manifests and custody log (reads only)."""
    return verify_case(case_dir)


__all__ = ["Case", "DeviceError", "analyze", "report", "scan", "scan_androidqf", "verify"]
