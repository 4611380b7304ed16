"""The Engine.IO server under sioapp: python-engineio's, made to behave as Node's engine.io.

python-socketio builds it through ``SioServer._engineio_server_class()``. Each
difference with Node's server is settled at one of python-engineio's seams:

- ``handle_request`` refuses what Node refuses (no ``transport``, other HTTP
  methods), closes a session that overlaps two long-polls or two POSTs, accepts
  then closes a second WebSocket for a session already upgrading or upgraded,
  and reads POST bodies itself: an invalid packet closes the session (``parse
  error``) and the answer is ``ok``;
- every WebSocket goes through a `WebSocketGuard`: a frame that is not an
  Engine.IO packet closes the session with ``parse error``, an oversized one
  with ``transport error``, before it is decoded;
- each session is a `Connection`, whose WebSocket transport costs no task nor
  timer per frame, and no writer task while idle;
- ``create_queue`` gives each connection an `OutgoingQueue`: the
  handshake advertises ``pingInterval``/``pingTimeout`` to the millisecond, and
  a client that stops reading is disconnected with ``transport error`` once
  ``max_outgoing_buffer`` bytes wait for it;
- one `Heartbeat` for all sessions, no task nor timer per session, sends each
  PING after the interval and closes the session ``pingTimeout`` later if no
  PONG came, as Node does; its WebSocket is dropped if the closing handshake
  does not end within ``pingTimeout`` either;
- a client's CLOSE packet answers its pending long-poll GET with a NOOP at once;
- once a session is open, its environ keeps only what is read again (`_slim`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable
from typing import Any
from urllib.parse import parse_qs

import engineio
from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet
from engineio.async_drivers import asgi as eio_asgi
from starlette.types import Receive, Scope, Send

from sioapp.connection import Connection
from sioapp.heartbeat import Heartbeat
from sioapp.outgoing import DEFAULT_MAX_OUTGOING_BUFFER, OutgoingQueue
from sioapp.tasks import TaskSet
from sioapp.websocket_guard import WebSocketGuard

__all__ = ["SioEngine", "decode_packet", "is_packet"]

logger = logging.getLogger("sioapp")

_METHODS = frozenset({"GET", "POST", "OPTIONS"})
_TYPES = frozenset("0123456")
#: A type digit followed by this (or nothing) needs no decoding.
_DIGITS = frozenset(("", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"))
_TOO_LARGE = {
    "status": "413 PAYLOAD TOO LARGE",
    "headers": [("Content-Type", "text/plain")],
    "response": b"Payload Too Large",
}
#: What the environ of a WebSocket session keeps once the session is open.
_ENVIRON_KEPT = (
    "asgi.scope",
    "asgi.receive",
    "asgi.send",
    "REQUEST_METHOD",
    "PATH_INFO",
    "QUERY_STRING",
    "RAW_URI",
    "REMOTE_ADDR",
)


def decode_packet(data: str | bytes) -> Any:
    """The Engine.IO packet ``data`` encodes, or None when it is not one."""
    try:
        pkt = eio_packet.Packet(encoded_packet=data)
    except Exception:  # ValueError, binascii.Error, RecursionError from deep JSON...
        return None
    return pkt if eio_packet.OPEN <= pkt.packet_type <= eio_packet.NOOP else None


def is_packet(data: str | bytes) -> bool:
    """Whether python-engineio can decode ``data`` without failing.

    A type digit alone, or followed by a digit (every Socket.IO packet), needs no
    decoding: python-engineio parses JSON only after anything else.
    """
    if isinstance(data, bytes):
        return True
    if data[:1] in _TYPES and data[1:2] in _DIGITS:
        return True
    return decode_packet(data) is not None


def _slim(environ: dict[str, Any]) -> None:
    """Drop from a new session's environ what neither python-engineio nor sioapp reads
    again, as it lives as long as the session: the request body reader (a class of
    its own per request) and, for a WebSocket, the headers, which
    ``socket.handshake`` reads from the ASGI scope."""
    environ.pop("wsgi.input", None)
    scope = environ.get("asgi.scope")
    if scope is not None and scope.get("type") == "websocket":
        kept = {key: environ[key] for key in _ENVIRON_KEPT if key in environ}
        environ.clear()
        environ.update(kept)


class SioEngine(engineio.AsyncServer):  # type: ignore[misc]
    """python-engineio's ASGI server with Node's protocol behaviour (see the module doc).

    ``max_outgoing_buffer`` bounds the bytes of outgoing packets one connection
    may have pending (``None``: no bound).
    """

    class reason(engineio.AsyncServer.reason):  # type: ignore[misc]
        """Disconnection reasons, with Node's ``parse error``."""

        PARSE_ERROR = "parse error"

    def __init__(
        self, *, max_outgoing_buffer: int | None = DEFAULT_MAX_OUTGOING_BUFFER, **options: Any
    ) -> None:
        super().__init__(**options)
        if self.async_mode != "asgi":
            raise ValueError("SioEngine serves ASGI only")
        if max_outgoing_buffer is not None and max_outgoing_buffer <= 0:
            raise ValueError("max_outgoing_buffer must be positive or None")
        self.max_outgoing_buffer = max_outgoing_buffer
        self.heartbeat = Heartbeat(self)
        #: What the OPEN packet of every session advertises (shared by their queues).
        self._handshake: dict[str, int] | None = None
        self._guards: dict[str, WebSocketGuard] = {}
        self._polling: set[str] = set()
        self._posting: set[str] = set()
        self._tasks = TaskSet()

    # ---- requests ----------------------------------------------------------

    def handle_request(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[Any]:
        """The coroutine serving one request.

        This is no coroutine itself, so that its frame and the parsed query do not
        last as long as a WebSocket does.
        """
        query = parse_qs(scope.get("query_string", b"").decode("utf-8", "replace"))
        sid = query["sid"][0] if "sid" in query else None
        refusal = self._refusal(scope, query)
        if refusal is not None:
            return self._answer(scope, receive, send, self._bad(refusal))
        if scope["type"] == "websocket":
            return self._handle_websocket(scope, receive, send, sid)
        if sid is not None and "j" not in query:
            if scope["method"] == "POST":
                return self._handle_post(scope, receive, send, sid)
            if scope["method"] == "GET":
                return self._handle_poll(scope, receive, send, sid)
        coroutine: Awaitable[Any] = super().handle_request(scope, receive, send)
        return coroutine

    def _refusal(self, scope: Scope, query: dict[str, list[str]]) -> str | None:
        transport = query["transport"][0] if "transport" in query else None
        if transport is None:
            return "Missing transport"
        if scope["type"] == "websocket":
            return None if transport == "websocket" else "Invalid transport"
        if scope["method"] not in _METHODS:
            return "Method not allowed"
        return None

    async def _answer(
        self, scope: Scope, receive: Receive, send: Send, response: dict[str, Any]
    ) -> None:
        environ = await eio_asgi.translate_request(scope, receive, send)
        if environ:
            await self._make_response(response, environ)

    def _bad(self, message: str) -> dict[str, Any]:
        response: dict[str, Any] = self._bad_request(message)
        return response

    def _ok(
        self, packets: Any = None, headers: Any = None, jsonp_index: int | None = None
    ) -> dict[str, Any]:
        response: dict[str, Any] = super()._ok(packets, headers, jsonp_index)
        if packets is None:
            response["response"] = b"ok"  # Node's answer to a POST
        return response

    async def _handle_poll(self, scope: Scope, receive: Receive, send: Send, sid: str) -> Any:
        if sid in self._polling:
            logger.info("%s: overlapping long-poll, closing", sid)
            await self.close_session(sid, self.reason.TRANSPORT_ERROR, notify=True)
            return await self._answer(scope, receive, send, self._bad("Overlapping poll"))
        self._polling.add(sid)
        try:
            return await super().handle_request(scope, receive, send)
        finally:
            self._polling.discard(sid)

    async def _handle_post(self, scope: Scope, receive: Receive, send: Send, sid: str) -> None:
        environ = await eio_asgi.translate_request(scope, receive, send)
        if environ:
            await self._make_response(await self._receive_post(environ, sid), environ)

    async def _receive_post(self, environ: dict[str, Any], sid: str) -> dict[str, Any]:
        socket = self.sockets.get(sid)
        if socket is None or socket.closing or socket.closed:
            return self._bad(f"Invalid session {sid}")
        if not socket.connected or socket.upgraded:
            return self._bad("Unexpected HTTP request")
        if sid in self._posting:
            logger.info("%s: overlapping POST, closing", sid)
            await self.close_session(sid, self.reason.TRANSPORT_ERROR)
            return self._bad("Overlapping POST")
        self._posting.add(sid)
        try:
            body = await environ["wsgi.input"].read(self.max_http_buffer_size + 1)
        finally:
            self._posting.discard(sid)
        if len(body) > self.max_http_buffer_size:
            logger.info("%s: POST body over %s bytes, closing", sid, self.max_http_buffer_size)
            await self.close_session(sid, self.reason.TRANSPORT_ERROR)
            return _TOO_LARGE
        try:
            frames = body.decode("utf-8").split("\x1e")
        except UnicodeDecodeError:
            frames = [""]
        for frame in frames:
            pkt = decode_packet(frame)
            if pkt is None:
                logger.info("%s: invalid packet %.100r, closing", sid, frame)
                await self.close_session(sid, self.reason.PARSE_ERROR)
                return self._bad("Invalid packet")
            if socket.closing or socket.closed:
                break
            # OPEN, PING or NOOP from a client: nothing to do, as on a WebSocket.
            with contextlib.suppress(eio_exceptions.UnknownPacketError):
                await socket.receive(pkt)
        return self._ok()

    async def _handle_websocket(
        self, scope: Scope, receive: Receive, send: Send, sid: str | None
    ) -> Any:
        socket = self.sockets.get(sid) if sid is not None else None
        if socket is not None and (socket.upgrading or socket.upgraded):
            # Node accepts a second WebSocket for the session and closes it at once.
            await receive()
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": 1000})
            return None
        guard = WebSocketGuard(receive, send, self, sid)
        if sid is not None and socket is not None:
            self._guards[sid] = guard
        try:
            return await super().handle_request(scope, guard.receive, guard.send)
        except asyncio.CancelledError:
            if not guard.aborted:
                raise
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            return None
        finally:
            if guard.sid is not None and self._guards.get(guard.sid) is guard:
                del self._guards[guard.sid]
            if socket is not None and socket.upgrading and not socket.upgraded:
                socket.upgrading = False  # a failed upgrade: the session goes on polling

    def guard_of(self, sid: str) -> WebSocketGuard | None:
        """The guard of session ``sid``'s WebSocket, if it has one."""
        return self._guards.get(sid)

    def check_frame(self, data: str | bytes) -> str | None:
        """Why python-engineio may not have ``data``, or None when it may."""
        if len(data) > self.max_http_buffer_size:
            return str(self.reason.TRANSPORT_ERROR)
        if not is_packet(data):
            return str(self.reason.PARSE_ERROR)
        return None

    async def refuse_frame(self, guard: WebSocketGuard, reason: str, data: str | bytes) -> None:
        """Close what a refused frame belongs to.

        Before an upgrade completes only the WebSocket is dropped, as Node drops
        a failed probe; the session goes on polling.
        """
        logger.info("%s: %s on WebSocket (%.100r), closing", guard.sid, reason, data)
        sid = guard.sid
        socket = self.sockets.get(sid) if sid is not None else None
        if sid is not None and socket is not None and socket.upgraded:
            await self.close_session(sid, reason)

    # ---- sessions ----------------------------------------------------------

    async def close_session(
        self, sid: str, reason: str, *, notify: bool = False, abort: bool = False
    ) -> None:
        """Close session ``sid`` for ``reason``.

        ``notify`` sends a CLOSE packet first (a pending long-poll returns it);
        ``abort`` drops its WebSocket at once, even if the client stopped reading.
        """
        socket = self.sockets.get(sid)
        if socket is None or socket.closing or socket.closed:
            return
        await socket.close(wait=False, abort=not notify, reason=reason)
        if self.sockets.get(sid) is socket:
            del self.sockets[sid]
        socket.queue.put_nowait(None)  # ends the WebSocket writer
        guard = self._guards.get(sid)
        if abort and guard is not None:
            guard.abort()

    def create_queue(self, *args: Any, **kwargs: Any) -> OutgoingQueue:
        """The outgoing queue of each connection."""
        if self._handshake is None:
            interval = self.ping_interval + self.ping_interval_grace_period
            self._handshake = {
                "pingInterval": round(interval * 1000),
                "pingTimeout": round(self.ping_timeout * 1000),
            }
        return OutgoingQueue(self.max_outgoing_buffer, self._handshake)

    def overflowed(self, sid: str) -> None:
        """Close session ``sid``, whose client stopped reading."""
        logger.warning("%s: over %s bytes wait to be sent, closing", sid, self.max_outgoing_buffer)
        self._tasks.spawn(self.close_session(sid, self.reason.TRANSPORT_ERROR, abort=True))

    async def _trigger_event(self, event: str, *args: Any, **kwargs: Any) -> Any:
        if event == "connect":
            self._opened(args[0], args[1])
        elif event == "disconnect":
            self._closed(args[0], args[1])
        return await super()._trigger_event(event, *args, **kwargs)

    def _opened(self, sid: str, environ: dict[str, Any]) -> None:
        """Session ``sid`` is new: it becomes a `Connection`, the guard of its WebSocket
        (the environ's ASGI ``send`` is the guard's) learns its id, its environ slims."""
        socket = self.sockets.get(sid)
        if socket is not None:
            socket.__class__ = Connection
            socket.queue.owner = socket
            self.heartbeat.start()
        guard = getattr(environ.get("asgi.send"), "__self__", None)
        if isinstance(guard, WebSocketGuard) and guard.sid is None:
            guard.sid = sid
            self._guards[sid] = guard
        _slim(environ)

    def _closed(self, sid: str, reason: str) -> None:
        if reason == self.reason.CLIENT_DISCONNECT:
            # Node answers a long-poll still pending at once; python-engineio would
            # leave it hanging for a whole ping interval.
            socket = self.sockets.get(sid)
            if socket is not None and not socket.upgraded:
                socket.queue.put_nowait(eio_packet.Packet(eio_packet.NOOP))

    # ---- heartbeat ---------------------------------------------------------

    def ping_timed_out(self, sid: str) -> None:
        """Close session ``sid``, whose PING got no PONG in time."""
        self._tasks.spawn(self.close_session(sid, self.reason.PING_TIMEOUT))
        guard = self._guards.get(sid)
        if guard is not None:  # a peer that is gone may never finish the closing handshake
            loop = asyncio.get_running_loop()
            loop.call_later(self.ping_timeout, self._drop_websocket, sid, guard)

    def _drop_websocket(self, sid: str, guard: WebSocketGuard) -> None:
        if self._guards.get(sid) is guard:
            logger.info("%s: WebSocket still open after closing, dropping it", sid)
            guard.abort()

    def ping_overdue(self, sid: str) -> bool:
        """Whether ``sid`` has left a PING unanswered for most of ``ping_timeout``.

        A WebSocket that drops at that moment (uvicorn's own keepalive may notice
        a dead peer first) died of a ping timeout.
        """
        connection = self.sockets.get(sid)
        sent: float | None = getattr(connection, "last_ping", None)
        return sent is not None and time.time() - sent >= self.ping_timeout / 2
