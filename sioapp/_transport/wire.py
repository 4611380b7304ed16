"""A WebSocket the engine reads and writes directly, without ASGI messages in between.

A server that knows Engine.IO (``sioapp run``'s uvicorn protocol,
`sioapp._transport.uvicorn_wire`) puts a `Wire` in the WebSocket's ASGI scope
under `WIRE_EXTENSION`. Once the engine has accepted the WebSocket through ASGI
as usual, it attaches to the wire: messages then reach it as plain strings and
bytes, and it writes WebSocket frames itself, several in one write and the
same bytes for every recipient of a broadcast, at once when the socket can
take them. Any other ASGI server simply has no wire, and the engine speaks
plain ASGI.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable
from typing import Protocol

from sioapp._transport.packets import Frame

__all__ = ["WIRE_EXTENSION", "Wire", "websocket_frames"]

#: The ASGI scope extension under which a server offers a `Wire`.
WIRE_EXTENSION = "sioapp.wire"

_TEXT = 0x81  # FIN and the opcode of a text frame
_BINARY = 0x82
_SHORT = 126
_LONG = 127


class Wire(Protocol):
    """One accepted WebSocket, read and written without ASGI messages."""

    def attach(self, writable: Callable[[], None]) -> None:
        """From now on, messages go to `next_message`; ``writable`` runs each time the socket
        takes writes again after refusing them."""

    @property
    def ready(self) -> bool:
        """Whether a write now goes out (or into the kernel's buffer) at once."""

    @property
    def open(self) -> bool:
        """Whether the WebSocket is open: neither side has closed it."""

    def write(self, data: bytes) -> None:
        """Write encoded WebSocket frames."""

    async def next_message(self) -> Frame | None:
        """The client's next message, or None once the WebSocket or the engine is done."""

    def end(self) -> None:
        """The engine reads no more: `next_message` returns None after what it holds."""

    def abort(self) -> None:
        """Drop the connection now, with whatever it still had to send."""


def _frame(message: Frame) -> bytes:
    if isinstance(message, str):
        payload, first = message.encode(), _TEXT
    else:
        payload, first = message, _BINARY
    size = len(payload)
    if size < _SHORT:
        return bytes((first, size)) + payload
    if size < 1 << 16:
        return struct.pack("!BBH", first, _SHORT, size) + payload
    return struct.pack("!BBQ", first, _LONG, size) + payload


def websocket_frames(messages: Iterable[Frame]) -> bytes:
    """``messages`` as unmasked, unfragmented WebSocket frames, as a server sends them."""
    return b"".join(map(_frame, messages))
