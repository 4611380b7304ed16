"""JSON on the wire: orjson behind the interface python-socketio expects."""

from __future__ import annotations

from collections.abc import Mapping, Set
from typing import Any

import orjson
from pydantic_core import to_jsonable_python
from socketio import packet as sio_packet
from socketio.packet import Packet

__all__ = ["OrjsonPacket", "to_wire"]

_PASS_THROUGH = (str, int, float, bool, bytes, bytearray, type(None))

#: The deepest nesting orjson writes: deeper JSON from a client is refused when read,
#: or a handler could not send back what it was given.
MAX_NESTING = 254


def to_wire(value: Any) -> Any:
    """Make ``value`` JSON-ready: pydantic models, dataclasses, dates... become plain data.

    Read-only mappings (``socket.handshake.auth``, ``headers``, ``query``) become
    objects and sets (``socket.rooms``) arrays, sorted when their items can be.
    ``bytes`` stay binary wherever they sit in mappings, lists and tuples, so they
    travel as Socket.IO attachments, as in Node.
    """
    if isinstance(value, _PASS_THROUGH):
        return value
    if isinstance(value, Mapping):
        return {key: to_wire(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_wire(item) for item in value]
    if isinstance(value, Set):
        return [to_wire(item) for item in _ordered(value)]
    return to_jsonable_python(value)


def _ordered(items: Set[Any]) -> list[Any]:
    try:
        return sorted(items)
    except TypeError:
        return list(items)


def _dumps(obj: Any) -> str:
    return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS).decode()


class _OrjsonModule:
    """The ``json`` module subset python-socketio calls, backed by orjson.

    python-socketio passes ``separators=``, which orjson does not take; orjson's
    output is compact anyway. orjson reads integers beyond 64 bits as floats, so
    the huge-integer guard of engine.io's json module is not needed.
    """

    JSONDecodeError = orjson.JSONDecodeError

    @staticmethod
    def dumps(obj: Any, **_: Any) -> str:
        return _dumps(obj)

    @staticmethod
    def loads(data: str | bytes, **_: Any) -> Any:
        """``data`` decoded; a ValueError when it nests deeper than `MAX_NESTING`."""
        value = orjson.loads(data)
        opened = (
            data.count(b"[") + data.count(b"{")
            if isinstance(data, bytes)
            else data.count("[") + data.count("{")
        )
        if opened > MAX_NESTING:
            try:
                orjson.dumps(value)  # decoded JSON fails to encode only when too deep
            except TypeError:
                raise ValueError(f"JSON nested deeper than {MAX_NESTING} levels") from None
        return value


class OrjsonPacket(Packet):  # type: ignore[misc]
    """A Socket.IO packet encoded with orjson; passed as python-socketio's ``serializer``.

    An outgoing packet's payload is serialised once, when the packet is built:
    orjson refuses ``bytes``, so a payload it takes has no binary attachment and
    python-socketio's recursive search for one is skipped. Only a payload orjson
    refuses takes python-socketio's own path (attachments, or its error).
    """

    json = _OrjsonModule

    def __init__(
        self,
        packet_type: int = sio_packet.EVENT,
        data: Any = None,
        namespace: str | None = None,
        id: int | None = None,
        binary: bool | None = None,
        encoded_packet: str | None = None,
    ) -> None:
        self._json: str | None = None
        if encoded_packet is not None:
            binary = False  # decoding: the packet type read from the wire says it
        elif binary is None and data is not None:
            try:
                self._json = _dumps(data)
            except TypeError:
                pass  # bytes inside, or not serialisable: python-socketio decides
            else:
                binary = False
        super().__init__(packet_type, data, namespace, id, binary, encoded_packet)

    def encode(self) -> str | list[str | bytes]:
        """The packet's text frame, followed by its attachments when it has any."""
        if self._json is None:
            encoded: str | list[str | bytes] = super().encode()
            return encoded
        head = str(self.packet_type)
        if self.namespace is not None and self.namespace != "/":
            head += self.namespace + ","
        if self.id is not None:
            head += str(self.id)
        return head + self._json
