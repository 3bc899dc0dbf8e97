"""Tier A: pure-python-adb (and the adb command line) against the in-process host server."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from collections.abc import Iterator

import pytest
from adb_protocol_helpers import (
    APK,
    APK_PATH,
    NOTES,
    NOTES_PATH,
    HostSocket,
    ScriptedPhone,
    host_query,
    make_scripted_phone,
    read_shell_v2,
    wait_until,
)
from ppadb.client import Client

from stalkerscan.simulator.android.base import AndroidState
from stalkerscan.simulator.android.host_server import (
    NO_PERMISSIONS_ERROR,
    NO_PERMISSIONS_STATE,
    UNAUTHORIZED_ERROR,
)
from stalkerscan.simulator.android.run import ServerAddress, running_host_server
from stalkerscan.simulator.requestlog import Verdict

pytestmark = pytest.mark.timeout(30)


def ppadb_error(message: str) -> str:
    """What pure-python-adb raises for a FAIL: the hex length is left in."""
    return f"ERROR: 'FAIL' {len(message.encode()):04x}{message}"


@pytest.fixture(scope="module")
def phones() -> dict[str, ScriptedPhone]:
    return {
        "SIM0001": make_scripted_phone("SIM0001"),
        "SIM0002": make_scripted_phone("SIM0002", AndroidState.UNAUTHORIZED),
        "SIM0003": make_scripted_phone("SIM0003", AndroidState.OFFLINE),
        "SIM0004": make_scripted_phone("SIM0004"),
        "127.0.0.1:40001": make_scripted_phone("127.0.0.1:40001"),
        "127.0.0.1:40002": make_scripted_phone("127.0.0.1:40002", AndroidState.UNAUTHORIZED),
    }


@pytest.fixture(scope="module")
def server(phones: dict[str, ScriptedPhone]) -> Iterator[ServerAddress]:
    with running_host_server(list(phones.values()), without_permission=["SIM0004"]) as address:
        yield address


@pytest.fixture
def client(server: ServerAddress) -> Client:
    return Client(server.host, server.port)


@pytest.fixture
def phone(phones: dict[str, ScriptedPhone]) -> Iterator[ScriptedPhone]:
    phone = phones["SIM0001"]
    phone.log.clear()
    yield phone


# --------------------------------------------------------------------------- host services
def test_version_is_adb_29s(client: Client) -> None:
    assert client.version() == 41


def test_devices_long_listing_is_adb_29s_format(server: ServerAddress) -> None:
    status, text = host_query(server.port, "host:devices-l")
    assert status == "OKAY"
    assert text == (
        "SIM0001                device usb:1-1 product:exampleprod model:Example_Phone_1 "
        "device:example1 transport_id:1\n"
        "SIM0002                unauthorized usb:1-2 transport_id:2\n"
        "SIM0003                offline usb:1-3 transport_id:3\n"
        f"SIM0004                {NO_PERMISSIONS_STATE} usb:1-4 transport_id:4\n"
        "127.0.0.1:40001        device product:exampleprod model:Example_Phone_1 "
        "device:example1 transport_id:5\n"
        "127.0.0.1:40002        unauthorized transport_id:6\n"
    )


def test_ppadb_lists_every_phone_and_filters_by_state(client: Client) -> None:
    assert [d.serial for d in client.devices()] == [
        "SIM0001", "SIM0002", "SIM0003", "SIM0004", "127.0.0.1:40001", "127.0.0.1:40002"]
    assert [d.serial for d in client.devices(state="unauthorized")] == [
        "SIM0002", "127.0.0.1:40002"]
    assert [d.serial for d in client.devices(state="offline")] == ["SIM0003"]


def test_host_serial_queries(server: ServerAddress) -> None:
    assert host_query(server.port, "host-serial:SIM0001:get-state") == ("OKAY", "device")
    assert host_query(server.port, "host-serial:SIM0001:get-serialno") == ("OKAY", "SIM0001")
    assert host_query(server.port, "host-serial:SIM0001:get-devpath") == ("OKAY", "usb:1-1")
    assert host_query(server.port, "host-serial:127.0.0.1:40001:get-devpath") == (
        "OKAY", "unknown")
    assert host_query(server.port, "host-serial:SIM0001:features") == (
        "OKAY", "shell_v2,cmd,stat_v2,ls_v2")
    # Serials with a colon, matched as adb does (with or without the tcp: prefix).
    assert host_query(server.port, "host-serial:tcp:127.0.0.1:40001:get-serialno") == (
        "OKAY", "127.0.0.1:40001")
    assert host_query(server.port, "host-serial:model:Example_Phone_1:get-state") == (
        "FAIL", "more than one device")


def test_errors_are_the_real_servers_texts(server: ServerAddress) -> None:
    assert host_query(server.port, "host-serial:SIM0002:get-state") == (
        "FAIL", UNAUTHORIZED_ERROR)
    assert host_query(server.port, "host-serial:SIM0003:get-state") == ("FAIL", "device offline")
    assert host_query(server.port, "host:transport-any") == (
        "FAIL", "more than one device/emulator")
    assert host_query(server.port, "host:transport-local") == ("FAIL", "more than one emulator")
    assert host_query(server.port, "host:frobnicate") == ("FAIL", "unknown host service")
    with HostSocket(server.port) as conn:
        conn.request("shell:id")
        assert conn.status() == ("FAIL", "device offline (no transport)")


def test_no_permissions_phone(server: ServerAddress) -> None:
    assert host_query(server.port, "host-serial:SIM0004:get-state") == (
        "FAIL", NO_PERMISSIONS_ERROR)
    # adb's quirk: while a phone without permissions is attached, "not found" says the same.
    assert host_query(server.port, "host-serial:NOPE:get-state") == ("FAIL", NO_PERMISSIONS_ERROR)


def test_unknown_serial_is_not_found() -> None:
    with running_host_server([make_scripted_phone("SIM0500")]) as server:
        assert host_query(server.port, "host-serial:NOPE:get-state") == (
            "FAIL", "device 'NOPE' not found")
        assert host_query(server.port, "host:transport:NOPE") == (
            "FAIL", "device 'NOPE' not found")
        assert host_query(server.port, "host:transport-id:99") == (
            "FAIL", "no device with transport id '99'")


def test_unauthorized_and_offline_are_ppadbs_runtime_errors(client: Client) -> None:
    with pytest.raises(RuntimeError) as unauthorized:
        client.device("SIM0002").shell("id")
    assert str(unauthorized.value) == ppadb_error(UNAUTHORIZED_ERROR)
    assert str(unauthorized.value).startswith("ERROR: 'FAIL' 00a7device unauthorized.\n")
    with pytest.raises(RuntimeError) as offline:
        client.device("SIM0003").shell("id")
    assert str(offline.value) == ppadb_error("device offline")


def test_tport_returns_the_transport_id(server: ServerAddress) -> None:
    with HostSocket(server.port) as conn:
        conn.request("host:tport:serial:127.0.0.1:40001")
        assert conn.exact(4) == b"OKAY"
        assert struct.unpack("<Q", conn.exact(8))[0] == 5
        conn.request("shell,v2,raw:echo hello")
        assert conn.status() == ("OKAY", None)
        assert read_shell_v2(conn.rest()) == (b"hello\n", b"", 0)


def test_host_features_are_adb_29s(server: ServerAddress) -> None:
    status, text = host_query(server.port, "host:host-features")
    assert status == "OKAY" and text is not None
    assert set(text.split(",")) == {"push_sync", "remount_shell", "abb_exec", "abb", "apex",
                                    "fixed_push_mkdir", "ls_v2", "stat_v2",
                                    "fixed_push_symlink_timestamp", "cmd", "shell_v2"}


def test_connect_and_disconnect_network_phones(client: Client, server: ServerAddress) -> None:
    assert client.remote_connect("127.0.0.1", 40001) is True  # "already connected to ..."
    assert client.remote_disconnect("127.0.0.1", 40001) == "disconnected 127.0.0.1:40001"
    assert "127.0.0.1:40001" not in [d.serial for d in client.devices()]
    with pytest.raises(RuntimeError, match="no such device '127.0.0.1:40001'"):
        client.remote_disconnect("127.0.0.1", 40001)
    assert host_query(server.port, "host:connect:127.0.0.1:40001") == (
        "OKAY", "connected to 127.0.0.1:40001")
    status, listing = host_query(server.port, "host:devices-l")
    assert "127.0.0.1:40001        device product:exampleprod" in (listing or "")
    assert "transport_id:7" in (listing or "")  # a new connection, a new transport id
    assert host_query(server.port, "host:connect:127.0.0.1:40009") == (
        "OKAY", "failed to connect to '127.0.0.1:40009': Connection refused")
    assert client.remote_connect("127.0.0.1", 40009) is False
    assert client.remote_disconnect("127.0.0.1", 40002) == "disconnected 127.0.0.1:40002"
    assert host_query(server.port, "host:connect:127.0.0.1:40002") == (
        "OKAY", "failed to authenticate to 127.0.0.1:40002")


# --------------------------------------------------------------------------- device services
def test_legacy_shell_as_ppadb_sends_it(client: Client, phone: ScriptedPhone) -> None:
    device = client.device("SIM0001")
    assert device.shell("getprop ro.product.model") == "Example Phone 1\n"
    # Legacy shell merges stderr into stdout and loses the exit code.
    assert device.shell("ls /nonexistent") == "ls: /nonexistent: No such file or directory\n"
    assert device.get_properties()["ro.product.model"] == "Example Phone 1"
    assert [(e.layer, e.service, e.request, e.verdict) for e in phone.log.entries()] == [
        ("adb-host", "shell", "getprop ro.product.model", Verdict.READ),
        ("adb-host", "shell", "ls /nonexistent", Verdict.READ),
        ("adb-host", "shell", "getprop", Verdict.READ),
    ]


def test_shell_v2_separates_streams_and_keeps_the_exit_code(server: ServerAddress) -> None:
    with HostSocket(server.port) as conn:
        conn.request("host:transport:SIM0001")
        assert conn.status() == ("OKAY", None)
        conn.request("shell,v2,raw:ls /nonexistent")
        assert conn.status() == ("OKAY", None)
        assert read_shell_v2(conn.rest()) == (
            b"", b"ls: /nonexistent: No such file or directory\n", 1)


def test_shell_v2_with_a_pty_merges_and_uses_crlf(server: ServerAddress) -> None:
    with HostSocket(server.port) as conn:
        conn.request("host:transport:SIM0001")
        conn.status()
        conn.request("shell,v2,pty:stat x")
        assert conn.status() == ("OKAY", None)
        assert read_shell_v2(conn.rest()) == (b"warning: reading stderr\r\n", b"", 3)


def test_exec_is_raw_and_merged(server: ServerAddress) -> None:
    with HostSocket(server.port) as conn:
        conn.request("host:transport:SIM0001")
        conn.status()
        conn.request("exec:ls /nonexistent")
        assert conn.status() == ("OKAY", None)
        assert conn.rest() == b"ls: /nonexistent: No such file or directory\n"


def test_large_output_arrives_whole(client: Client) -> None:
    output = client.device("SIM0001").shell("cat /proc/example_big")
    assert output == "line of output\n" * 20000


def test_pull_is_byte_exact(client: Client, phone: ScriptedPhone, tmp_path) -> None:
    target = tmp_path / "base.apk"
    client.device("SIM0001").pull(APK_PATH, str(target))
    assert target.read_bytes() == APK
    client.device("SIM0001").pull(NOTES_PATH, str(tmp_path / "notes.txt"))
    assert (tmp_path / "notes.txt").read_bytes() == NOTES
    assert [e.request for e in phone.log.entries()] == [f"RECV {APK_PATH}", f"RECV {NOTES_PATH}"]


def test_pull_of_a_missing_file_is_adbds_fail(client: Client, tmp_path) -> None:
    # ppadb returns the FAIL text instead of raising (and leaves an empty file).
    result = client.device("SIM0001").pull("/sdcard/none.txt", str(tmp_path / "none"))
    assert result == "open failed: No such file or directory"


def _sync(server: ServerAddress, payload: bytes) -> bytes:
    with HostSocket(server.port) as conn:
        conn.request("host:transport:SIM0001")
        conn.status()
        conn.request("sync:")
        assert conn.status() == ("OKAY", None)
        conn.sock.sendall(payload + b"QUIT" + b"\0" * 4)
        return conn.rest()


def _request(ident: bytes, path: str) -> bytes:
    return ident + struct.pack("<I", len(path)) + path.encode()


def test_sync_stat_v1_and_v2(server: ServerAddress) -> None:
    answer = _sync(server, _request(b"STAT", NOTES_PATH) + _request(b"STA2", NOTES_PATH)
                   + _request(b"LST2", "/sdcard/none") + _request(b"STAT", "/sdcard/none"))
    assert answer[:16] == b"STAT" + struct.pack("<III", 0o100644, len(NOTES), 1_700_000_000)
    v2 = struct.unpack("<4sIQQIIIIQqqq", answer[16:88])
    assert v2[0] == b"STA2" and v2[1] == 0 and v2[4] == 0o100644 and v2[8] == len(NOTES)
    missing = struct.unpack("<4sIQQIIIIQqqq", answer[88:160])
    assert missing[0] == b"LST2" and missing[1] == 2  # ENOENT
    assert answer[160:] == b"STAT" + b"\0" * 12


def test_sync_listings(server: ServerAddress) -> None:
    v1 = _sync(server, _request(b"LIST", "/sdcard/Download"))
    names = []
    offset = 0
    while v1[offset:offset + 4] == b"DENT":
        _, mode, size, mtime, length = struct.unpack_from("<4sIIII", v1, offset)
        names.append(v1[offset + 20:offset + 20 + length].decode())
        offset += 20 + length
    assert names == [".", "..", "notes.txt"]
    assert v1[offset:] == b"DONE" + b"\0" * 16
    v2 = _sync(server, _request(b"LIS2", "/sdcard/Download"))
    assert v2.startswith(b"DNT2") and v2.endswith(b"DONE" + b"\0" * 72)
    assert b"notes.txt" in v2


def test_sync_unknown_request_fails_and_closes(server: ServerAddress,
                                               phone: ScriptedPhone) -> None:
    answer = _sync(server, _request(b"XXXX", "/sdcard"))
    assert answer == b"FAIL" + struct.pack("<I", 24) + b"unknown command 58585858"
    assert phone.log.write_attempts()[0].request == "sync:XXXX"


# --------------------------------------------------------------------------- read-only guard
def test_write_attempts_are_refused_and_logged(client: Client, phone: ScriptedPhone,
                                               tmp_path) -> None:
    device = client.device("SIM0001")
    refusal = device.shell("pm uninstall org.example.notes")
    assert refusal.startswith("stalkerscan simulator: refused, not read-only")
    device.shell("settings put global adb_enabled 0")
    source = tmp_path / "payload.bin"
    source.write_bytes(b"x" * 100_000)
    with pytest.raises(RuntimeError, match="refused, not read-only: sync SEND writes"):
        device.push(str(source), "/data/local/tmp/payload.bin")
    with pytest.raises(RuntimeError, match="closed"):
        device.reboot()
    attempts = [(e.service, e.request) for e in phone.log.write_attempts()]
    assert attempts == [
        ("shell", "pm uninstall org.example.notes"),
        ("shell", "settings put global adb_enabled 0"),
        ("sync", "SEND /data/local/tmp/payload.bin,33188"),
        ("service", "reboot:"),
    ]


@pytest.mark.parametrize("service", ["remount:", "root:", "tcpip:5555", "framebuffer:",
                                     "jdwp:1234", "reverse:forward:tcp:1;tcp:2", "abb:package"])
def test_services_not_offered_are_closed_and_logged(server: ServerAddress, phone: ScriptedPhone,
                                                    service: str) -> None:
    with HostSocket(server.port) as conn:
        conn.request("host:transport:SIM0001")
        conn.status()
        conn.request(service)
        assert conn.status() == ("FAIL", "closed")
    assert [(e.service, e.request, e.verdict) for e in phone.log.entries()] == [
        ("service", service, Verdict.REFUSED)]


def test_port_forwarding_is_refused(server: ServerAddress, phone: ScriptedPhone) -> None:
    status, message = host_query(server.port, "host-serial:SIM0001:forward:tcp:1;tcp:2")
    assert status == "FAIL" and "not offered" in (message or "")
    assert phone.log.write_attempts()[0].request == "forward:tcp:1;tcp:2"


# --------------------------------------------------------------------------- states over time
@pytest.mark.timeout(30)
def test_prompt_phone_turns_authorized_after_the_tap() -> None:
    phone = make_scripted_phone("SIM0100", AndroidState.PROMPT)
    with running_host_server([phone], prompt_delay=1.0) as server:
        assert host_query(server.port, "host:devices") == ("OKAY", "SIM0100\tunauthorized\n")
        wait_until(lambda: host_query(server.port, "host:devices") == (
            "OKAY", "SIM0100\tdevice\n"), what="the tap on Allow")
        assert Client(server.host, server.port).device("SIM0100").shell("id").startswith(
            "uid=2000(shell)")


def test_state_can_change_while_running() -> None:
    phone = make_scripted_phone("SIM0200", AndroidState.UNAUTHORIZED)
    with running_host_server([phone]) as server:
        assert host_query(server.port, "host-serial:SIM0200:get-state") == (
            "FAIL", UNAUTHORIZED_ERROR)
        phone.state = AndroidState.AUTHORIZED
        assert host_query(server.port, "host-serial:SIM0200:get-state") == ("OKAY", "device")


def test_wait_for_device_answers_when_the_phone_is_allowed() -> None:
    phone = make_scripted_phone("SIM0300", AndroidState.PROMPT)
    with running_host_server([phone], prompt_delay=0.5) as server, HostSocket(server.port) as conn:
        conn.request("host-serial:SIM0300:wait-for-any-device")
        assert conn.exact(4) == b"OKAY"
        assert conn.exact(4) == b"OKAY"  # the second one comes once "device" is reached
        assert host_query(server.port, "host-serial:SIM0300:get-state") == ("OKAY", "device")


def test_single_phone_is_reached_without_a_serial() -> None:
    phone = make_scripted_phone("SIM0400")
    with running_host_server([phone]) as server:
        assert host_query(server.port, "host:features") == ("OKAY", "shell_v2,cmd,stat_v2,ls_v2")
        with HostSocket(server.port) as conn:
            conn.request("host:transport-usb")
            assert conn.status() == ("OKAY", None)
            conn.request("shell:echo one")
            assert conn.status() == ("OKAY", None)
            assert conn.rest() == b"one\n"


def test_no_phone_at_all() -> None:
    with running_host_server([]) as server:
        assert host_query(server.port, "host:devices") == ("OKAY", "")
        assert host_query(server.port, "host:transport-any") == (
            "FAIL", "no devices/emulators found")
        assert host_query(server.port, "host:transport-usb") == ("FAIL", "no devices found")


# --------------------------------------------------------------------------- the adb CLI
@pytest.fixture(scope="module")
def adb_cli(server: ServerAddress, tmp_path_factory) -> Iterator[object]:
    adb = shutil.which("adb")
    if adb is None:
        pytest.skip("the adb binary is not installed (Debian package `adb`)")
    env = dict(os.environ, HOME=str(tmp_path_factory.mktemp("adb-cli-home")))
    for name in ("ANDROID_ADB_SERVER_PORT", "ADB_SERVER_SOCKET", "ANDROID_ADB_SERVER_ADDRESS"):
        env.pop(name, None)

    def run(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([adb, "-P", str(server.port), *args], env=env,
                              capture_output=True, timeout=20, check=False)

    yield run


def test_adb_cli_talks_to_the_simulated_server(adb_cli, phone: ScriptedPhone, tmp_path) -> None:
    devices = adb_cli("devices")
    assert devices.stdout.decode().splitlines()[1] == "SIM0001\tdevice"
    model = adb_cli("-s", "SIM0001", "shell", "getprop", "ro.product.model")
    assert (model.returncode, model.stdout) == (0, b"Example Phone 1\n")
    missing = adb_cli("-s", "SIM0001", "shell", "ls /nonexistent")
    assert missing.returncode == 1  # shell v2 carried the exit code
    assert missing.stderr == b"ls: /nonexistent: No such file or directory\n"
    pulled = adb_cli("-s", "SIM0001", "pull", APK_PATH, str(tmp_path / "base.apk"))
    assert pulled.returncode == 0
    assert (tmp_path / "base.apk").read_bytes() == APK
    unauthorized = adb_cli("-s", "SIM0002", "shell", "id")
    assert unauthorized.returncode == 1
    assert unauthorized.stderr.decode() == f"error: {UNAUTHORIZED_ERROR}\n"
    pushed = adb_cli("-s", "SIM0001", "push", str(tmp_path / "base.apk"), "/sdcard/x.apk")
    assert pushed.returncode == 1
    assert [e.request for e in phone.log.write_attempts()] == ["SEND /sdcard/x.apk,33188"]


# --------------------------------------------------------------------------- run plumbing
def test_servers_listen_on_loopback_only_and_never_on_emulator_ports() -> None:
    with pytest.raises(ValueError, match="5555-5585"), running_host_server([], port=5560):
        pass
    with pytest.raises(ValueError, match="loopback only"), running_host_server(
            [], host="0.0.0.0"):  # noqa: S104 - the point is that it is refused
        pass


def test_server_stops_cleanly() -> None:
    import socket
    import threading

    before = {t.name for t in threading.enumerate()}
    with running_host_server([make_scripted_phone("SIM0600")]) as server:
        conn = HostSocket(server.port)  # a client that never says anything
        assert any(t.name == "simulated-adb-host-server" for t in threading.enumerate())
    assert {t.name for t in threading.enumerate()} <= before
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((server.host, server.port), timeout=2).close()
    conn.sock.settimeout(2)
    try:
        disconnected = conn.sock.recv(1) == b""
    except ConnectionResetError:
        disconnected = True  # reset, if the server had not finished accepting it
    assert disconnected  # the idle client was not left hanging
    conn.close()


class BrokenPhone(ScriptedPhone):
    def run_shell(self, cmdline: str):  # type: ignore[override]
        if cmdline == "id":
            raise RuntimeError("bug in the phone model")
        return super().run_shell(cmdline)


def test_a_broken_phone_model_is_reported_not_hidden(caplog) -> None:
    phone = BrokenPhone(serial="SIM0700")
    with running_host_server([phone]) as server:
        device = Client(server.host, server.port).device("SIM0700")
        assert device.shell("id") == ""  # the stream just ends
        assert device.shell("echo still here") == "still here\n"
    assert "simulated phone SIM0700 failed to answer 'shell:id'" in caplog.text
    assert "bug in the phone model" in caplog.text


def test_serve_android_in_foreground_prints_how_to_connect() -> None:
    import threading

    from stalkerscan.simulator.android.run import serve_android_in_foreground

    stop = threading.Event()
    printed: list[str] = []
    answers: list[tuple[str, str | None]] = []

    def out(text: str) -> None:
        printed.append(text)
        port = int(text.split("\n")[0].rsplit(":", 1)[1])
        answers.append(host_query(port, "host-serial:SIM0800:get-state"))
        stop.set()

    serve_android_in_foreground([make_scripted_phone("SIM0800")], transport=False, out=out,
                                stop=stop)
    assert answers == [("OKAY", "device")]
    assert "adb -P " in printed[0] and "stalkerscan scan --adb-port " in printed[0]
