"""Engine.IO v4 packets as they travel: a type digit and text, or the bytes of a binary message.

Packets are kept encoded from end to end. A text packet is its type digit
followed by its data (``"4..."`` for a message, ``"2"`` for a PING); a binary
message is its bytes alone, as on a WebSocket. A long-polling payload joins
packets with the record separator and writes binary ones as ``b`` + base64.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable

__all__ = [
    "CLOSE",
    "MESSAGE",
    "NOOP",
    "OPEN",
    "PING",
    "PONG",
    "UPGRADE",
    "Frame",
    "ParseError",
    "decode_payload",
    "encode_payload",
    "is_packet",
]

OPEN = "0"
CLOSE = "1"
PING = "2"
PONG = "3"
MESSAGE = "4"
UPGRADE = "5"
NOOP = "6"

#: An encoded packet: text starting with its type, or the bytes of a binary message.
Frame = str | bytes

_TYPES = frozenset((OPEN, CLOSE, PING, PONG, MESSAGE, UPGRADE, NOOP))
_SEPARATOR = "\x1e"
_BINARY = "b"


class ParseError(ValueError):
    """Something that is not an Engine.IO packet or payload."""


def is_packet(text: str) -> bool:
    """Whether ``text`` is an Engine.IO text packet: a known type digit, then anything."""
    return text[:1] in _TYPES


def encode_payload(frames: Iterable[Frame]) -> str:
    """Packets joined into one long-polling payload."""
    return _SEPARATOR.join(
        frame if isinstance(frame, str) else _BINARY + base64.b64encode(frame).decode()
        for frame in frames
    )


def decode_payload(body: bytes) -> list[Frame]:
    """The packets of a long-polling payload; `ParseError` when one is not a packet."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ParseError("the payload is not UTF-8") from None
    frames: list[Frame] = []
    for record in text.split(_SEPARATOR):
        if record[:1] == _BINARY:
            try:
                frames.append(base64.b64decode(record[1:], validate=True))
            except ValueError:  # binascii.Error, or characters base64 never holds
                raise ParseError("a binary packet is not base64") from None
        elif is_packet(record):
            frames.append(record)
        else:
            raise ParseError("a record is not a packet")
    return frames
