"""JSON on the wire: orjson behind the interface python-socketio expects."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic_core import to_jsonable_python
from socketio.packet import Packet

__all__ = ["OrjsonPacket", "to_wire"]

_PASS_THROUGH = (str, int, float, bool, bytes, bytearray, type(None))


def to_wire(value: Any) -> Any:
    """Make ``value`` JSON-ready: pydantic models, dataclasses, dates... become plain data.

    ``bytes`` stay binary wherever they sit in plain dicts, lists and tuples, so they
    travel as Socket.IO attachments, as in Node.
    """
    if isinstance(value, _PASS_THROUGH):
        return value
    if isinstance(value, dict):
        return {key: to_wire(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_wire(item) for item in value]
    return to_jsonable_python(value)


class _OrjsonModule:
    """The ``json`` module subset python-socketio calls, backed by orjson.

    python-socketio passes ``separators=``, which orjson does not take; orjson's
    output is compact anyway. orjson reads integers beyond 64 bits as floats, so
    the huge-integer guard of engine.io's json module is not needed.
    """

    JSONDecodeError = orjson.JSONDecodeError

    @staticmethod
    def dumps(obj: Any, **_: Any) -> str:
        return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS).decode()

    @staticmethod
    def loads(data: str | bytes, **_: Any) -> Any:
        return orjson.loads(data)


class OrjsonPacket(Packet):  # type: ignore[misc]
    """A Socket.IO packet encoded with orjson; passed as python-socketio's ``serializer``."""

    json = _OrjsonModule
