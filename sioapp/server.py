"""The Socket.IO protocol layer: python-socketio's AsyncServer, extended through its seams.

It keeps python-socketio's engine, manager and packet encoding and replaces how
incoming packets are checked and dispatched, to behave as the Node server does:
malformed packets and reserved event names close the connection with
``parse error``, unknown namespaces get ``{"message": "Invalid namespace"}``,
connection middleware runs before CONNECT and ``on_connect`` handlers after it,
and every disconnect carries Node's reason.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

import socketio
from engineio import AsyncServer as EngineServer
from engineio import packet as eio_packet
from socketio import packet as sio_packet

from sioapp import dispatch
from sioapp.context import HandlerContext
from sioapp.engine import SioEngine
from sioapp.events import RESERVED_EVENTS
from sioapp.handshake import Handshake
from sioapp.manager import LocalManager
from sioapp.reasons import DisconnectReason
from sioapp.serialization import OrjsonPacket
from sioapp.socket import Socket
from sioapp.tasks import TaskSet

if TYPE_CHECKING:
    from sioapp.app import SioApp

__all__ = ["SioServer"]

logger = logging.getLogger("sioapp")

_ENGINE_REASONS = {
    EngineServer.reason.CLIENT_DISCONNECT: DisconnectReason.TRANSPORT_CLOSE,
    EngineServer.reason.SERVER_DISCONNECT: DisconnectReason.FORCED_CLOSE,
    EngineServer.reason.PING_TIMEOUT: DisconnectReason.PING_TIMEOUT,
    EngineServer.reason.TRANSPORT_CLOSE: DisconnectReason.TRANSPORT_CLOSE,
    EngineServer.reason.TRANSPORT_ERROR: DisconnectReason.TRANSPORT_ERROR,
    SioEngine.reason.PARSE_ERROR: DisconnectReason.PARSE_ERROR,
}


#: The largest ack id a client may use: JavaScript's ``Number.MAX_SAFE_INTEGER``.
MAX_ACK_ID = 2**53 - 1
#: The most binary attachments one packet may announce.
MAX_ATTACHMENTS = 100


class ParseError(ValueError):
    """A packet that breaks the Socket.IO protocol."""


def _check_packet(pkt: Any) -> None:
    """Refuse what Node's socket.io-parser refuses, and ack ids JavaScript cannot hold."""
    kind, data, ack_id = pkt.packet_type, pkt.data, pkt.id
    if ack_id is not None and (not isinstance(ack_id, int) or not 0 <= ack_id <= MAX_ACK_ID):
        raise ParseError("invalid ack id")
    if kind in (sio_packet.CONNECT, sio_packet.DISCONNECT) and ack_id is not None:
        raise ParseError("only events and acks carry an id")
    if kind == sio_packet.CONNECT:
        if data is not None and not isinstance(data, dict):
            raise ParseError("CONNECT payload must be an object")
    elif kind == sio_packet.DISCONNECT:
        if data is not None:
            raise ParseError("DISCONNECT takes no payload")
    elif kind in (sio_packet.EVENT, sio_packet.BINARY_EVENT):
        if not isinstance(data, list) or not data or not isinstance(data[0], str):
            raise ParseError("EVENT payload must be an array starting with the event name")
        if data[0] in RESERVED_EVENTS:
            raise ParseError(f"reserved event name {data[0]!r}")
    elif kind in (sio_packet.ACK, sio_packet.BINARY_ACK):
        if not isinstance(data, list) or ack_id is None:
            raise ParseError("ACK needs an id and an array payload")
    else:
        raise ParseError(f"unexpected packet type {kind!r}")


if sys.version_info >= (3, 12):

    def _event_task(coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """The task of one event's handler, started eagerly: a handler that does not wait
        is done before the next packet is read, without a turn of the event loop."""
        return asyncio.Task(coro, loop=asyncio.get_running_loop(), eager_start=True)

else:

    def _event_task(coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """The task of one event's handler."""
        return asyncio.get_running_loop().create_task(coro)


class SioServer(socketio.AsyncServer):  # type: ignore[misc]
    """python-socketio's server with sioapp's dispatch and Node's protocol behaviour."""

    def __init__(
        self, app: SioApp, *, manager: LocalManager, connect_timeout: float, **options: Any
    ) -> None:
        super().__init__(
            client_manager=manager,
            serializer=OrjsonPacket,
            async_handlers=True,
            always_connect=False,
            async_mode="asgi",
            namespaces="*",
            **options,
        )
        self.app = app
        self.connect_timeout = connect_timeout
        self.sockets: dict[str, Socket] = {}
        self._close_reasons: dict[str, DisconnectReason] = {}
        self._connect_timers: dict[str, asyncio.TimerHandle] = {}
        self._tasks = TaskSet()
        #: The event handlers still running.
        self._handlers = TaskSet()
        #: Binary packets waiting for their attachments, with the bytes received so far.
        self._attachments: dict[str, int] = {}

    def _engineio_server_class(self) -> type[SioEngine]:
        return SioEngine

    # ---- sending ---------------------------------------------------------------

    async def send_packet(
        self,
        eio_sid: str,
        packet_type: int,
        namespace: str,
        data: Any,
        ack_id: int | None = None,
    ) -> None:
        """Encode and queue one Socket.IO packet for one connection."""
        encoded = self.packet_class(packet_type, data=data, namespace=namespace, id=ack_id).encode()
        send = self.eio.send_packet
        if isinstance(encoded, str):
            await send(eio_sid, eio_packet.Packet(eio_packet.MESSAGE, encoded))
            return
        for frame in encoded:  # the text frame, then the binary attachments
            await send(eio_sid, eio_packet.Packet(eio_packet.MESSAGE, frame))

    async def close_connection(self, eio_sid: str, reason: DisconnectReason) -> None:
        """Close a whole Engine.IO connection; its sockets leave with ``reason``.

        The CLOSE packet is queued, then the transport is shut after it, without
        waiting for a client that may not read.
        """
        connection = self.eio.sockets.get(eio_sid)
        if connection is None or connection.closed or connection.closing:
            return
        self._close_reasons[eio_sid] = reason
        await self.eio.close_session(eio_sid, self.reason.SERVER_DISCONNECT, notify=True)

    # ---- Engine.IO events ------------------------------------------------------

    async def _handle_eio_connect(self, eio_sid: str, environ: dict[str, Any]) -> None:
        await super()._handle_eio_connect(eio_sid, environ)
        loop = asyncio.get_running_loop()
        self._connect_timers[eio_sid] = loop.call_later(
            self.connect_timeout, self._on_connect_timeout, eio_sid
        )

    def _on_connect_timeout(self, eio_sid: str) -> None:
        self._connect_timers.pop(eio_sid, None)
        logger.info(
            "connection %s sent no CONNECT within %s s, closing", eio_sid, self.connect_timeout
        )
        self._tasks.spawn(self.close_connection(eio_sid, DisconnectReason.FORCED_CLOSE))

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        try:
            pkt = self._complete_packet(eio_sid, data)
            if pkt is not None:
                _check_packet(pkt)
        except Exception as exc:
            logger.warning("closing %s: parse error (%s)", eio_sid, exc)
            await self.close_connection(eio_sid, DisconnectReason.PARSE_ERROR)
            return
        if pkt is None:
            return
        kind, namespace = pkt.packet_type, pkt.namespace or "/"
        if kind == sio_packet.CONNECT:
            await self._handle_connect(eio_sid, namespace, pkt.data)
        elif kind == sio_packet.DISCONNECT:
            await self._handle_disconnect(
                eio_sid, namespace, DisconnectReason.CLIENT_NAMESPACE_DISCONNECT
            )
        elif kind in (sio_packet.EVENT, sio_packet.BINARY_EVENT):
            await self._handle_event(eio_sid, namespace, pkt.id, pkt.data)
        else:
            self._receive_ack(eio_sid, namespace, pkt.id, pkt.data)

    def _receive_ack(self, eio_sid: str, namespace: str, ack_id: int, args: list[Any]) -> None:
        sid = self.manager.sid_from_eio_sid(eio_sid, namespace)
        socket = self.sockets.get(sid) if sid is not None else None
        if socket is not None:
            socket.receive_ack(ack_id, args)

    def _complete_packet(self, eio_sid: str, data: Any) -> Any:
        """The packet ``data`` completes, or None while binary attachments are pending.

        A binary packet may announce at most `MAX_ATTACHMENTS` attachments, of
        ``max_http_buffer_size`` bytes in all, for a namespace it has joined.
        """
        pending = self._binary_packet.get(eio_sid)
        if pending is not None:
            if not isinstance(data, bytes):
                raise ParseError("expected a binary attachment")
            received = self._attachments[eio_sid] + len(data)
            if received > self.eio.max_http_buffer_size:
                raise ParseError("binary attachments larger than max_http_buffer_size")
            self._attachments[eio_sid] = received
            if not pending.add_attachment(data):
                return None
            del self._binary_packet[eio_sid]
            del self._attachments[eio_sid]
            return pending
        if not isinstance(data, str):
            raise ParseError("unexpected binary frame")
        pkt = self.packet_class(encoded_packet=data)
        if pkt.packet_type in (sio_packet.BINARY_EVENT, sio_packet.BINARY_ACK):
            if not 0 < pkt.attachment_count <= MAX_ATTACHMENTS:
                raise ParseError(f"a binary packet has 1 to {MAX_ATTACHMENTS} attachments")
            if self.manager.sid_from_eio_sid(eio_sid, pkt.namespace or "/") is None:
                raise ParseError("binary packet for a namespace the client has not joined")
            self._binary_packet[eio_sid] = pkt
            self._attachments[eio_sid] = 0
            return None
        return pkt

    async def _handle_eio_disconnect(self, eio_sid: str, reason: str) -> None:
        timer = self._connect_timers.pop(eio_sid, None)
        if timer is not None:
            timer.cancel()
        node_reason = self._close_reasons.pop(eio_sid, None) or _ENGINE_REASONS.get(
            reason, DisconnectReason.TRANSPORT_CLOSE
        )
        if node_reason is DisconnectReason.TRANSPORT_CLOSE and self.eio.ping_overdue(eio_sid):
            node_reason = DisconnectReason.PING_TIMEOUT
        self._binary_packet.pop(eio_sid, None)
        self._attachments.pop(eio_sid, None)
        await super()._handle_eio_disconnect(eio_sid, node_reason)

    # ---- Socket.IO packets -----------------------------------------------------

    async def _handle_connect(self, eio_sid: str, namespace: str, auth: Any) -> None:
        registry = self.app.registry.get(namespace)
        if registry is None:
            await self.send_packet(
                eio_sid, sio_packet.CONNECT_ERROR, namespace, {"message": "Invalid namespace"}
            )
            return
        timer = self._connect_timers.pop(eio_sid, None)
        if timer is not None:
            timer.cancel()
        sid = await self.manager.pre_connect(eio_sid, namespace)
        if sid is None:
            await self.send_packet(
                eio_sid, sio_packet.CONNECT_ERROR, namespace, {"message": "Already connected"}
            )
            return
        environ = self.environ.get(eio_sid, {})
        handshake = Handshake.from_environ(environ, auth, self.app.trusted_proxies)
        socket = Socket(self.app, sid, eio_sid, namespace, handshake)
        self.sockets[sid] = socket
        refused = await dispatch.run_connect(self.app, registry, socket)
        if refused is not None or not self.eio_connected(eio_sid):
            del self.sockets[sid]
            if refused is not None:
                await self.send_packet(eio_sid, sio_packet.CONNECT_ERROR, namespace, refused)
            await self.manager.disconnect(sid, namespace, ignore_queue=True)
            return
        await self.manager.connect(sid, namespace)
        object.__setattr__(socket, "_connected", True)
        await self.send_packet(eio_sid, sio_packet.CONNECT, namespace, {"sid": sid})
        await dispatch.run_handlers(
            self.app, registry.connect_handlers, HandlerContext(self.app, socket)
        )

    def eio_connected(self, eio_sid: str) -> bool:
        """Whether the Engine.IO connection is still open."""
        return eio_sid in self.environ

    async def _handle_event(
        self, eio_sid: str, namespace: str, ack_id: int | None, data: list[Any]
    ) -> None:
        sid = self.manager.sid_from_eio_sid(eio_sid, namespace)
        socket = self.sockets.get(sid) if sid is not None else None
        if socket is None or not socket.connected:
            logger.warning(
                "event %r for namespace %.64r, which %s has not joined",
                dispatch.shown(data[0]),
                namespace,
                eio_sid,
            )
            return
        task = _event_task(dispatch.run_event(self.app, socket, data[0], data[1:], ack_id))
        if not task.done():
            self._handlers.keep(task)

    async def _trigger_event(self, event: str, namespace: str, *args: Any) -> Any:
        # python-socketio calls this only for "disconnect": every other event goes
        # through sioapp's dispatch.
        if event != "disconnect":  # pragma: no cover - not reached, see above
            return self.not_handled
        sid, reason = args[0], args[1]
        socket = self.sockets.pop(sid, None)
        if socket is None:
            return None
        if socket._reason is not None:
            reason = socket._reason
        elif not isinstance(reason, DisconnectReason):
            reason = DisconnectReason.SERVER_NAMESPACE_DISCONNECT
        await dispatch.run_disconnect(self.app, self.app.registry[namespace], socket, reason)
        return None

    # ---- shutdown --------------------------------------------------------------

    async def drain(self, timeout: float) -> int:
        """Wait up to ``timeout`` seconds for the running event handlers, events that
        arrive meanwhile included, then cancel those left; how many were cancelled.

        A handler that closes the app is neither waited for nor cancelled."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        caller = asyncio.current_task()  # a handler closing the app does not wait for itself

        def others() -> set[asyncio.Task[Any]]:
            return {task for task in self._handlers if task is not caller}

        while others() and loop.time() < deadline:
            await asyncio.wait(others(), timeout=deadline - loop.time())
        left = others()
        for task in left:
            task.cancel()
        if left:
            await asyncio.wait(left, timeout=1.0)
        return len(left)

    async def close_all(self, reason: DisconnectReason, timeout: float = 5.0) -> None:
        """Close every connection, telling each socket ``reason``."""
        connections = {socket.eio_sid for socket in self.sockets.values()}
        connections.update(self.environ)
        if connections:
            closing = [self.close_connection(eio_sid, reason) for eio_sid in connections]
            await asyncio.wait_for(asyncio.gather(*closing, return_exceptions=True), timeout)
        for timer in self._connect_timers.values():
            timer.cancel()
        self._connect_timers.clear()
