"""What a server's packets are encoded with: JSON, the default, or msgpack.

``SioApp(serializer="msgpack")`` speaks the wire format of Node's
``socket.io-msgpack-parser``; its clients use that parser too. msgpack is an
optional dependency (``pip install "sioapp[msgpack]"``), imported only when
chosen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sioapp._protocol.codec import OrjsonPacket
from sioapp._protocol.recovery.replay import offset_of
from sioapp._transport.packets import Frame

__all__ = ["JSON", "Serializer", "SerializerName", "serializer_named"]

SerializerName = Literal["json", "msgpack"]


@dataclass(frozen=True, slots=True)
class Serializer:
    """How Socket.IO packets travel as Engine.IO messages."""

    name: SerializerName
    #: python-socketio's ``serializer``: the class that encodes and decodes packets.
    packet_class: type[Any]
    #: True when each packet is one binary message (msgpack); False when it is a text
    #: message followed by its binary attachments (JSON).
    binary: bool
    #: The recovery offset an encoded event carries last, if ``frame`` is one.
    offset_of: Callable[[Frame], str | None]


JSON = Serializer("json", OrjsonPacket, binary=False, offset_of=offset_of)


def serializer_named(name: str) -> Serializer:
    """The serializer called ``name``: ``"json"`` or ``"msgpack"``.

    ValueError for any other name; ImportError naming the extra to install when
    msgpack is chosen without the msgpack package.
    """
    if name == "json":
        return JSON
    if name == "msgpack":
        try:
            from sioapp._protocol import msgpack_codec
        except ModuleNotFoundError as exc:
            if exc.name != "msgpack":
                raise
            raise ImportError(
                'serializer="msgpack" needs the msgpack package: pip install "sioapp[msgpack]"'
            ) from exc
        return Serializer(
            "msgpack", msgpack_codec.MsgpackPacket, binary=True, offset_of=msgpack_codec.offset_of
        )
    raise ValueError(f'serializer must be "json" or "msgpack", not {name!r}')
