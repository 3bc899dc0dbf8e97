"""The iPhone choke point: only allowlisted reads are written, refusals never reach the wire,
and answers are captured byte for byte (including a partial one) before anything parses them."""

from __future__ import annotations

import asyncio
import plistlib
import socket
import struct

import pytest
from pymobiledevice3.exceptions import ConnectionTerminatedError
from pymobiledevice3.services.installation_proxy import InstallationProxyService
from pymobiledevice3.services.mobile_config import MobileConfigService

from stalkerscan.acquire.ios.acquirer import (
    BROWSE,
    GET_ALL_VALUES,
    GET_CLOUD_CONFIGURATION,
    GET_PROFILE_LIST,
    LOOKUP,
)
from stalkerscan.acquire.ios.channel import (
    INSTALLATION_PROXY,
    LOCKDOWN,
    MCINSTALL,
    UNASSIGNED,
    GuardedServiceConnection,
    RequestGuard,
    check_request,
)
from stalkerscan.errors import RequestRefusedError

PAIR_RECORD = {"HostID": "H", "HostCertificate": b"c", "RootCertificate": b"r", "DeviceCertificate": b"d"}

ALLOWED = [
    (LOCKDOWN, {"Label": "x", "Request": "QueryType"}),
    (LOCKDOWN, dict(GET_ALL_VALUES)),
    (LOCKDOWN, {"Label": "x", "Request": "GetValue", "Key": "DevicePublicKey"}),
    (LOCKDOWN, {"Label": "x", "Request": "GetValue", "Domain": "com.apple.mobile.backup", "Key": "WillEncrypt"}),
    (LOCKDOWN, {"Label": "x", "Request": "StartSession", "HostID": "H", "SystemBUID": "B"}),
    (LOCKDOWN, {"Label": "x", "Request": "StopSession", "SessionID": "S"}),
    (LOCKDOWN, {"Label": "x", "Request": "StartService", "Service": "com.apple.mobile.installation_proxy"}),
    (LOCKDOWN, {"Label": "x", "Request": "StartService", "Service": "com.apple.mobile.MCInstall"}),
    (LOCKDOWN, {"Label": "x", "Request": "StartService", "Service": "com.apple.afc2"}),
    (INSTALLATION_PROXY, dict(BROWSE)),
    (INSTALLATION_PROXY, dict(LOOKUP)),
    (INSTALLATION_PROXY, {"Command": "Lookup", "ClientOptions": {"BundleIDs": ["org.example.a"]}}),
    (MCINSTALL, dict(GET_PROFILE_LIST)),
    (MCINSTALL, dict(GET_CLOUD_CONFIGURATION)),
    (MCINSTALL, {"RequestType": "HelloHostIdentifier"}),
]

REFUSED = [
    (LOCKDOWN, {"Label": "x", "Request": "SetValue", "Key": "DeviceName", "Value": "pwned"}),
    (LOCKDOWN, {"Label": "x", "Request": "RemoveValue", "Domain": "com.apple.mobile.backup"}),
    (LOCKDOWN, {"Label": "x", "Request": "Unpair", "PairRecord": PAIR_RECORD, "ProtocolVersion": "2"}),
    (LOCKDOWN, {"Label": "x", "Request": "EnterRecovery"}),
    (LOCKDOWN, {"Label": "x", "Request": "Pair", "PairRecord": PAIR_RECORD, "ProtocolVersion": "2"}),
    (LOCKDOWN, {"Label": "x", "Request": "StartService", "Service": "com.apple.mobilebackup2"}),
    (LOCKDOWN, {"Label": "x", "Request": "StartService", "Service": "com.apple.afc"}),
    (LOCKDOWN, {"Label": "x", "Request": "StartService", "Service": "com.apple.mobile.installation_proxy",
                "EscrowBag": b"bag"}),
    (LOCKDOWN, {"Label": "x", "Request": "GetValue", "Domain": "com.apple.mobile.restriction"}),
    (LOCKDOWN, {"Label": "x", "Request": "GetValue", "Value": 1}),
    (INSTALLATION_PROXY, {"Command": "Uninstall", "ApplicationIdentifier": "org.example.a"}),
    (INSTALLATION_PROXY, {"Command": "Install", "PackagePath": "/x.ipa"}),
    (INSTALLATION_PROXY, {"Command": "Archive", "ApplicationIdentifier": "org.example.a"}),
    (INSTALLATION_PROXY, {"Command": "Browse", "ClientOptions": {"ReturnAttributes": ["GroupContainers"]}}),
    (INSTALLATION_PROXY, {"Command": "Browse", "ClientOptions": {"ApplicationType": "Hidden"}}),
    (INSTALLATION_PROXY, {"Command": "Browse", "ClientOptions": {"Force": True}}),
    (MCINSTALL, {"RequestType": "InstallProfile", "Payload": b"<plist/>"}),
    (MCINSTALL, {"RequestType": "RemoveProfile", "ProfileIdentifier": b"x"}),
    (MCINSTALL, {"RequestType": "Flush"}),
    (MCINSTALL, {"RequestType": "EraseDevice", "PreserveDataPlan": True}),
    (MCINSTALL, {"RequestType": "SetCloudConfiguration", "CloudConfiguration": {}}),
    (MCINSTALL, {"RequestType": "Escalate", "SupervisorCertificate": b"c"}),
    (MCINSTALL, {"RequestType": "GetProfileList", "Extra": 1}),
    (UNASSIGNED, {"Command": "Browse"}),
    ("afc", {"Operation": "read"}),
]


@pytest.mark.parametrize("channel, message", ALLOWED)
def test_allowed_reads(channel, message):
    # Allowed, and named as what it is (the name goes into the session's record of requests).
    name = message.get("Request") or message.get("Command") or message.get("RequestType")
    assert check_request(channel, message) == name


@pytest.mark.parametrize("channel, message", REFUSED)
def test_refused(channel, message):
    with pytest.raises(RequestRefusedError):
        check_request(channel, message)


def test_pair_only_while_asking_for_trust_and_never_supervised():
    pair = {"Label": "x", "Request": "Pair", "PairRecord": PAIR_RECORD, "HostName": "h",
            "ProtocolVersion": "2", "PairingOptions": {"ExtendedPairingErrors": True}}
    with pytest.raises(RequestRefusedError):
        check_request(LOCKDOWN, pair)
    check_request(LOCKDOWN, pair, pairing_allowed=True)
    supervised = {**pair, "PairingOptions": {"SupervisorCertificate": b"cert", "ExtendedPairingErrors": True}}
    with pytest.raises(RequestRefusedError):
        check_request(LOCKDOWN, supervised, pairing_allowed=True)


# --------------------------------------------------------------------------- on a real socket
async def _pair() -> tuple[GuardedServiceConnection, asyncio.StreamReader, asyncio.StreamWriter]:
    ours, theirs = socket.socketpair()
    reader, writer = await asyncio.open_connection(sock=ours)
    peer_reader, peer_writer = await asyncio.open_connection(sock=theirs)
    return GuardedServiceConnection(reader, writer), peer_reader, peer_writer


async def _nothing_arrives(peer: asyncio.StreamReader) -> bool:
    try:
        await asyncio.wait_for(peer.read(1), 0.2)
    except asyncio.TimeoutError:
        return True
    return False


def _frame(message) -> bytes:
    body = plistlib.dumps(message)
    return struct.pack(">I", len(body)) + body


@pytest.mark.timeout(20)
def test_pymobiledevice3_write_methods_never_reach_the_wire():
    async def main():
        connection, peer, peer_writer = await _pair()
        guard = RequestGuard()
        connection.bind(guard, MCINSTALL)
        config = MobileConfigService(lockdown=None, service=connection)  # type: ignore[arg-type]
        with pytest.raises(RequestRefusedError):
            await config.install_profile(b"<plist/>")
        with pytest.raises(RequestRefusedError):
            await config.flush()
        assert await _nothing_arrives(peer)
        connection.bind(guard, INSTALLATION_PROXY)
        proxy = InstallationProxyService(lockdown=None, service=connection)  # type: ignore[arg-type]
        with pytest.raises(RequestRefusedError):
            await proxy.uninstall("org.example.a")
        assert await _nothing_arrives(peer)
        assert guard.sent == [] and len(guard.refused) == 3
        await connection.close()
        peer_writer.close()

    asyncio.run(main())


@pytest.mark.timeout(20)
def test_unbound_connection_sends_nothing():
    async def main():
        connection, peer, peer_writer = await _pair()
        with pytest.raises(RequestRefusedError):
            await connection.send_plist({"RequestType": "GetProfileList"})
        connection.bind(RequestGuard(), UNASSIGNED)
        with pytest.raises(RequestRefusedError):
            await connection.send_plist({"RequestType": "GetProfileList"})
        assert await _nothing_arrives(peer)
        await connection.close()
        peer_writer.close()

    asyncio.run(main())


@pytest.mark.timeout(20)
def test_allowed_request_goes_out_exactly_and_answer_is_captured_byte_for_byte():
    async def main():
        connection, peer, peer_writer = await _pair()
        guard = RequestGuard()
        connection.bind(guard, MCINSTALL)
        answer = _frame({"Status": "Acknowledged", "ProfileMetadata": {}})
        captured = bytearray()
        connection.tap = captured.extend

        async def phone():
            size = struct.unpack(">I", await peer.readexactly(4))[0]
            request = plistlib.loads(await peer.readexactly(size))
            # Fragmented, as a real cable may deliver it.
            for i in range(0, len(answer), 7):
                peer_writer.write(answer[i:i + 7])
                await peer_writer.drain()
            return request

        served = asyncio.create_task(phone())
        parsed = await connection.send_recv_plist(dict(GET_PROFILE_LIST))
        assert await served == GET_PROFILE_LIST
        assert parsed == {"Status": "Acknowledged", "ProfileMetadata": {}}
        assert bytes(captured) == answer
        assert [(r.channel, r.name) for r in guard.sent] == [(MCINSTALL, "GetProfileList")]
        await connection.close()
        peer_writer.close()

    asyncio.run(main())


@pytest.mark.timeout(20)
def test_answer_cut_mid_way_keeps_what_arrived():
    async def main():
        connection, peer, peer_writer = await _pair()
        connection.bind(RequestGuard(), MCINSTALL)
        answer = _frame({"Status": "Acknowledged", "CloudConfiguration": {"IsSupervised": True}})
        captured = bytearray()
        connection.tap = captured.extend
        peer_writer.write(answer[:30])
        await peer_writer.drain()
        peer_writer.close()
        with pytest.raises(ConnectionTerminatedError):
            await connection.recv_plist()
        assert bytes(captured) == answer[:30]
        await connection.close()

    asyncio.run(main())
