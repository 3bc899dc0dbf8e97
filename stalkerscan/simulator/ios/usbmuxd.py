"""usbmuxd for simulated iPhones: device list, events, pair records, and Connect.

Messages have a 16-byte little-endian header (length including the header, version 1 = plist,
message type 8 = plist, tag) and an XML property-list body. Handled:

- ``ReadBUID``, ``ListDevices``, ``Listen`` (then ``Attached`` / ``Detached`` events as phones
  are plugged and unplugged);
- ``ReadPairRecord``; ``SavePairRecord`` only for a record the phone accepted when the person
  tapped Trust; ``DeletePairRecord`` is refused and recorded;
- ``Connect`` with the port in network byte order; the connection then becomes a byte pipe to
  lockdownd (62078) or to a port lockdownd opened with StartService.

Results use usbmuxd's numbers: 0 OK, 1 BADCOMMAND, 2 BADDEV (or ENOENT for a missing pair
record), 3 CONNREFUSED, 6 BADVERSION; refused pair-record changes get EACCES (13).
"""

from __future__ import annotations

import asyncio
import contextlib
import plistlib
import socket
import ssl
import struct
from collections.abc import Coroutine, Mapping, Sequence
from typing import Any

from stalkerscan.simulator.ios.lockdownd import serve_lockdownd
from stalkerscan.simulator.ios.pairing import PairRecordProblem, trusted_host_from_request
from stalkerscan.simulator.ios.phone import (
    LOCKDOWND_PORT,
    SIMULATED_SYSTEM_BUID,
    PhoneUnplugged,
    SimulatedIPhone,
    summarize,
)
from stalkerscan.simulator.ios.services import serve_service
from stalkerscan.simulator.ios.stream import DeviceStream, MessageProblem, StreamClosed

RESULT_OK = 0
RESULT_BADCOMMAND = 1
RESULT_BADDEV = 2
RESULT_ENOENT = 2
RESULT_CONNREFUSED = 3
RESULT_BADVERSION = 6
RESULT_EACCES = 13

_HEADER = struct.Struct("<IIII")
_VERSION_PLIST = 1
_MESSAGE_RESULT = 1
_MESSAGE_PLIST = 8
_MAX_PACKET = 1024 * 1024
_USB_PRODUCT_ID_IPHONE = 0x12A8


class UsbmuxdServer:
    """The usbmuxd daemon in front of some simulated phones. Runs on one event loop."""

    def __init__(self, phones: Sequence[SimulatedIPhone], *,
                 buid: str = SIMULATED_SYSTEM_BUID) -> None:
        self.phones = list(phones)
        self.buid = buid
        self._loop: asyncio.AbstractEventLoop | None = None
        self._device_ids: dict[int, SimulatedIPhone] = {}
        self._next_device_id = 1
        self._records: dict[str, bytes] = {}
        self._listeners: set[DeviceStream] = set()
        self._streams: set[DeviceStream] = set()
        self._pipes: dict[str, set[DeviceStream]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        for phone in self.phones:
            if phone.initial_pair_record is not None:
                self._records[phone.udid] = phone.initial_pair_record.to_bytes()

    # ------------------------------------------------------------------ lifecycle
    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Bind to ``loop`` and start following plug / unplug of the phones."""
        self._loop = loop
        for phone in self.phones:
            if phone.attached:
                self._assign_id(phone)
            phone.add_attachment_listener(self._on_attachment)

    async def shutdown(self) -> None:
        """Stop following the phones and drop every connection."""
        for phone in self.phones:
            phone.remove_attachment_listener(self._on_attachment)
        for stream in list(self._streams):
            stream.abort()
        tasks = [task for task in self._tasks if not task.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    # ------------------------------------------------------------------ plug / unplug
    def _on_attachment(self, phone: SimulatedIPhone) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop is stopping
            loop.call_soon_threadsafe(self._attachment_changed, phone)

    def _attachment_changed(self, phone: SimulatedIPhone) -> None:
        device_id = self._id_of(phone)
        if phone.attached and device_id is None:
            device_id = self._assign_id(phone)
            self._broadcast(self._attached_message(phone, device_id))
        elif not phone.attached and device_id is not None:
            del self._device_ids[device_id]
            for stream in self._pipes.pop(phone.udid, set()):
                stream.abort()
            self._broadcast({"MessageType": "Detached", "DeviceID": device_id})

    def _assign_id(self, phone: SimulatedIPhone) -> int:
        device_id = self._next_device_id
        self._next_device_id += 1
        self._device_ids[device_id] = phone
        return device_id

    def _id_of(self, phone: SimulatedIPhone) -> int | None:
        for device_id, candidate in self._device_ids.items():
            if candidate is phone:
                return device_id
        return None

    def _broadcast(self, message: dict[str, Any]) -> None:
        for stream in list(self._listeners):
            self._spawn(self._send_event(stream, message))

    async def _send_event(self, stream: DeviceStream, message: dict[str, Any]) -> None:
        try:
            await stream.write(_packet(message, 0))
        except StreamClosed:
            self._listeners.discard(stream)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    def _attached_message(phone: SimulatedIPhone, device_id: int) -> dict[str, Any]:
        return {
            "DeviceID": device_id, "MessageType": "Attached",
            "Properties": {
                "ConnectionSpeed": 480000000, "ConnectionType": "USB", "DeviceID": device_id,
                "LocationID": 0x14100000 + device_id, "ProductID": _USB_PRODUCT_ID_IPHONE,
                "SerialNumber": phone.udid, "USBSerialNumber": phone.udid.replace("-", ""),
            },
        }

    # ------------------------------------------------------------------ clients
    async def handle_client(self, reader: asyncio.StreamReader,
                            writer: asyncio.StreamWriter) -> None:
        """Serve one client connection (the ``asyncio.start_server`` callback)."""
        stream = DeviceStream(reader, writer)
        self._streams.add(stream)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._serve(stream)
        except (StreamClosed, MessageProblem, PhoneUnplugged, ssl.SSLError,
                ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._streams.discard(stream)
            self._listeners.discard(stream)
            stream.abort()
            if task is not None:
                self._tasks.discard(task)

    async def _serve(self, stream: DeviceStream) -> None:
        while True:
            length, version, message, tag = _HEADER.unpack(await stream.read_exactly(16))
            if not 16 <= length <= _MAX_PACKET:
                return
            body = await stream.read_exactly(length - 16)
            if version != _VERSION_PLIST or message != _MESSAGE_PLIST:
                self._log_all("binary", f"version={version} message={message}")
                await stream.write(struct.pack("<IIIII", 20, version, _MESSAGE_RESULT, tag,
                                               RESULT_BADVERSION))
                continue
            try:
                request = plistlib.loads(body)
            except (plistlib.InvalidFileException, ValueError, TypeError, OverflowError):
                return
            if not isinstance(request, Mapping):
                return
            if await self._answer(stream, request, tag):
                return

    async def _answer(self, stream: DeviceStream, request: Mapping[str, Any], tag: int) -> bool:
        """Answer one message. True when the connection is done (after a Connect)."""
        kind = str(request.get("MessageType", ""))
        detail = summarize(request, skip=("MessageType", "ClientVersionString", "ProgName",
                                          "kLibUSBMuxVersion", "BundleID"))
        if kind == "ReadBUID":
            self._log_all(kind, detail)
            await stream.write(_packet({"BUID": self.buid}, tag))
        elif kind == "ListDevices":
            self._log_all(kind, detail)
            devices = [self._attached_message(phone, device_id)
                       for device_id, phone in sorted(self._device_ids.items())]
            await stream.write(_packet({"DeviceList": devices}, tag))
        elif kind == "Listen":
            self._log_all(kind, detail)
            self._listeners.add(stream)
            await stream.write(_result(RESULT_OK, tag))
            for device_id, phone in sorted(self._device_ids.items()):
                await stream.write(_packet(self._attached_message(phone, device_id), 0))
        elif kind == "ReadPairRecord":
            await self._read_pair_record(stream, request, tag, detail)
        elif kind == "SavePairRecord":
            await self._save_pair_record(stream, request, tag, detail)
        elif kind == "DeletePairRecord":
            record_id = str(request.get("PairRecordID", ""))
            self._log_for(record_id, kind, detail,
                          refused="deleting a pair record un-trusts the computer")
            await stream.write(_result(RESULT_EACCES, tag))
        elif kind == "Connect":
            return await self._connect(stream, request, tag, detail)
        else:
            self._log_all(kind or "?", detail, refused=f"usbmuxd {kind!r} is not supported")
            await stream.write(_result(RESULT_BADCOMMAND, tag))
        return False

    async def _read_pair_record(self, stream: DeviceStream, request: Mapping[str, Any],
                                tag: int, detail: str) -> None:
        record_id = str(request.get("PairRecordID", ""))
        self._log_for(record_id, "ReadPairRecord", detail)
        record = self._records.get(record_id)
        if record is None:
            await stream.write(_result(RESULT_ENOENT, tag))
        else:
            await stream.write(_packet({"PairRecordData": record}, tag))

    async def _save_pair_record(self, stream: DeviceStream, request: Mapping[str, Any],
                                tag: int, detail: str) -> None:
        record_id = str(request.get("PairRecordID", ""))
        data = request.get("PairRecordData")
        phone = self._phone_by_udid(record_id)
        accepted = False
        if phone is not None and isinstance(data, bytes):
            with contextlib.suppress(plistlib.InvalidFileException, ValueError, TypeError,
                                     PairRecordProblem):
                record = plistlib.loads(data)
                host = trusted_host_from_request(record, phone.identity)
                accepted = phone.trusted_host(host.host_id) is not None
        if accepted:
            self._log_for(record_id, "SavePairRecord", detail)
            self._records[record_id] = data  # type: ignore[assignment]
            await stream.write(_result(RESULT_OK, tag))
        else:
            self._log_for(record_id, "SavePairRecord", detail,
                          refused="the phone did not trust this computer (no Trust tap)")
            await stream.write(_result(RESULT_EACCES, tag))

    async def _connect(self, stream: DeviceStream, request: Mapping[str, Any], tag: int,
                       detail: str) -> bool:
        device_id = request.get("DeviceID")
        phone = self._device_ids.get(device_id) if isinstance(device_id, int) else None
        port_number = request.get("PortNumber")
        if phone is None or not phone.attached or not isinstance(port_number, int):
            self._log_all("Connect", detail)
            await stream.write(_result(RESULT_BADDEV, tag))
            return False
        port = socket.ntohs(port_number & 0xFFFF)  # clients send it htons()'d
        phone.admit_usbmuxd("Connect", f"DeviceID={device_id} port={port}")
        service_port = None
        if port != LOCKDOWND_PORT:
            service_port = phone.claim_port(port)
            if service_port is None:
                await stream.write(_result(RESULT_CONNREFUSED, tag))
                return False
        await stream.write(_result(RESULT_OK, tag))
        pipes = self._pipes.setdefault(phone.udid, set())
        pipes.add(stream)
        stream.use_faults(lambda: phone.faults)
        try:
            if service_port is None:
                await serve_lockdownd(phone, stream)
            else:
                if service_port.tls_host is not None:
                    await stream.start_tls(phone.tls_context(service_port.tls_host))
                await serve_service(phone, service_port.service, stream)
        finally:
            pipes.discard(stream)
        return True

    # ------------------------------------------------------------------ logging
    def _phone_by_udid(self, udid: str) -> SimulatedIPhone | None:
        for phone in self.phones:
            if phone.udid == udid or phone.udid.replace("-", "") == udid.replace("-", ""):
                return phone
        return None

    def _log_all(self, kind: str, detail: str, *, refused: str = "") -> None:
        for phone in self.phones:
            phone.admit_usbmuxd(kind, detail, refused=refused)

    def _log_for(self, udid: str, kind: str, detail: str, *, refused: str = "") -> None:
        phone = self._phone_by_udid(udid)
        if phone is not None:
            phone.admit_usbmuxd(kind, detail, refused=refused)
        else:
            self._log_all(kind, detail, refused=refused)


def _packet(message: Mapping[str, Any], tag: int) -> bytes:
    body = plistlib.dumps(dict(message), fmt=plistlib.FMT_XML)
    return _HEADER.pack(16 + len(body), _VERSION_PLIST, _MESSAGE_PLIST, tag) + body


def _result(number: int, tag: int) -> bytes:
    return _packet({"MessageType": "Result", "Number": number}, tag)
