"""msgpack on the wire: the packets of Node's ``socket.io-msgpack-parser``.

Each Socket.IO packet is one binary Engine.IO message holding a msgpack map
``{"type": int, "data": ..., "nsp": str, "id": int}`` (``data`` and ``id`` only
when the packet has them): no text frame, no attachments, ``bytes`` anywhere
in the payload as msgpack ``bin``. What is read is checked as that parser
checks it (a packet type from CONNECT to CONNECT_ERROR, a namespace string,
an integer id), and decoded as a JSON client's payload would be:

- notepack.io's extension type 0 is what JavaScript has and msgpack lacks:
  ``undefined`` is dropped from maps and is ``None`` in arrays (as
  ``JSON.stringify`` does), a ``Date`` becomes its ISO 8601 string (its
  ``toJSON()``), an ``ArrayBuffer`` or typed array from Node becomes ``bytes``;
- map keys are strings, anything else is a parse error;
- payloads nest at most `MAX_NESTING` levels, as with JSON.

Other extension types are parse errors.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import Any

import msgpack
from socketio import packet as sio_packet
from socketio.packet import Packet

from sioapp._protocol.codec import MAX_NESTING, OrjsonPacket
from sioapp._transport.packets import Frame

__all__ = ["MsgpackPacket", "offset_of"]

#: The container headers of msgpack: fixmap, fixarray, map 16/32, array 16/32.
_CONTAINER_BYTES = frozenset((*range(0x80, 0xA0), 0xDC, 0xDD, 0xDE, 0xDF))
_OTHER_BYTES = bytes(byte for byte in range(256) if byte not in _CONTAINER_BYTES)
#: notepack.io's fixext 1 and fixext 8 headers of extension type 0: undefined, a Date.
_UNDEFINED_HEADER = b"\xd4\x00"
_DATE_HEADER = b"\xd7\x00"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class _Undefined:
    """JavaScript's ``undefined`` while a packet is decoded; gone once it is."""

    __slots__ = ()


_UNDEFINED = _Undefined()


def _js_date(milliseconds: bytes) -> str:
    """A JavaScript ``Date`` (milliseconds since the epoch, big-endian) as its ``toJSON()``."""
    try:
        moment = _EPOCH + timedelta(milliseconds=int.from_bytes(milliseconds, signed=True))
    except OverflowError:
        raise ValueError("a Date out of the years 1 to 9999") from None
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
        f"{moment.minute:02d}:{moment.second:02d}.{moment.microsecond // 1000:03d}Z"
    )


def _extension(frame: bytes, code: int, data: bytes) -> Any:
    """notepack.io's extension type 0: ``undefined`` (fixext 1), a ``Date`` (fixext 8), or an
    ``ArrayBuffer`` (ext 8/16/32). msgpack hands over the type and bytes only, so a 1- or
    8-byte value is told from an ``ArrayBuffer`` of that size by its header in ``frame``."""
    if code != 0:
        raise ValueError(f"msgpack extension type {code} is not one Socket.IO clients send")
    if len(data) == 1 and _UNDEFINED_HEADER + data in frame:
        return _UNDEFINED
    if len(data) == 8 and _DATE_HEADER + data in frame:
        return _js_date(data)
    return data


def _string_keys(value: dict[Any, Any]) -> dict[str, Any]:
    for key in value:
        if type(key) is not str:
            raise ValueError("a msgpack map key is not a string")
    return value


def _defined_items(value: dict[Any, Any]) -> dict[str, Any]:
    _string_keys(value)
    return {key: item for key, item in value.items() if item is not _UNDEFINED}


def _defined_elements(value: list[Any]) -> list[Any]:
    return [None if item is _UNDEFINED else item for item in value]


def _unpack(frame: bytes) -> Any:
    ext_hook = functools.partial(_extension, frame)
    if _UNDEFINED_HEADER not in frame:
        return msgpack.unpackb(frame, ext_hook=ext_hook, object_hook=_string_keys)
    return msgpack.unpackb(
        frame, ext_hook=ext_hook, object_hook=_defined_items, list_hook=_defined_elements
    )


def _deeper_than(value: Any, levels: int) -> bool:
    """Whether ``value`` nests arrays and maps more than ``levels`` deep."""
    level = [value] if isinstance(value, list | dict) else []
    for _ in range(levels):
        below: list[Any] = []
        for item in level:
            children = item if isinstance(item, list) else item.values()
            below.extend(child for child in children if isinstance(child, list | dict))
        if not below:
            return False
        level = below
    return bool(level)


class MsgpackPacket(Packet):  # type: ignore[misc]
    """A Socket.IO packet as ``socket.io-msgpack-parser`` encodes it; passed as
    python-socketio's ``serializer``. `encode` returns the bytes of one binary message."""

    uses_binary_events = False
    #: What python-socketio's managers encode their own messages with: orjson, as for JSON.
    json = OrjsonPacket.json

    def encode(self) -> bytes:
        """The packet's one binary Engine.IO message."""
        packet: dict[str, Any] = {"type": self.packet_type}
        if self.data is not None:
            packet["data"] = self.data
        packet["nsp"] = self.namespace or "/"
        if self.id is not None:
            packet["id"] = self.id
        encoded: bytes = msgpack.packb(packet)
        return encoded

    def decode(self, encoded_packet: bytes) -> int:
        """Read one binary message; a ValueError when it is not a packet of the parser's."""
        if not isinstance(encoded_packet, bytes):
            raise ValueError("a msgpack packet is a binary message, not text")
        try:
            packet = _unpack(encoded_packet)
        except ValueError as exc:
            raise ValueError(f"invalid msgpack: {exc or type(exc).__name__}") from None
        if type(packet) is not dict:
            raise ValueError("a msgpack packet is a map")
        kind, namespace = packet.get("type"), packet.get("nsp")
        if type(kind) is not int or not sio_packet.CONNECT <= kind <= sio_packet.CONNECT_ERROR:
            raise ValueError("invalid packet type")
        if type(namespace) is not str or not namespace.startswith("/"):
            raise ValueError("invalid namespace")
        if "id" in packet and type(packet["id"]) is not int:
            raise ValueError("invalid packet id")
        data = packet.get("data")
        if len(encoded_packet) > MAX_NESTING:
            containers = len(encoded_packet.translate(None, _OTHER_BYTES))
            if containers > MAX_NESTING and _deeper_than(data, MAX_NESTING):
                raise ValueError(f"msgpack nested deeper than {MAX_NESTING} levels")
        self.packet_type, self.namespace, self.data = kind, namespace, data
        self.id = packet.get("id")
        return 0


def offset_of(frame: Frame) -> str | None:
    """The recovery offset an encoded EVENT ends its arguments with, if it is one."""
    if not isinstance(frame, bytes):
        return None
    try:
        packet = msgpack.unpackb(frame)
    except ValueError:
        return None
    if not isinstance(packet, dict) or packet.get("type") != sio_packet.EVENT:
        return None
    data = packet.get("data")
    if not isinstance(data, list) or len(data) < 2 or not isinstance(data[-1], str):
        return None
    return data[-1]
