"""`scan` without --platform: the kind of phone connected decides, and choosing asks no phone
anything (an iPhone is never asked twice whether it trusts this computer)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest
from android_scan_helpers import phone_from

from stalkerscan import api
from stalkerscan.errors import MultipleDevicesError, NoDeviceError
from stalkerscan.simulator.android.run import running_host_server
from stalkerscan.simulator.ios.phone import SimulatedIPhone
from stalkerscan.simulator.ios.run import running_usbmuxd

pytestmark = pytest.mark.timeout(90)


@pytest.fixture(autouse=True)
def _no_usbmuxd_from_the_environment(monkeypatch):
    monkeypatch.delenv("USBMUXD_SOCKET_ADDRESS", raising=False)


@contextmanager
def connected(android: Sequence[Any] = (), iphones: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
    """Simulated phones behind their own adb server and usbmuxd (both always there)."""
    with running_host_server(list(android)) as adb, running_usbmuxd(list(iphones)) as mux:
        yield {"adb_host": adb.host, "adb_port": adb.port, "usbmux_address": mux}


def requests_to_the_phone(phone: Any) -> list[tuple[str, str, str]]:
    """What reached the phone itself (lockdownd and its services), not usbmuxd's own list; a
    session's host id is left out (each simulated phone pairs with its own)."""
    return [(e.layer, e.service, "" if e.service == "StartSession" else e.request)
            for e in phone.log.entries() if e.layer != "usbmuxd"]


def platform_of(case: api.Case) -> str:
    return json.loads((case.path / "case.json").read_bytes())["platform"]


def test_only_an_iphone_is_scanned_as_one_and_asked_nothing_more(tmp_path, bundled_signatures):
    told, detected = SimulatedIPhone.load("ios-clean"), SimulatedIPhone.load("ios-clean")
    with connected(iphones=[told]) as where:
        api.scan(tmp_path / "told", platform="ios", signatures=bundled_signatures, wait_seconds=5, **where)
    with connected(iphones=[detected]) as where:
        case = api.scan(tmp_path / "detected", signatures=bundled_signatures, wait_seconds=5, **where)
    assert platform_of(case) == "ios" and case.complete
    # The iPhone received exactly what a scan told `--platform ios` sends: no probing first.
    assert requests_to_the_phone(detected) == requests_to_the_phone(told)
    assert detected.log.write_attempts() == []


def test_only_an_android_phone_is_scanned_as_one(tmp_path, bundled_signatures):
    with connected(android=[phone_from("android-clean")]) as where:
        case = api.scan(tmp_path / "case", signatures=bundled_signatures, wait_seconds=5, **where)
    assert platform_of(case) == "android" and case.complete


def test_no_phone_at_all_is_a_clear_error_and_no_case(tmp_path, bundled_signatures):
    with connected() as where, pytest.raises(NoDeviceError) as error:
        api.scan(tmp_path / "case", signatures=bundled_signatures, wait_seconds=1, **where)
    assert error.value.message == "No phone is connected."
    assert not (tmp_path / "case").exists()


def test_one_of_each_needs_a_choice_unless_a_serial_says_which(tmp_path, bundled_signatures):
    android = phone_from("android-clean")
    with connected(android=[android], iphones=[SimulatedIPhone.load("ios-clean")]) as where:
        with pytest.raises(MultipleDevicesError) as error:
            api.scan(tmp_path / "a", signatures=bundled_signatures, wait_seconds=1, **where)
        assert "--platform" in error.value.advice and not (tmp_path / "a").exists()
        case = api.scan(tmp_path / "b", serial=android.serial, signatures=bundled_signatures,
                        wait_seconds=5, **where)
    assert platform_of(case) == "android" and case.complete
