"""The client's side of Engine.IO v4 and Socket.IO v5 over one in-memory WebSocket."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from socketio.packet import Packet

from sioapp._protocol.serializers import JSON, Serializer
from sioapp._transport.packets import CLOSE, MESSAGE, OPEN, PING, PONG, Frame
from sioapp.testing._memory import MemoryWebSocket

__all__ = ["Wire"]


class Wire:
    """Socket.IO packets to and from the server, as Engine.IO messages on ``websocket``.

    What the server sends: a PING is answered with a PONG; OPEN calls ``on_open``;
    a Socket.IO packet reaches ``on_packet`` once its binary attachments have
    arrived; a CLOSE packet or the WebSocket closing calls ``on_lost("transport
    close")``, and what is no packet ``on_lost("parse error")``. Packets are encoded
    with ``serializer``, the server's: with msgpack each is one binary message.
    """

    def __init__(
        self,
        on_open: Callable[[], None],
        on_packet: Callable[[Packet], None],
        on_lost: Callable[[str], None],
        serializer: Serializer = JSON,
    ) -> None:
        self.websocket: MemoryWebSocket | None = None
        self.serializer = serializer
        self._on_open = on_open
        self._on_packet = on_packet
        self._on_lost = on_lost
        self._partial: Packet | None = None

    def send(self, pkt: Packet) -> None:
        """Send ``pkt``, then its binary attachments, if it has any."""
        assert self.websocket is not None
        encoded = pkt.encode()
        if isinstance(encoded, str):
            self.websocket.send(MESSAGE + encoded)
            return
        if isinstance(encoded, bytes):
            self.websocket.send(encoded)
            return
        head, *attachments = encoded
        self.websocket.send(MESSAGE + head)
        for attachment in attachments:
            self.websocket.send(bytes(attachment))

    def receive(self, frame: Frame) -> None:
        """One Engine.IO message from the server."""
        try:
            self._read(frame)
        except (ValueError, TypeError, LookupError):  # what malformed packets raise
            self._on_lost("parse error")

    def closed(self, code: int) -> None:
        """The server closed the WebSocket."""
        self._on_lost("transport close")

    def packet(
        self, packet_type: int, data: Any = None, namespace: str = "/", id: int | None = None
    ) -> Packet:
        """A packet for the server, of the server's serializer."""
        pkt: Packet = self.serializer.packet_class(
            packet_type, data=data, namespace=namespace, id=id
        )
        return pkt

    def _read(self, frame: Frame) -> None:
        if isinstance(frame, bytes) and self.serializer.binary:
            self._on_packet(self.serializer.packet_class(encoded_packet=frame))
            return
        if isinstance(frame, bytes):
            pkt = self._partial
            if pkt is None:
                raise ValueError("a binary message without a packet awaiting it")
            if pkt.add_attachment(frame):
                self._partial = None
                self._on_packet(pkt)
            return
        kind = frame[:1]
        if kind == MESSAGE:
            if self.serializer.binary:
                raise ValueError("a text message from a server that speaks msgpack")
            pkt = self.serializer.packet_class(encoded_packet=frame[1:])
            if pkt.attachment_count:
                self._partial = pkt
            else:
                self._on_packet(pkt)
        elif kind == PING:
            assert self.websocket is not None
            self.websocket.send(PONG)
        elif kind == OPEN:
            self._on_open()
        elif kind == CLOSE:
            self._on_lost("transport close")
