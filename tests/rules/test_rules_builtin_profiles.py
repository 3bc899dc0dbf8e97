"""The rules over the built-in simulated phones, read through the real parsers.

The clean phone must give no high- or medium-severity finding; the infected phone exactly
the findings its disguised app and settings call for. The phones' outputs are taken straight
from the simulator's phone model (no sockets) with the acquisition's own command lines.
"""

from __future__ import annotations

import shlex
from datetime import date

from stalkerscan.acquire.android.acquirer import PLAN
from stalkerscan.acquire.android.channel import shell_variants
from stalkerscan.model import Severity
from stalkerscan.model.artifacts import MemoryEvidence
from stalkerscan.parse.android.inventory import build_android_inventory
from stalkerscan.rules import evaluate
from stalkerscan.simulator.android.phone import SimulatedAndroidPhone
from stalkerscan.simulator.profile import load_profile


def findings_for(profile: str):
    phone = SimulatedAndroidPhone.from_profile(load_profile(profile))
    evidence = MemoryEvidence()
    for artifact in PLAN:
        for command in shell_variants(artifact):
            argv = command.argv if isinstance(command.argv, str) else shlex.join(command.argv)
            answer = phone.shell(argv, layer="test")
            if answer.exit_code == 0 or artifact.value == "root_check":
                evidence.add(artifact.value, answer.stdout, exit_code=answer.exit_code)
                break
    inventory = build_android_inventory(evidence)
    assert not inventory.missing
    return evaluate(inventory, [], analysed_on=date(2026, 11, 23))


def test_clean_phone_has_no_serious_or_medium_findings() -> None:
    found = findings_for("android-clean")
    assert [f for f in found if f.severity in (Severity.HIGH, Severity.MEDIUM)] == []


def test_infected_phone_gives_the_expected_findings() -> None:
    found = findings_for("android-infected")
    serious = {(f.id, f.subject) for f in found if f.severity in (Severity.HIGH, Severity.MEDIUM)}
    disguised = "net.example.systemsync"
    assert {("android.sideloaded_surveillance_capability", disguised),
            ("android.dangerous_permission_combination", disguised),
            ("android.hidden_from_launcher", disguised),
            ("android.system_imitation", disguised),
            ("android.play_protect_off", "device")} <= serious
    # Nothing serious about the ordinary apps: only the two sideloaded ones are named.
    assert {subject for _, subject in serious} <= {disguised, "device",
                                                   "com.sec.android.sipibuz"}
