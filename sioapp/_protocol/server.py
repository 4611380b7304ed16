"""The Socket.IO protocol layer: python-socketio's AsyncServer over sioapp's own engine.

python-socketio builds its engine through its server-class seam
(``_engineio_server_class``); the engine is sioapp's (`sioapp._transport`), and
its ``connect``, ``message`` and ``disconnect`` events come here, to methods of
this class rather than python-socketio's own. python-socketio's manager and
packet codec stay. What differs from python-socketio is what Node's server does:
malformed packets and reserved event names close the connection with ``parse
error``, unknown namespaces get ``{"message": "Invalid namespace"}``, connection
middleware runs before CONNECT and ``on_connect`` handlers after it, acks are
each socket's own, and every disconnect carries Node's reason.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

import socketio
from socketio import packet as sio_packet

from sioapp._protocol.events import RESERVED_EVENTS, shown
from sioapp._protocol.handshake import Handshake
from sioapp._protocol.manager import LocalManager, engine_frames
from sioapp._protocol.observers import OK, REFUSED, Finish
from sioapp._protocol.reasons import DisconnectReason
from sioapp._protocol.recovery import Claim, Missed, SessionKeeper
from sioapp._protocol.recovery.replay import without_replayed
from sioapp._protocol.serializers import JSON, Serializer
from sioapp._protocol.socket import Socket
from sioapp._tasks import TaskSet
from sioapp._transport import Engine, TrustedProxies

__all__ = ["Dispatcher", "SioServer"]

logger = logging.getLogger("sioapp")

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


class Dispatcher(Protocol):
    """What runs the application's handlers for the server."""

    def serves(self, namespace: str) -> bool:
        """Whether ``namespace`` exists."""

    async def connect(self, socket: Socket) -> dict[str, Any] | None:
        """Run connection middleware; the CONNECT_ERROR payload if the socket is refused."""

    async def connected(self, socket: Socket) -> None:
        """Run the ``on_connect`` handlers of a socket that got CONNECT."""

    def event(
        self, socket: Socket, event: str, args: list[Any], ack_id: int | None
    ) -> Coroutine[Any, Any, None]:
        """Handle one event (the server runs it in a task of its own)."""

    async def disconnect(
        self,
        socket: Socket,
        reason: DisconnectReason,
        leaving: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Run the socket's disconnect handlers and have it leave its rooms; ``leaving``
        runs once the ``disconnecting`` handlers have, before the rooms are left."""

    def packet_middleware(self, fn: Callable[..., Any]) -> Any:
        """``fn`` made ready to run as packet middleware."""


class SioServer(socketio.AsyncServer):  # type: ignore[misc]
    """python-socketio's server with sioapp's engine, dispatch and Node's protocol behaviour.

    ``app`` is what ``socket.app`` returns; ``dispatcher`` runs its handlers;
    ``serializer`` encodes the packets (JSON, or msgpack as socket.io-msgpack-parser).
    """

    def __init__(
        self,
        app: Any,
        dispatcher: Dispatcher,
        *,
        manager: LocalManager,
        connect_timeout: float,
        trusted_proxies: TrustedProxies,
        max_rooms_per_socket: int | None = None,
        recovery: SessionKeeper | None = None,
        serializer: Serializer = JSON,
        **options: Any,
    ) -> None:
        super().__init__(
            client_manager=manager,
            serializer=serializer.packet_class,
            async_handlers=True,
            always_connect=False,
            async_mode="asgi",
            namespaces="*",
            trusted_proxies=trusted_proxies,
            **options,
        )
        self.eio: Engine
        self.manager_initialized: bool
        self.eio.on("connect", self.opened)
        self.eio.on("message", self.received)
        self.eio.on("disconnect", self.closed)
        self.eio.watcher = manager.observers
        self.app = app
        self.dispatcher = dispatcher
        self.serializer = serializer
        self.max_rooms_per_socket = max_rooms_per_socket
        self.recovery = recovery
        manager.recovery = recovery
        self.connect_timeout = connect_timeout
        self.trusted_proxies = trusted_proxies
        self.sockets: dict[str, Socket] = {}
        if recovery is not None:
            recovery.serve(self.sockets)
        self._connect_timers: dict[str, asyncio.TimerHandle] = {}
        self._tasks = TaskSet()
        #: The event handlers still running.
        self._handlers = TaskSet()
        #: Binary packets waiting for their attachments, and the bytes received so far.
        self._pending: dict[str, tuple[Any, int]] = {}

    def _engineio_server_class(self) -> type[Engine]:
        return Engine

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
        self.eio.send_many((eio_sid,), engine_frames(encoded))

    async def send_event(
        self, socket_id: str, eio_sid: str, namespace: str, data: list[Any]
    ) -> None:
        """Send an event to one socket, logged with its offset when recovery is on."""
        observers = self.manager.observers
        sent = observers.emitting(namespace, data) if observers.watched else None
        if self.recovery is not None:
            data = await self.recovery.log(namespace, data, {socket_id}, frozenset())
        await self.send_packet(eio_sid, sio_packet.EVENT, namespace, data)
        if sent is not None:
            sent((socket_id,))

    async def close_connection(self, eio_sid: str, reason: DisconnectReason) -> None:
        """Close a whole Engine.IO connection; its sockets leave with ``reason``.

        The CLOSE packet is queued, then the transport is shut after it, without
        waiting for a client that may not read.
        """
        await self.eio.close(eio_sid, reason, notify=True)

    # ---- the engine's events -----------------------------------------------------

    async def opened(self, eio_sid: str, scope: dict[str, Any]) -> None:
        """A new Engine.IO connection: it has ``connect_timeout`` to join a namespace."""
        if not self.manager_initialized:
            self.manager_initialized = True
            self.manager.initialize()
        self.environ[eio_sid] = scope
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

    async def received(self, eio_sid: str, data: str | bytes) -> None:
        """One Engine.IO message: a Socket.IO packet, or one of its binary attachments."""
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
            await self._connect(eio_sid, namespace, pkt.data)
        elif kind == sio_packet.DISCONNECT:
            sid = self.manager.sid_from_eio_sid(eio_sid, namespace)
            if sid is not None:
                await self._leave(sid, namespace, DisconnectReason.CLIENT_NAMESPACE_DISCONNECT)
        elif kind in (sio_packet.EVENT, sio_packet.BINARY_EVENT):
            self._event(eio_sid, namespace, pkt.id, pkt.data)
        else:
            socket = self._socket(eio_sid, namespace)
            if socket is not None:
                socket.receive_ack(pkt.id, pkt.data)

    def _complete_packet(self, eio_sid: str, data: str | bytes) -> Any:
        """The packet ``data`` completes, or None while binary attachments are pending.

        A binary packet may announce at most `MAX_ATTACHMENTS` attachments, of
        ``max_http_buffer_size`` bytes in all, for a namespace it has joined. With msgpack
        every packet is one binary message, and a text message is a parse error.
        """
        if self.serializer.binary:
            if not isinstance(data, bytes):
                raise ParseError("a text message on a connection that speaks msgpack")
            return self.packet_class(encoded_packet=data)
        pending = self._pending.get(eio_sid)
        if pending is not None:
            pkt, received = pending
            if not isinstance(data, bytes):
                raise ParseError("expected a binary attachment")
            received += len(data)
            if received > self.eio.max_http_buffer_size:
                raise ParseError("binary attachments larger than max_http_buffer_size")
            if not pkt.add_attachment(data):
                self._pending[eio_sid] = (pkt, received)
                return None
            del self._pending[eio_sid]
            return pkt
        if not isinstance(data, str):
            raise ParseError("unexpected binary frame")
        pkt = self.packet_class(encoded_packet=data)
        if pkt.packet_type in (sio_packet.BINARY_EVENT, sio_packet.BINARY_ACK):
            if not 0 < pkt.attachment_count <= MAX_ATTACHMENTS:
                raise ParseError(f"a binary packet has 1 to {MAX_ATTACHMENTS} attachments")
            if self.manager.sid_from_eio_sid(eio_sid, pkt.namespace or "/") is None:
                raise ParseError("binary packet for a namespace the client has not joined")
            self._pending[eio_sid] = (pkt, 0)
            return None
        return pkt

    async def closed(self, eio_sid: str, reason: str) -> None:
        """The Engine.IO connection ended: each of its sockets leaves with ``reason``."""
        timer = self._connect_timers.pop(eio_sid, None)
        if timer is not None:
            timer.cancel()
        self._pending.pop(eio_sid, None)
        for namespace in list(self.manager.get_namespaces()):
            sid = self.manager.sid_from_eio_sid(eio_sid, namespace)
            if sid is not None:
                await self._leave(sid, namespace, DisconnectReason(reason))
        self.environ.pop(eio_sid, None)

    # ---- Socket.IO packets -----------------------------------------------------

    def packet_middleware(self, fn: Callable[..., Any]) -> Any:
        """``fn`` made ready to run as packet middleware, for ``socket.use``."""
        return self.dispatcher.packet_middleware(fn)

    async def _connect(self, eio_sid: str, namespace: str, auth: Any) -> None:
        if not self.dispatcher.serves(namespace):
            await self.send_packet(
                eio_sid, sio_packet.CONNECT_ERROR, namespace, {"message": "Invalid namespace"}
            )
            return
        timer = self._connect_timers.pop(eio_sid, None)
        if timer is not None:
            timer.cancel()
        claim, missed = await self._claim(namespace, auth)
        resumed = claim.session if claim is not None else None
        sid = await self.manager.pre_connect(
            eio_sid, namespace, resumed.sid if resumed is not None else None
        )
        if sid is None:
            await self._unclaim(claim)
            await self.send_packet(
                eio_sid, sio_packet.CONNECT_ERROR, namespace, {"message": "Already connected"}
            )
            return
        scope = self.environ.get(eio_sid, {})
        handshake = Handshake.from_scope(scope, auth, self.trusted_proxies)
        socket = Socket(self, sid, eio_sid, namespace, handshake)
        if resumed is not None and missed is not None:
            socket.resumed(resumed.data, missed.complete)
        self.sockets[sid] = socket
        observers = self.manager.observers
        finish: Finish | None = observers.connecting(socket) if observers.watched else None
        refused = None
        if resumed is None or self.recovery is None or not self.recovery.options.skip_middlewares:
            refused = await self.dispatcher.connect(socket)
        if refused is not None or not self.eio_connected(eio_sid):
            del self.sockets[sid]
            await self._unclaim(claim)
            if refused is not None:
                await self.send_packet(eio_sid, sio_packet.CONNECT_ERROR, namespace, refused)
            await self.manager.disconnect(sid, namespace, ignore_queue=True)
            if finish is not None:
                finish(REFUSED, None)
            return
        reply = {"sid": sid}
        if self.recovery is not None:
            reply["pid"] = await self.recovery.opened(sid, namespace, resumed)
        if claim is not None and missed is not None:
            await self._resume(socket, claim, missed, reply)
        else:
            await self.manager.connect(sid, namespace)
            socket.arrived()
            await self.send_packet(eio_sid, sio_packet.CONNECT, namespace, reply)
        if observers.watched:
            observers.room_joined(namespace, sid, sid)
            observers.socket_connected(socket)
        await self.dispatcher.connected(socket)
        if finish is not None:
            finish(OK, None)

    async def _claim(self, namespace: str, auth: Any) -> tuple[Claim | None, Missed | None]:
        """The kept session the client asks to resume, with the events it missed; Nones
        when there is none for it."""
        keeper = self.recovery
        if keeper is None or not isinstance(auth, dict) or "pid" not in auth:
            return None, None
        await self._hand_over(auth)
        claim = await keeper.claim(namespace, auth)
        if claim is None:
            return None, None
        missed = await keeper.missed(claim)
        if missed is None:
            await keeper.put_back(claim.session)
            return None, None
        return claim, missed

    async def _unclaim(self, claim: Claim | None) -> None:
        if claim is not None and self.recovery is not None:
            await self.recovery.put_back(claim.session)

    async def _hand_over(self, auth: dict[str, Any]) -> None:
        """A client coming back under a pid whose socket is still connected here (the old
        transport is gone, unnoticed yet): close that connection, so its session is kept
        and the new one resumes it; only for the same identity."""
        keeper = self.recovery
        pid = auth.get("pid")
        assert keeper is not None
        live = keeper.live_sid(pid) if isinstance(pid, str) else None
        socket = self.sockets.get(live) if live is not None else None
        if socket is None:
            return
        try:
            same = keeper.options.identity_of(socket.handshake.auth) == keeper.options.identity_of(
                auth
            )
        except Exception:
            logger.exception("connection state recovery: identity of %s failed", socket.id)
            return
        if same:
            logger.info("%s: its client came back on another connection; handing over", live)
            await self.eio.close(socket.eio_sid, DisconnectReason.TRANSPORT_CLOSE, abort=True)

    async def _resume(
        self, socket: Socket, claim: Claim, missed: Missed, reply: dict[str, Any]
    ) -> None:
        """Give a returning socket its rooms, CONNECT, then every event it missed, in
        order; what is sent to it live meanwhile waits and goes out after, without the
        events the replay sent already."""
        assert self.recovery is not None
        sid, eio_sid, namespace = socket.id, socket.eio_sid, socket.nsp
        rooms = {sid, *claim.session.rooms}
        replayed: set[str] = set()
        self.eio.hold(eio_sid)
        try:
            for room in claim.session.rooms:
                self.manager.basic_enter_room(sid, namespace, room)
            await self.manager.connect(sid, namespace)
            socket.arrived()
            self.eio.send_first(eio_sid, self._encoded(sio_packet.CONNECT, namespace, reply))
            entries = await self.recovery.replay(claim, missed) if socket.recovered else ()
            for entry in entries:
                if entry.reaches(sid, rooms):
                    data = self.recovery.replayed(entry)
                    self.eio.send_first(eio_sid, self._encoded(sio_packet.EVENT, namespace, data))
                    replayed.add(entry.offset)
        finally:
            self.eio.release(
                eio_sid, lambda held: without_replayed(held, replayed, self.serializer.offset_of)
            )

    def _encoded(self, packet_type: int, namespace: str, data: Any) -> list[str | bytes]:
        return engine_frames(
            self.packet_class(packet_type, data=data, namespace=namespace).encode()
        )

    def eio_connected(self, eio_sid: str) -> bool:
        """Whether the Engine.IO connection is still open."""
        return eio_sid in self.environ

    def _socket(self, eio_sid: str, namespace: str) -> Socket | None:
        sid = self.manager.sid_from_eio_sid(eio_sid, namespace)
        return self.sockets.get(sid) if sid is not None else None

    def _event(self, eio_sid: str, namespace: str, ack_id: int | None, data: list[Any]) -> None:
        socket = self._socket(eio_sid, namespace)
        if socket is None or not socket.connected:
            logger.warning(
                "event %r for namespace %.64r, which %s has not joined",
                shown(data[0]),
                namespace,
                eio_sid,
            )
            return
        task = _event_task(self.dispatcher.event(socket, data[0], data[1:], ack_id))
        if not task.done():
            self._handlers.keep(task)
        if self.recovery is not None and self.recovery.checkpoints:
            self.recovery.changed_after(task, socket.id)

    async def disconnect(
        self, sid: str, namespace: str | None = None, ignore_queue: bool = False
    ) -> None:
        """Disconnect socket ``sid`` from ``namespace``: the client gets DISCONNECT, the
        socket leaves with ``server namespace disconnect``."""
        namespace = namespace or "/"
        if ignore_queue:
            here = self.manager.is_connected(sid, namespace)
        else:
            here = await self.manager.can_disconnect(sid, namespace)
        if not here:
            return
        eio_sid = self.manager.eio_sid_from_sid(sid, namespace)
        await self.send_packet(eio_sid, sio_packet.DISCONNECT, namespace, None)
        await self._leave(sid, namespace, DisconnectReason.SERVER_NAMESPACE_DISCONNECT)

    async def _leave(self, sid: str, namespace: str, reason: DisconnectReason) -> None:
        """Socket ``sid`` leaves ``namespace``: its disconnect handlers run with ``reason``
        (or the reason the socket was given), then the manager forgets it."""
        if not self.manager.is_connected(sid, namespace):
            return
        self.manager.pre_disconnect(sid, namespace)
        socket = self.sockets.pop(sid, None)
        if socket is not None:
            leaving = self._keeping(socket, reason) if self.recovery is not None else None
            await self.dispatcher.disconnect(socket, reason, leaving)
        await self.manager.disconnect(sid, namespace, ignore_queue=True)
        observers = self.manager.observers
        if socket is not None and observers.watched:
            observers.room_left(namespace, sid, sid)
            observers.socket_disconnected(socket, reason)

    def _keeping(self, socket: Socket, reason: DisconnectReason) -> Callable[[], Awaitable[None]]:
        """What keeps a leaving socket's session, once its ``disconnecting`` handlers ran."""
        keeper = self.recovery
        assert keeper is not None

        async def keep() -> None:
            await keeper.left(
                socket.id,
                socket.nsp,
                reason,
                set(socket.rooms),
                socket.data,
                socket.handshake.auth,
            )

        return keep

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
        connections = list(self.eio.sessions)
        if connections:
            closing = [self.close_connection(eio_sid, reason) for eio_sid in connections]
            await asyncio.wait_for(asyncio.gather(*closing, return_exceptions=True), timeout)
        for timer in self._connect_timers.values():
            timer.cancel()
        self._connect_timers.clear()
