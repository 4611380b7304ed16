"""sioapp's Engine.IO v4 server, which python-socketio drives as its engine.

It serves ASGI requests for ``/socket.io/`` as Node's engine.io serves them:
handshake (``sid``, the OPEN packet, an optional cookie), long-polling
(`sioapp._transport.polling`), WebSocket and upgrade
(`sioapp._transport.websocket`), one `Heartbeat` for every session, the
Origin/CORS policy (`sioapp._transport.origins`), limits and Node's close
reasons and HTTP error codes. Upward it offers the members python-socketio
calls on its engine (``on``, ``handle_request``, ``send``, ``send_packet``,
``generate_id``...) and a few of its own for the Socket.IO layer: `send_many`,
`close`, `sessions`.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Protocol

import orjson
from starlette.types import Receive, Scope, Send

from sioapp._tasks import TaskSet
from sioapp._transport.heartbeat import Heartbeat
from sioapp._transport.http import Refusal, Request, refuse, respond
from sioapp._transport.origins import AllowedOrigins, OriginPolicy
from sioapp._transport.outgoing import DEFAULT_MAX_OUTGOING_BUFFER
from sioapp._transport.packets import (
    CLOSE,
    MESSAGE,
    NOOP,
    OPEN,
    PING,
    PONG,
    UPGRADE,
    Frame,
    encode_payload,
)
from sioapp._transport.polling import serve_poll, serve_post
from sioapp._transport.proxies import TrustedProxies
from sioapp._transport.session import CloseReason, Session, Transport
from sioapp._transport.websocket import asgi_messages, read_frames, upgrade
from sioapp._transport.wire import WIRE_EXTENSION, Wire, websocket_frames

__all__ = ["Engine", "EngineWatcher"]

logger = logging.getLogger("sioapp")

Handler = Callable[..., Awaitable[Any]]


class EngineWatcher(Protocol):
    """Hears the engine's connections and traffic while ``engine_watched``: an engine
    nobody watches pays one attribute test per step."""

    engine_watched: bool

    def client_opened(self, sid: str, transport: str) -> None:
        """A client opened session ``sid`` over ``transport``."""

    def client_upgraded(self, sid: str, transport: str) -> None:
        """Session ``sid`` moved to ``transport``."""

    def client_closed(self, sid: str, reason: str) -> None:
        """Session ``sid`` ended for ``reason``."""

    def messages_received(self, count: int, size: int) -> None:
        """``count`` messages of ``size`` bytes in all came in."""

    def messages_sent(self, count: int, size: int) -> None:
        """``count`` messages of ``size`` bytes in all were queued for clients."""


def _message_size(message: str | bytes) -> int:
    """The bytes of one message, its text in UTF-8."""
    if isinstance(message, bytes) or message.isascii():
        return len(message)
    return len(message.encode())


def _frames_size(frames: Iterable[Frame]) -> int:
    """The bytes of the messages of ``frames``, as Node counts them: text without its packet
    type, binary whole."""
    return sum(_message_size(frame) - (not isinstance(frame, bytes)) for frame in frames)


_TRANSPORTS = frozenset(Transport)
_IGNORED = frozenset((OPEN, PING, UPGRADE, NOOP))  # packets a client has no reason to send
#: Seconds a WebSocket has to complete an upgrade, as Node's ``upgradeTimeout``.
UPGRADE_TIMEOUT = 10.0


def _cookie_header(cookie: str | Mapping[str, Any] | None, sid: str) -> list[tuple[str, str]]:
    """The ``Set-Cookie`` header carrying ``sid``, as python-engineio's ``cookie`` option."""
    if not cookie:
        return []
    options: dict[str, Any] = {"name": cookie} if isinstance(cookie, str) else dict(cookie)
    parts = [f"{options.pop('name', 'io')}={sid}", f"Path={options.pop('path', '/')}"]
    parts.append(f"SameSite={options.pop('samesite', 'Lax')}")
    if options.pop("httponly", True):
        parts.append("HttpOnly")
    for name, value in options.items():
        if value is True:
            parts.append(name)
        elif value not in (False, None):
            parts.append(f"{name}={value}")
    return [("Set-Cookie", "; ".join(parts))]


class Engine:
    """An Engine.IO v4 server (see the module doc); ``options`` as python-socketio's.

    ``ping_interval`` (seconds, or ``(interval, grace)``) and ``ping_timeout`` set
    the heartbeat; ``max_http_buffer_size`` bounds what a client sends at once;
    ``max_outgoing_buffer`` what may wait to be sent to one client (``None``: no
    bound); ``transports`` and ``allow_upgrades`` which transports serve;
    ``http_compression`` and ``compression_threshold`` compress long-poll
    answers; ``cookie`` sets a cookie holding the session id;
    ``cors_allowed_origins``, ``cors_credentials`` and ``trusted_proxies`` decide
    which pages may connect.
    """

    #: What python-socketio reads to know the engine serves ASGI.
    async_mode = "asgi"
    #: URL-safe characters every new id starts with; ``sioapp run --workers`` sets it
    #: so that a session id names the worker process holding the session.
    id_prefix = ""

    def __init__(
        self,
        *,
        ping_interval: float | tuple[float, float] = 25.0,
        ping_timeout: float = 20.0,
        max_http_buffer_size: int = 1_000_000,
        max_outgoing_buffer: int | None = DEFAULT_MAX_OUTGOING_BUFFER,
        transports: Iterable[str] | None = None,
        allow_upgrades: bool = True,
        http_compression: bool = True,
        compression_threshold: int = 1024,
        cookie: str | Mapping[str, Any] | None = None,
        cors_allowed_origins: AllowedOrigins = None,
        cors_credentials: bool = True,
        trusted_proxies: TrustedProxies | None = None,
        async_mode: str = "asgi",
        async_handlers: bool = False,
    ) -> None:
        # python-socketio passes async_mode and async_handlers; events are always
        # handed over in order, and the Socket.IO layer starts the handlers' tasks.
        if async_mode != "asgi":
            raise ValueError("sioapp's engine serves ASGI only")
        interval, grace = (
            ping_interval if isinstance(ping_interval, tuple) else (ping_interval, 0.0)
        )
        if interval <= 0 or ping_timeout <= 0:
            raise ValueError("ping_interval and ping_timeout must be positive")
        if max_http_buffer_size <= 0:
            raise ValueError("max_http_buffer_size must be positive")
        if max_outgoing_buffer is not None and max_outgoing_buffer <= 0:
            raise ValueError("max_outgoing_buffer must be positive or None")
        allowed = list(transports) if transports is not None else list(Transport)
        if not allowed or not set(allowed) <= _TRANSPORTS:
            raise ValueError(f"transports must be some of {sorted(_TRANSPORTS)}")
        self.ping_interval = interval + grace
        self.ping_timeout = float(ping_timeout)
        self.max_http_buffer_size = max_http_buffer_size
        self.max_outgoing_buffer = max_outgoing_buffer
        self.transports = frozenset(Transport(name) for name in allowed)
        self.allow_upgrades = allow_upgrades
        self.http_compression = http_compression
        self.compression_threshold = compression_threshold
        self.cookie = cookie
        self.origins = OriginPolicy(
            cors_allowed_origins, cors_credentials, trusted_proxies or TrustedProxies()
        )
        #: How long a POST body or an upgrade may take.
        self.request_timeout = self.ping_interval + self.ping_timeout
        self.upgrade_timeout = UPGRADE_TIMEOUT
        self.sessions: dict[str, Session] = {}
        #: Told of sessions and traffic when set (the Socket.IO layer's observers).
        self.watcher: EngineWatcher | None = None
        self.handlers: dict[str, Handler] = {}
        self.heartbeat = Heartbeat(
            self.sessions, self.ping_interval, self.ping_timeout, self._ping_timed_out
        )
        self._tasks = TaskSet()
        self._ids = itertools.count()
        self._open = orjson.dumps(
            {
                "pingInterval": round(self.ping_interval * 1000),
                "pingTimeout": round(self.ping_timeout * 1000),
                "maxPayload": max_http_buffer_size,
            }
        ).decode()

    # ---- what python-socketio calls ----------------------------------------------

    def on(self, event: str, handler: Handler | None = None) -> Any:
        """Register the handler of ``connect(sid, scope)``, ``message(sid, data)`` or
        ``disconnect(sid, reason)``; a decorator without ``handler``."""
        if event not in ("connect", "message", "disconnect"):
            raise ValueError(f"the engine has no {event!r} event")

        def register(fn: Handler) -> Handler:
            self.handlers[event] = fn
            return fn

        return register if handler is None else register(handler)

    def generate_id(self) -> str:
        """A new 20-character id: 12 random bytes and a counter, in URL-safe base64,
        starting with `id_prefix` in place of as many random characters."""
        raw = secrets.token_bytes(12) + (next(self._ids) % 2**24).to_bytes(3, "big")
        prefix = self.id_prefix
        return prefix + base64.urlsafe_b64encode(raw).decode()[len(prefix) :]

    async def send(self, sid: str, data: str | bytes) -> None:
        """Queue the message ``data`` for session ``sid``; nothing if it has gone."""
        session = self.sessions.get(sid)
        if session is not None:
            session.send(MESSAGE + data if isinstance(data, str) else data)

    async def send_packet(self, sid: str, pkt: Any) -> None:
        """Queue an encoded python-engineio ``Packet`` for session ``sid``."""
        session = self.sessions.get(sid)
        if session is not None:
            session.send(pkt.encode())

    def transport(self, sid: str) -> str:
        """The transport session ``sid`` runs on: ``polling`` or ``websocket``."""
        return str(self.sessions[sid].transport)

    async def get_session(self, sid: str) -> dict[str, Any]:
        """A dict kept with session ``sid``, for python-socketio's user sessions."""
        session = self.sessions[sid]
        if session.data is None:
            session.data = {}
        return session.data

    def create_event(self) -> asyncio.Event:
        return asyncio.Event()

    def start_background_task(
        self, target: Handler, *args: Any, **kwargs: Any
    ) -> asyncio.Task[Any]:
        """Run ``target(*args, **kwargs)`` in a task of its own."""
        task = asyncio.ensure_future(target(*args, **kwargs))
        self._tasks.keep(task)
        return task

    async def sleep(self, seconds: float = 0) -> None:
        await asyncio.sleep(seconds)

    def attach(self, app: Any, engineio_path: str = "engine.io") -> None:
        raise TypeError("sioapp's engine is an ASGI app: serve SioApp instead of attaching it")

    async def shutdown(self) -> None:
        """Stop the heartbeat and the background tasks (sessions stay; see `close`)."""
        self.heartbeat.stop()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def writer_sweeps(self) -> int:
        """How many times the heartbeat has looked for idle WebSocket writers."""
        return self.heartbeat.sweeps

    def client_counts(self) -> tuple[int, int]:
        """How many clients are connected, and how many of them over long-polling."""
        sessions = self.sessions
        polling = sum(1 for session in sessions.values() if not session.upgraded)
        return len(sessions), polling

    def outgoing_bytes(self) -> int:
        """Bytes queued for every session and not yet sent."""
        return sum(session.queue.pending for session in self.sessions.values())

    # ---- for the Socket.IO layer -------------------------------------------------

    def send_many(self, sids: Iterable[str], frames: list[Frame]) -> int:
        """Queue the same encoded packets for every session of ``sids`` (kept aside for a
        held session); how many got them."""
        sessions = self.sessions
        sent = 0
        framed: bytes | None = None  # the WebSocket frames, made once for every wire
        for sid in sids:
            session = sessions.get(sid)
            if session is None or session.closed:
                continue
            wire = session.wire
            if session.held is not None:
                session.held.extend(frames)
            elif wire is not None and wire.ready and session.queue.empty():
                if framed is None:
                    framed = websocket_frames(frames)
                wire.write(framed)
            else:
                put = session.queue.put
                for frame in frames:
                    put(frame)
            sent += 1
        watcher = self.watcher
        if sent and watcher is not None and watcher.engine_watched:
            watcher.messages_sent(sent * len(frames), sent * _frames_size(frames))
        return sent

    def hold(self, sid: str) -> None:
        """Keep aside what is sent to session ``sid`` from now on, until `release`; `send_first`
        still goes out. The Socket.IO layer replays missed packets in between."""
        session = self.sessions.get(sid)
        if session is not None and session.held is None:
            session.held = []

    def send_first(self, sid: str, frames: list[Frame]) -> None:
        """Queue ``frames`` for session ``sid`` ahead of what its hold keeps aside."""
        session = self.sessions.get(sid)
        if session is not None and not session.closed:
            for frame in frames:
                session.queue.put(frame)
            watcher = self.watcher
            if watcher is not None and watcher.engine_watched:
                watcher.messages_sent(len(frames), _frames_size(frames))

    def release(self, sid: str, keep: Callable[[list[Frame]], list[Frame]] | None = None) -> None:
        """Queue what the hold of session ``sid`` kept aside (what ``keep`` keeps of it)."""
        session = self.sessions.get(sid)
        if session is None or session.held is None:
            return
        held, session.held = session.held, None
        for frame in keep(held) if keep is not None else held:
            session.send(frame)

    def describe_origins(self) -> str:
        """Which browser origins may connect, in words."""
        return self.origins.describe()

    async def close(
        self, sid: str, reason: str, *, notify: bool = False, abort: bool = False
    ) -> None:
        """Close session ``sid`` for ``reason`` (a `CloseReason`, or a Socket.IO reason).

        ``notify`` sends a CLOSE packet over a WebSocket first (a long-poll always
        gets one); ``abort`` drops the WebSocket at once, even if the client
        stopped reading. The ``disconnect`` handler runs once, with ``reason``.
        """
        session = self.sessions.get(sid)
        if session is None or session.closed:
            return
        del self.sessions[sid]
        watcher = self.watcher
        if watcher is not None and watcher.engine_watched:
            watcher.client_closed(sid, reason)
        session.close(reason, notify)
        if abort:
            session.abort()
        handler = self.handlers.get("disconnect")
        if handler is not None:
            try:
                await handler(sid, reason)
            except Exception:
                logger.exception("%s: the disconnect handler failed", sid)

    def overflowed(self, sid: str) -> None:
        """Close session ``sid``, whose client stopped reading."""
        logger.warning("%s: over %s bytes wait to be sent, closing", sid, self.max_outgoing_buffer)
        self._tasks.spawn(self.close(sid, CloseReason.TRANSPORT_ERROR, abort=True))

    def _ping_timed_out(self, sid: str) -> None:
        logger.info("%s: no PONG within %s s, closing", sid, self.ping_timeout)
        session = self.sessions.get(sid)
        self._tasks.spawn(self.close(sid, CloseReason.PING_TIMEOUT))
        if session is not None and session.reader is not None:
            # a peer that is gone may never finish the closing handshake
            asyncio.get_running_loop().call_later(self.ping_timeout, self._drop, session)

    @staticmethod
    def _drop(session: Session) -> None:
        if session.reader is not None and not session.reader.done():
            logger.info("%s: WebSocket still open after closing, dropping it", session.sid)
            session.abort()

    # ---- packets from the client -------------------------------------------------

    async def deliver(self, sid: str, data: str | bytes) -> None:
        """Hand one message to the ``message`` handler, in this task."""
        watcher = self.watcher
        if watcher is not None and watcher.engine_watched:
            watcher.messages_received(1, _message_size(data))
        handler = self.handlers.get("message")
        if handler is None:
            return
        try:
            await handler(sid, data)
        except Exception:
            logger.exception("%s: error handling a message", sid)

    async def receive(self, session: Session, frame: Frame) -> bool:
        """Handle one packet from the client; False when it is not one."""
        if isinstance(frame, bytes):
            await self.deliver(session.sid, frame)
            return True
        kind = frame[:1]
        if kind == MESSAGE:
            await self.deliver(session.sid, frame[1:])
        elif kind == PONG:
            self.heartbeat.pong(session)
        elif kind == CLOSE:
            await self.close(session.sid, CloseReason.TRANSPORT_CLOSE)
        elif kind not in _IGNORED:
            logger.info("%s: invalid packet %.100r, closing", session.sid, frame)
            return False
        return True

    # ---- requests ----------------------------------------------------------------

    def handle_request(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        """The coroutine serving one request to the Engine.IO endpoint.

        It is no coroutine itself, so that what is parsed here does not live as
        long as a WebSocket does.
        """
        request = Request.of(scope)
        refusal, session = self._verify(scope, request)
        websocket = scope["type"] == "websocket"
        if refusal is not None:
            if websocket:
                return self._refuse_websocket(receive, send)
            return refuse(send, refusal, self.origins.cors_headers(request.headers, False))
        if websocket:
            if session is None:
                return self._open_websocket(scope, receive, send)
            return self._upgrade(session, scope, receive, send)
        headers = self.origins.cors_headers(request.headers, request.method == "OPTIONS")
        if request.method == "OPTIONS":
            return respond(send, 200, b"", "text/plain", headers)
        if session is None:
            return self._open_polling(scope, request, send, headers)
        if request.method == "POST":
            return serve_post(self, session, receive, send, headers)
        return serve_poll(self, session, request, receive, send, headers)

    def _verify(self, scope: Scope, request: Request) -> tuple[Refusal | None, Session | None]:
        """Why the request is refused, with Node's error, or the session it names."""
        query = request.query
        transport = query.get("transport")
        if transport not in self.transports:
            return Refusal.UNKNOWN_TRANSPORT, None
        if (transport == Transport.WEBSOCKET) != (scope["type"] == "websocket"):
            return Refusal.BAD_REQUEST, None
        if query.get("EIO") != "4":
            return Refusal.UNSUPPORTED_PROTOCOL_VERSION, None
        if "j" in query:  # JSONP polling, which sioapp does not serve
            return Refusal.BAD_REQUEST, None
        if self.origins.refuses(scope, request.headers):
            return Refusal.FORBIDDEN, None
        sid = query.get("sid")
        method = request.method
        if method not in ("GET", "POST", "OPTIONS"):
            return Refusal.BAD_REQUEST if sid else Refusal.BAD_HANDSHAKE_METHOD, None
        if sid is None:
            if method == "POST":
                return Refusal.BAD_HANDSHAKE_METHOD, None
            return None, None
        session = self.sessions.get(sid)
        if session is None:
            return Refusal.UNKNOWN_SID, None
        if transport == Transport.WEBSOCKET:
            if not self.allow_upgrades:
                return Refusal.BAD_REQUEST, None
        elif session.upgraded:
            return Refusal.BAD_REQUEST, None
        return None, session

    async def _refuse_websocket(self, receive: Receive, send: Send) -> None:
        await receive()  # websocket.connect
        await send({"type": "websocket.close", "code": 1008})

    def _handshake(self, sid: str, transport: Transport) -> str:
        """The OPEN packet of a new session."""
        upgrades = (
            '["websocket"]'
            if transport is Transport.POLLING
            and self.allow_upgrades
            and Transport.WEBSOCKET in self.transports
            else "[]"
        )
        return f'{OPEN}{{"sid":"{sid}","upgrades":{upgrades},{self._open[1:]}'

    async def _new_session(self, scope: Scope, transport: Transport) -> Session:
        sid = self.generate_id()
        session = Session(self, sid, scope, transport)
        self.sessions[sid] = session
        watcher = self.watcher
        if watcher is not None and watcher.engine_watched:
            watcher.client_opened(sid, transport)
        session.queue.put(self._handshake(sid, transport))
        self.heartbeat.ping_later(sid)
        handler = self.handlers.get("connect")
        if handler is not None:
            await handler(sid, scope)
        return session

    async def _open_polling(
        self, scope: Scope, request: Request, send: Send, headers: list[tuple[str, str]]
    ) -> None:
        session = await self._new_session(scope, Transport.POLLING)
        frames = [frame for frame in session.queue.take_all() if frame is not None]
        session.queue.sent()
        headers = [*headers, *_cookie_header(self.cookie, session.sid)]
        await respond(
            send, 200, encode_payload(frames).encode(), "text/plain; charset=UTF-8", headers
        )

    async def _open_websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        await receive()  # websocket.connect
        accept: dict[str, Any] = {"type": "websocket.accept"}
        session = await self._new_session(scope, Transport.WEBSOCKET)
        cookie = _cookie_header(self.cookie, session.sid)
        if cookie:
            accept["headers"] = [(b"set-cookie", cookie[0][1].encode("latin-1"))]
        await send(accept)
        await self._serve_websocket(session, scope, receive, send)

    async def _upgrade(self, session: Session, scope: Scope, receive: Receive, send: Send) -> None:
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        if session.upgrading or session.upgraded:
            await send({"type": "websocket.close", "code": 1000})  # as Node does
            return
        if await upgrade(self, session, receive, send):
            watcher = self.watcher
            if watcher is not None and watcher.engine_watched:
                watcher.client_upgraded(session.sid, session.transport)
            await self._serve_websocket(session, scope, receive, send)
        else:
            await send({"type": "websocket.close", "code": 1000})

    async def _serve_websocket(
        self, session: Session, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Read the session's frames until either side leaves, then close it: through the
        server's `Wire` when it offers one, else through ASGI."""
        wire: Wire | None = scope.get("extensions", {}).get(WIRE_EXTENSION)
        session.reader = asyncio.current_task()
        next_message: Callable[[], Awaitable[Frame | None]]
        if wire is not None:
            session.attach(wire)
            next_message = wire.next_message
        else:
            session.ws_send = send
            if not session.queue.empty():
                session.start_writer()
            next_message = asgi_messages(receive)
        reason: str | None = None
        try:
            reason = await read_frames(self, session, next_message)
        except asyncio.CancelledError:
            if not session.aborted:
                raise
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
        finally:
            session.reader = None
            if reason == CloseReason.TRANSPORT_CLOSE and self.heartbeat.overdue(session):
                reason = CloseReason.PING_TIMEOUT
            await self.close(session.sid, reason or CloseReason.TRANSPORT_CLOSE)
            if session.writer is not None and not session.aborted:
                await asyncio.wait((session.writer,), timeout=self.ping_timeout)
            if wire is not None and session.aborted:
                wire.abort()  # nothing more goes out: do not wait for the client to read
            elif wire is not None and wire.open:
                await self._close_wire(session, wire, send)

    async def _close_wire(self, session: Session, wire: Wire, send: Send) -> None:
        """Close the WebSocket once the wire took everything up to `END`; drop it when the
        client does not read that within ``ping_timeout``."""
        if session.wire is not None:  # END waits for the client to read
            drained = session.wire_drained = asyncio.get_running_loop().create_future()
            await asyncio.wait((drained,), timeout=self.ping_timeout)
            if not drained.done():
                logger.info("%s: the client read nothing more, dropping its WebSocket", session.sid)
                wire.abort()
                return
        try:
            await send({"type": "websocket.close", "code": 1000})
        except Exception:  # the client left meanwhile
            logger.debug("%s: the WebSocket was gone before it was closed", session.sid)
