"""lockdownd of the simulated iPhone: values, sessions with TLS, pairing, starting services.

Framing is a 4-byte big-endian length and an XML property list each way. Answers carry the
``Request`` name back, and an ``Error`` with lockdownd's own error names when something is not
allowed, so that unmodified clients raise their real exceptions:

==========================  ======================================  ==========================
situation                   lockdownd answers                       pymobiledevice3 raises
==========================  ======================================  ==========================
never trusted, Pair         ``PairingDialogResponsePending``        PairingDialogResponsePendingError
"Don't Trust" tapped        ``UserDeniedPairing``                   UserDeniedPairingError
unknown HostID              ``InvalidHostID`` (StartSession)        (pairing fails: NotPairedError)
locked                      ``PasswordProtected`` (StartService,    PasswordRequiredError
                            Pair)
before a session            ``GetProhibited`` for private values    GetProhibitedError
refused (not read-only)     ``SetProhibited`` / ``InvalidService``  SetProhibitedError /
                            / ``MCProtected`` / ...                 InvalidServiceError / ...
==========================  ======================================  ==========================
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from stalkerscan.simulator.ios.phone import (
    LOCKDOWN_REFUSAL_ERRORS,
    SimulatedIPhone,
)
from stalkerscan.simulator.ios.stream import (
    DeviceStream,
    pause_before_answering,
    read_prefixed_plist,
    write_prefixed_plist,
)
from stalkerscan.simulator.requestlog import Verdict

PRE_SESSION_KEYS = frozenset({
    "BasebandVersion", "BoardId", "BuildVersion", "CPUArchitecture", "ChipID", "DeviceClass",
    "DeviceColor", "DeviceName", "DevicePublicKey", "HardwareModel", "HardwarePlatform",
    "ProductName", "ProductType", "ProductVersion", "ProductionSOC", "ProtocolVersion",
    "SupportedDeviceFamilies", "TelephonyCapability", "UniqueChipID", "UniqueDeviceID",
    "WiFiAddress",
})
"""Values lockdownd gives any computer, trusted or not (what ``ideviceinfo`` shows unpaired)."""


class LockdownSession:
    """Per-connection lockdownd state."""

    def __init__(self) -> None:
        self.session_id: str | None = None
        self.host_id: str | None = None


def lockdown_values(phone: SimulatedIPhone, *, trusted_host: bool = False) -> dict[str, Any]:
    """Every value (no domain) the phone reports inside a session."""
    device = phone.profile.device
    now = time.time() + phone.profile.clock_offset_s
    zone = ZoneInfo(device.timezone)
    offset = datetime.fromtimestamp(now, zone).utcoffset()
    values: dict[str, Any] = {
        "ActivationState": device.activation_state,
        "BluetoothAddress": device.bluetooth_address,
        "BoardId": device.board_id,
        "BuildVersion": device.build_version,
        "CPUArchitecture": "arm64e" if device.chip_id >= 0x8020 else "arm64",
        "ChipID": device.chip_id,
        "DeviceClass": device.device_class,
        "DeviceColor": device.device_color,
        "DeviceName": device.name,
        "DevicePublicKey": phone.identity.public_key_pem,
        "HardwareModel": device.hardware_model,
        "HardwarePlatform": f"t{device.chip_id:x}" if device.chip_id >= 0x8000
        else f"s{device.chip_id:x}",
        "HostAttached": True,
        "PasswordProtected": device.passcode_set,
        "ProductName": "iPhone OS",
        "ProductType": device.product_type,
        "ProductVersion": device.ios_version,
        "ProductionSOC": True,
        "ProtocolVersion": "2",
        "RegionInfo": device.region_info,
        "SerialNumber": device.serial,
        "SupportedDeviceFamilies": [1] if device.device_class != "iPad" else [1, 2],
        "TelephonyCapability": device.device_class == "iPhone",
        "TimeIntervalSince1970": now,
        "TimeZone": device.timezone,
        "TimeZoneOffsetFromUTC": offset.total_seconds() if offset is not None else 0.0,
        "TrustedHostAttached": trusted_host,
        "UniqueChipID": device.ecid,
        "UniqueDeviceID": device.udid,
        "Uses24HourClock": True,
        "WiFiAddress": device.wifi_address,
    }
    if device.model_number is not None:
        values["ModelNumber"] = device.model_number
    if device.imei is not None:
        values["InternationalMobileEquipmentIdentity"] = device.imei
    if device.baseband_version is not None:
        values["BasebandVersion"] = device.baseband_version
    values.update(device.values)
    return values


def lockdown_domains(phone: SimulatedIPhone) -> dict[str, dict[str, Any]]:
    """Every lockdown domain and its values (profile domains over realistic defaults)."""
    domains: dict[str, dict[str, Any]] = {
        "com.apple.mobile.backup": {"WillEncrypt": False},
        "com.apple.mobile.battery": {
            "BatteryCurrentCapacity": 80, "BatteryIsCharging": True,
            "ExternalChargeCapable": True, "ExternalConnected": True, "FullyCharged": False,
            "GasGaugeCapability": True, "HasBattery": True,
        },
        "com.apple.disk_usage": {
            "TotalDiskCapacity": 128_000_000_000, "TotalDataCapacity": 112_000_000_000,
            "TotalDataAvailable": 41_000_000_000, "AmountDataAvailable": 41_000_000_000,
        },
        "com.apple.international": {"Language": "en", "Locale": "en_GB",
                                    "Keyboard": "en_GB"},
        "com.apple.PurpleBuddy": {"SetupDone": True},
        "com.apple.fmip": {"IsAssociated": True},
    }
    for name, values in phone.profile.device.domains.items():
        domains.setdefault(name, {}).update(values)
    return domains


async def serve_lockdownd(phone: SimulatedIPhone, stream: DeviceStream) -> None:
    """Answer lockdownd requests on ``stream`` until the client goes away.

    Raises :class:`~stalkerscan.simulator.ios.stream.StreamClosed`,
    :class:`~stalkerscan.simulator.ios.stream.MessageProblem` or
    :class:`~stalkerscan.simulator.ios.phone.PhoneUnplugged`; the caller closes the stream.
    """
    session = LockdownSession()
    while True:
        request = await read_prefixed_plist(stream)
        if not isinstance(request, Mapping):
            return
        verdict, _ = phone.admit_lockdown(request)
        await pause_before_answering(phone.faults)
        name = str(request.get("Request", ""))
        if verdict is Verdict.REFUSED:
            error = LOCKDOWN_REFUSAL_ERRORS.get(name, "InvalidRequest")
            await write_prefixed_plist(stream, {"Request": name, "Error": error})
            continue
        if name == "StartSession":
            await _start_session(phone, stream, session, request)
            continue
        response = _answer(phone, session, name, request)
        await write_prefixed_plist(stream, response)
        if name == "StopSession" and "Error" not in response:
            stream.expect_tls_close()
        if name == "Goodbye":
            return


def _answer(phone: SimulatedIPhone, session: LockdownSession, name: str,
            request: Mapping[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = {"Request": name}
    if name == "QueryType":
        response["Type"] = "com.apple.mobile.lockdown"
    elif name == "GetValue":
        response.update(_get_value(phone, session, request))
    elif name == "StopSession":
        if session.session_id is None or request.get("SessionID") != session.session_id:
            response["Error"] = "InvalidSessionID" if session.session_id else "NoRunningSession"
        else:
            session.session_id = None
            response["Result"] = "Success"
    elif name == "Goodbye":
        response["Result"] = "Success"
    elif name == "ValidatePair":
        record = request.get("PairRecord")
        host_id = record.get("HostID") if isinstance(record, Mapping) else None
        if not host_id or phone.trusted_host(str(host_id)) is None:
            response["Error"] = "InvalidHostID"
    elif name == "Pair":
        response.update(phone.pair(request))
    elif name == "StartService":
        response.update(_start_service(phone, session, request))
    return response


def _get_value(phone: SimulatedIPhone, session: LockdownSession,
               request: Mapping[str, Any]) -> dict[str, Any]:
    domain, key = request.get("Domain"), request.get("Key")
    in_session = session.session_id is not None
    if domain:
        if not in_session:
            return {"Error": "GetProhibited"}
        values = lockdown_domains(phone).get(str(domain))
        if values is None:
            return {"Error": "MissingValue"}
        if key:
            if key not in values:
                return {"Error": "MissingValue"}
            return {"Domain": domain, "Key": key, "Value": values[key]}
        return {"Domain": domain, "Value": values}
    values = lockdown_values(phone, trusted_host=in_session)
    if not in_session:
        values = {k: v for k, v in values.items() if k in PRE_SESSION_KEYS}
    if key:
        if key not in values:
            return {"Error": "GetProhibited" if not in_session and key in
                    lockdown_values(phone) else "MissingValue"}
        return {"Key": key, "Value": values[key]}
    return {"Value": values}


async def _start_session(phone: SimulatedIPhone, stream: DeviceStream, session: LockdownSession,
                         request: Mapping[str, Any]) -> None:
    host = phone.trusted_host(str(request.get("HostID", "")))
    if host is None:
        await write_prefixed_plist(stream, {"Request": "StartSession", "Error": "InvalidHostID"})
        return
    if session.session_id is not None:
        await write_prefixed_plist(stream, {"Request": "StartSession", "Error": "SessionActive"})
        return
    session.session_id = str(uuid.uuid4()).upper()
    session.host_id = host.host_id
    await write_prefixed_plist(stream, {"Request": "StartSession",
                                        "SessionID": session.session_id,
                                        "EnableSessionSSL": True})
    await stream.start_tls(phone.tls_context(host))


def _start_service(phone: SimulatedIPhone, session: LockdownSession,
                   request: Mapping[str, Any]) -> dict[str, Any]:
    service = str(request.get("Service", ""))
    if session.session_id is None or session.host_id is None:
        return {"Error": "InvalidService"}
    if not phone.offers_service(service):
        return {"Error": "InvalidService"}
    if phone.locked:
        return {"Error": "PasswordProtected"}
    host = phone.trusted_host(session.host_id)
    ssl_on = phone.faults.service_ssl
    port = phone.open_service_port(service, host if ssl_on else None)
    response: dict[str, Any] = {"Service": service, "Port": port}
    if ssl_on:
        response["EnableServiceSSL"] = True
    return response
