"""Run by test_fault_interrupt.py in a child process that the test then kills with SIGKILL.

    python fault_kill_child.py OUT MODE

Serves the fault phone (small_profile) from an in-process simulated adb server and scans it
into OUT. MODE ``answering``: ``dumpsys package`` arrives slowly (about 20 s); ``waiting``: the
phone says nothing for 30 s after that request. Either way the parent has a wide window.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "helpers")]

from android_scan_helpers import phone_from, scan_phone  # noqa: E402
from fault_helpers import StepHook, small_profile  # noqa: E402

from stalkerscan.acquire.android.acquirer import DESCRIPTIONS  # noqa: E402
from stalkerscan.model.artifacts import AndroidArtifact  # noqa: E402
from stalkerscan.signatures.signature_set import load_signature_set  # noqa: E402


def main(out: str, mode: str) -> None:
    phone = phone_from(small_profile())
    size = len(phone.run_shell("dumpsys package").stdout)
    # Mirror the phone's request log beside the case folder, so that the parent can check
    # that only reads were sent after this process is gone.
    requests = Path(out).parent / "requests.jsonl"
    record = phone.log.record

    def record_and_mirror(layer, service, request, verdict, reason=""):
        entry = record(layer, service, request, verdict, reason)
        with requests.open("a", encoding="utf-8") as mirror:
            mirror.write(json.dumps({"request": request, "verdict": verdict.value}) + "\n")
        return entry

    phone.log.record = record_and_mirror  # type: ignore[method-assign]
    slow = {"slow_bytes_per_second": max(1, size // 20)} if mode == "answering" else {"latency_ms": 30_000}

    def slow_down() -> None:
        phone.faults = dataclasses.replace(phone.faults, **slow)

    hook = StepHook({DESCRIPTIONS[AndroidArtifact.DUMPSYS_PACKAGE]: slow_down})
    print("scanning", flush=True)
    scan_phone(phone, Path(out), load_signature_set(include_community=False), progress=hook)
    print("finished", flush=True)  # never reached: the parent kills this process first


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
