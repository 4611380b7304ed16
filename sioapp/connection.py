"""One Engine.IO connection: python-engineio's socket with a lean WebSocket transport.

`SioEngine` turns each new session into a `Connection`. python-engineio's own
WebSocket loop costs two tasks and a timer per incoming frame (``ensure_future``
plus ``wait_for``) and a task per wake-up of its writer; here the handler's task
reads the frames itself, hands each message straight to python-socketio (which
starts a task per event), and a writer task sends the queued packets one after
the other; the writer of a connection idle for a while stops, the next packet
starts another. Reads have no timeout of their own: a client that goes silent
misses a PONG, and the `Heartbeat` closes the session, then drops the WebSocket
if it is still there.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from typing import TYPE_CHECKING, Any

from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet
from engineio.async_socket import AsyncSocket

from sioapp.outgoing import EMPTY, OutgoingQueue

if TYPE_CHECKING:
    from sioapp.engine import SioEngine

__all__ = ["Connection"]

logger = logging.getLogger("sioapp")

_DIGITS = frozenset("0123456789")
_MESSAGE = "4"


class Connection(AsyncSocket):  # type: ignore[misc]
    """A python-engineio session whose WebSocket transport is sioapp's (see the module doc).

    Sending only queues: the `Heartbeat` closes a session whose PONG
    is late, so a send need not check it.
    """

    server: SioEngine
    #: The task sending queued packets, while there are some.
    _writer: asyncio.Task[None] | None = None
    #: python-engineio's ASGI WebSocket, while the transport is one.
    _ws: Any = None
    #: `Heartbeat.sweeps` when the writer started waiting for packets, if it waits.
    _idle_since: int | None = None
    #: Whether the writer is to stop once the queue is empty.
    _retired = False
    sid: str
    queue: OutgoingQueue
    last_ping: float | None
    connected: bool
    upgrading: bool
    upgraded: bool
    closing: bool
    closed: bool

    async def send(self, pkt: Any) -> None:
        """Queue ``pkt`` for the client."""
        if self.closed:
            raise eio_exceptions.SocketIsClosedError()
        self.queue.put_nowait(pkt)

    def schedule_ping(self) -> None:
        """Plan the next PING, once the previous one got its PONG."""
        if self.last_ping:
            self.last_ping = None
            self.server.heartbeat.ping_later(self.sid)

    async def receive(self, pkt: Any) -> None:
        """Handle one packet from the client."""
        if pkt.packet_type == eio_packet.MESSAGE:
            await self._deliver(pkt.data)
        else:
            await super().receive(pkt)

    async def _deliver(self, data: str | bytes) -> None:
        """Hand one message to python-socketio, in this task."""
        handler = self.server.handlers.get("message")
        if handler is None:
            return
        try:
            await handler(self.sid, data)
        except Exception:
            logger.exception("%s: error handling a message", self.sid)

    # ---- WebSocket -------------------------------------------------------------

    async def handle_get_request(self, environ: dict[str, Any]) -> Any:
        """A GET of the session: a WebSocket request is served as one, whatever its
        headers (the environ of a WebSocket session keeps none)."""
        if environ["asgi.scope"]["type"] == "websocket":
            return await self._upgrade_websocket(environ)
        return await super().handle_get_request(environ)

    async def _websocket_handler(self, ws: Any) -> None:
        """Serve the session over the WebSocket ``ws`` until either side leaves."""
        if self.connected:
            if not await self._upgrade(ws):
                return
        else:
            self.connected = True
            self.upgraded = True
        self._ws = ws
        if not self.queue.empty():
            self._start_writer()
        try:
            await self._read(ws)
        finally:
            self.queue.put_nowait(None)  # the writer sends what is queued, then closes
            try:
                if self._writer is not None:
                    await self._writer
            finally:
                self._ws = None
                await self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)

    async def _upgrade(self, ws: Any) -> bool:
        """The upgrade of a long-polling session: PING probe, PONG probe, UPGRADE."""
        self.upgrading = True  # the pending long-poll returns and no other is served
        try:
            probe = await _next_packet(ws)
            if probe is None or probe.packet_type != eio_packet.PING or probe.data != "probe":
                logger.info("%s: failed WebSocket upgrade, no PING probe", self.sid)
                return False
            await ws.asgi_send({"type": "websocket.send", "text": "3probe"})
            self.queue.put_nowait(eio_packet.Packet(eio_packet.NOOP))  # ends the long-poll
            upgrade = await _next_packet(ws)
            if upgrade is None or upgrade.packet_type != eio_packet.UPGRADE:
                logger.info("%s: failed WebSocket upgrade, no UPGRADE packet", self.sid)
                return False
            self.upgraded = True
            return True
        finally:
            self.upgrading = False

    async def _read(self, ws: Any) -> None:
        """Handle the client's frames in order until it leaves."""
        receive = ws.asgi_receive
        deliver = self._deliver
        while True:
            event = await receive()
            if event["type"] != "websocket.receive":
                return
            data = event.get("bytes")
            if data is None:
                data = event["text"]
                if data[:1] != _MESSAGE or data[1:2] not in _DIGITS:
                    if not await self._receive_encoded(data):
                        return
                    continue
                data = data[1:]  # a Socket.IO packet: no JSON to decode
            await deliver(data)

    async def _receive_encoded(self, data: str) -> bool:
        """Handle a text frame python-engineio decodes; False when the session is over,
        as after a CLOSE packet: then the WebSocket closes too, as in Node."""
        try:
            await self.receive(eio_packet.Packet(encoded_packet=data))
        except eio_exceptions.UnknownPacketError:
            pass  # OPEN, PING or NOOP from a client: nothing to do
        except eio_exceptions.SocketIsClosedError:
            return False
        return not self.closed

    def packet_waiting(self) -> None:
        """Start a writer if the transport is a WebSocket and none is running."""
        if self._writer is None and self._ws is not None:
            self._start_writer()

    def overflowed(self) -> None:
        """Close the session: the client stopped reading."""
        self.server.overflowed(self.sid)

    def _start_writer(self) -> None:
        """Start a writer task."""
        if self._writer is None:
            self._retired = False
            loop = asyncio.get_running_loop()
            self._writer = loop.create_task(self._write(), context=contextvars.Context())

    def retire_idle_writer(self, sweeps: int) -> None:
        """Stop the writer if it has waited for packets since before sweep ``sweeps - 1``
        of the `Heartbeat`; the next packet starts a new one."""
        since = self._idle_since
        if since is not None and since <= sweeps - 2:
            self._retired = True
            self.queue.wake()

    async def _write(self) -> None:
        """Send the queued packets one after the other until None comes, or until
        `retire_idle_writer` finds it idle."""
        guard = self.server.guard_of(self.sid)
        queue = self.queue
        take = queue.take
        try:
            with contextlib.suppress(Exception):  # the client left, or the connection was aborted
                send = self._ws.asgi_send if guard is None else guard.adopt_writer()
                while True:
                    pkt = take()
                    if pkt is EMPTY:
                        if self._retired:
                            return
                        self._idle_since = self.server.heartbeat.sweeps
                        await queue.wait()
                        self._idle_since = None
                        continue
                    if pkt is None:
                        break
                    kind = pkt.packet_type
                    if kind == eio_packet.NOOP:
                        continue  # it ends a long-poll; Node never sends one on a WebSocket
                    data = pkt.encode()
                    if isinstance(data, str):
                        await send({"type": "websocket.send", "text": data})
                    else:
                        await send({"type": "websocket.send", "bytes": data})
                    if kind == eio_packet.OPEN:
                        # python-engineio holds the OPEN packet as long as the session
                        pkt.data = pkt.encode_cache = None
            ws, self._ws = self._ws, None  # no writer after this one
            with contextlib.suppress(Exception):
                await ws.asgi_send({"type": "websocket.close"})
        finally:
            self._writer = None
            self._idle_since = None
            if guard is not None:
                guard.release_writer()


async def _next_packet(ws: Any) -> Any:
    """The next packet on ``ws`` during an upgrade; None when the client left."""
    event = await ws.asgi_receive()
    if event["type"] != "websocket.receive":
        return None
    data = event.get("bytes")
    return eio_packet.Packet(encoded_packet=event["text"] if data is None else data)
