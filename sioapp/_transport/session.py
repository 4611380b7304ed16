"""One Engine.IO session: its transport, its outgoing queue, and how it ends."""

from __future__ import annotations

import asyncio
import contextvars
import enum
import logging
from collections.abc import Awaitable
from typing import Any, Protocol, TypeVar

from starlette.types import Scope

from sioapp._transport.outgoing import END, OutgoingQueue
from sioapp._transport.packets import CLOSE, NOOP, Frame
from sioapp._transport.wire import Wire, websocket_frames

__all__ = ["CloseReason", "Session", "SessionHost", "Transport", "TransportHost"]

#: Bytes of packets a wire is given in one write, at most (and one packet more).
FLUSH_BYTES = 64 * 1024

logger = logging.getLogger("sioapp")

T = TypeVar("T")


class CloseReason(enum.StrEnum):
    """Why a session ended: the reason strings of Node's engine.io."""

    TRANSPORT_CLOSE = "transport close"
    TRANSPORT_ERROR = "transport error"
    PING_TIMEOUT = "ping timeout"
    PARSE_ERROR = "parse error"
    FORCED_CLOSE = "forced close"
    SERVER_SHUTTING_DOWN = "server shutting down"


class Transport(enum.StrEnum):
    POLLING = "polling"
    WEBSOCKET = "websocket"


class SessionHost(Protocol):
    """What a `Session` asks of the engine that owns it."""

    @property
    def max_outgoing_buffer(self) -> int | None:
        """Bytes a session may have waiting to be sent (None: no bound)."""

    @property
    def writer_sweeps(self) -> int:
        """How many times idle WebSocket writers were looked for."""

    def overflowed(self, sid: str) -> None:
        """Close session ``sid``: its client stopped reading."""


class Session:
    """A client's Engine.IO session, over long-polling or a WebSocket.

    A long-polling session may upgrade to a WebSocket once; from then on HTTP
    requests for it are refused. While the transport is a WebSocket, a writer
    task sends what is queued and stops when the session has been idle for a
    while; the next packet starts another.
    """

    __slots__ = (
        "_closed_waiter",
        "_upgrade_waiter",
        "aborted",
        "close_reason",
        "closed",
        "data",
        "engine",
        "held",
        "idle_since",
        "last_ping",
        "polling",
        "posting",
        "queue",
        "reader",
        "retired",
        "scope",
        "sid",
        "transport",
        "upgrading",
        "wire",
        "wire_drained",
        "writer",
        "ws_send",
    )

    def __init__(self, engine: SessionHost, sid: str, scope: Scope, transport: Transport) -> None:
        self.engine = engine
        self.sid = sid
        #: The ASGI scope of the request that opened the session.
        self.scope = scope
        self.transport = transport
        self.queue = OutgoingQueue(self, engine.max_outgoing_buffer)
        self.closed = False
        #: Why the session ended, once it has.
        self.close_reason: str | None = None
        #: An upgrade to a WebSocket is under way.
        self.upgrading = False
        #: When the unanswered PING was sent, if one is unanswered.
        self.last_ping: float | None = None
        #: A long-poll GET, or a POST, is being served.
        self.polling = False
        self.posting = False
        #: The session's data for ``get_session``, once asked for.
        self.data: dict[str, Any] | None = None
        #: Packets kept aside while the session is held (see `Engine.hold`).
        self.held: list[Frame] | None = None
        # The WebSocket: its ASGI send, the task reading it, the task writing to it; or
        # the wire written directly, and what waits for it to take everything up to `END`.
        self.wire: Wire | None = None
        self.wire_drained: asyncio.Future[None] | None = None
        self.ws_send: Any = None
        self.reader: asyncio.Task[Any] | None = None
        self.writer: asyncio.Task[None] | None = None
        self.aborted = False
        #: `Heartbeat.sweeps` when the writer began to wait for packets, if it waits.
        self.idle_since: int | None = None
        #: The writer is to stop once the queue is empty.
        self.retired = False
        self._closed_waiter: asyncio.Future[None] | None = None
        self._upgrade_waiter: asyncio.Future[None] | None = None

    @property
    def upgraded(self) -> bool:
        """Whether the session now runs over a WebSocket."""
        return self.transport is Transport.WEBSOCKET

    def send(self, frame: Frame) -> None:
        """Queue ``frame`` for the client, or keep it aside while the session is held."""
        if self.closed:
            return
        if self.held is None:
            self.queue.put(frame)
        else:
            self.held.append(frame)

    # ---- the queue's owner ---------------------------------------------------------

    def packet_waiting(self) -> None:
        """Write to the wire, or start a writer if the transport is a WebSocket and none
        is running."""
        if self.wire is not None:
            self.flush()
        elif self.writer is None and self.ws_send is not None:
            self.start_writer()

    def overflowed(self) -> None:
        """The client stopped reading: close the session."""
        self.engine.overflowed(self.sid)

    # ---- ending ------------------------------------------------------------------

    async def until_closed(self, work: Awaitable[T]) -> T | None:
        """``work``'s result, or None if the session closes first (``work`` is cancelled)."""
        if self.closed:
            return None
        if self._closed_waiter is None:
            self._closed_waiter = asyncio.get_running_loop().create_future()
        task = asyncio.ensure_future(work)
        await asyncio.wait((task, self._closed_waiter), return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            return task.result()
        task.cancel()
        return None

    def close(self, reason: str, notify: bool) -> None:
        """End the session's transport, as Node's engine.io does: a pending long-poll
        returns NOOP when the client closed, CLOSE otherwise; a WebSocket is closed
        once what is queued is sent (after a CLOSE packet when ``notify``)."""
        self.closed = True
        self.close_reason = reason
        if not self.upgraded:
            self.queue.put(NOOP if reason == CloseReason.TRANSPORT_CLOSE else CLOSE)
        elif notify:
            self.queue.put(CLOSE)
        self.queue.put(END)
        if self.wire is not None:
            self.wire.end()  # its reader stops, whether the wire could take END yet or not
        for waiter in (self._closed_waiter, self._upgrade_waiter):
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    def abort(self) -> None:
        """Stop the WebSocket now, whatever is blocked on it: a client that stopped
        reading never finishes a send."""
        self.aborted = True
        current = asyncio.current_task()
        for task in (self.reader, self.writer):
            if task is not None and task is not current:
                task.cancel()

    # ---- upgrading -----------------------------------------------------------------

    def start_upgrade(self) -> None:
        """A WebSocket probed the session: a pending long-poll returns NOOP, so the client
        can send the UPGRADE packet."""
        self.upgrading = True
        if self.polling:
            self.queue.put(NOOP)

    def end_upgrade(self, upgraded: bool) -> None:
        """The upgrade is over, upgraded or not."""
        self.upgrading = False
        if upgraded:
            self.transport = Transport.WEBSOCKET
        if self._upgrade_waiter is not None and not self._upgrade_waiter.done():
            self._upgrade_waiter.set_result(None)
        self._upgrade_waiter = None

    async def upgrade_settled(self) -> None:
        """Wait until an upgrade under way is over."""
        if self.upgrading:
            if self._upgrade_waiter is None:
                self._upgrade_waiter = asyncio.get_running_loop().create_future()
            await self._upgrade_waiter

    # ---- the wire -----------------------------------------------------------------

    def attach(self, wire: Wire) -> None:
        """Write to ``wire`` from now on, starting with what is queued."""
        self.wire = wire
        wire.attach(self.flush)
        self.flush()

    def flush(self) -> None:
        """Write the queued packets to the wire while it takes writes, up to `FLUSH_BYTES`
        in each write; what is left waits in the queue, still bounded, until the wire
        takes writes again. After `END`, the wire is done."""
        wire, queue = self.wire, self.queue
        while wire is not None and wire.ready and not queue.empty():
            messages: list[Frame] = []
            size = 0
            ended = False
            while size < FLUSH_BYTES and not queue.empty():
                frame = queue.take()
                if frame is END:
                    ended = True
                    break
                if frame != NOOP:
                    messages.append(frame)
                    size += len(frame)
            if messages:
                wire.write(websocket_frames(messages))
            queue.sent()
            if ended:
                self.wire = None
                wire.end()
                if self.wire_drained is not None and not self.wire_drained.done():
                    self.wire_drained.set_result(None)
                return

    # ---- the WebSocket writer -----------------------------------------------------

    def start_writer(self) -> None:
        """Start a writer task."""
        if self.writer is None:
            self.retired = False
            loop = asyncio.get_running_loop()
            self.writer = loop.create_task(self._write(), context=contextvars.Context())

    def retire_idle_writer(self, sweeps: int) -> None:
        """Stop the writer if it has waited for packets since before sweep ``sweeps - 1``
        of the `Heartbeat`; the next packet starts a new one."""
        since = self.idle_since
        if since is not None and since <= sweeps - 2:
            self.retired = True
            self.queue.wake()

    async def _write(self) -> None:
        """Send the queued packets one after the other until `END`, then close the
        WebSocket; or stop when `retire_idle_writer` finds the writer idle."""
        queue = self.queue
        take = queue.take
        send = self.ws_send
        try:
            while True:
                frame = take()
                if frame is None:
                    break
                if isinstance(frame, str):
                    if frame == NOOP:
                        continue  # it ends a long-poll; Node never sends one on a WebSocket
                    await send({"type": "websocket.send", "text": frame})
                elif isinstance(frame, bytes):
                    await send({"type": "websocket.send", "bytes": frame})
                elif self.retired:
                    return
                else:
                    self.idle_since = self.engine.writer_sweeps
                    await queue.wait()
                    self.idle_since = None
            self.ws_send = None  # no writer after this one
            await send({"type": "websocket.close", "code": 1000})
        except Exception:  # the client left, or the connection was aborted
            logger.debug("%s: the WebSocket writer stopped", self.sid, exc_info=True)
        finally:
            self.writer = None
            self.idle_since = None
            queue.sent()


class TransportHost(SessionHost, Protocol):
    """What the long-polling and WebSocket transports ask of the engine."""

    max_http_buffer_size: int
    #: Seconds a POST body may take to arrive, and a WebSocket to complete an upgrade.
    request_timeout: float
    upgrade_timeout: float
    http_compression: bool
    compression_threshold: int

    async def close(
        self, sid: str, reason: str, *, notify: bool = False, abort: bool = False
    ) -> None:
        """Close session ``sid`` for ``reason``."""

    async def deliver(self, sid: str, data: str | bytes) -> None:
        """Hand one message of session ``sid`` to the Socket.IO layer."""

    async def receive(self, session: Session, frame: Frame) -> bool:
        """Handle one packet from the client; False when it is not one."""
