"""`TestClient`: a Socket.IO client of a `SioApp` in this process, over an in-memory WebSocket."""

from __future__ import annotations

import asyncio
import inspect
import itertools
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, overload

from socketio import packet as sio
from socketio.packet import Packet

from sioapp._app.app import SioApp
from sioapp._protocol.errors import ConnectionRefused
from sioapp._tasks import TaskSet
from sioapp.testing._inbox import Inbox, Received, settled
from sioapp.testing._memory import MemoryWebSocket
from sioapp.testing._server import TestServer, attach, detach
from sioapp.testing._wire import Wire

if TYPE_CHECKING:
    import httpx

__all__ = ["TestClient"]

H = TypeVar("H", bound=Callable[..., Any])


def _settle(future: asyncio.Future[Any] | None, result: Any) -> None:
    if future is not None and not future.done():
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result)


class TestClient:
    """A Socket.IO client of ``app`` in this process: no port, no uvicorn, no thread.

    It speaks Engine.IO v4 and Socket.IO v5, with the app's serializer (JSON or
    msgpack), to the app's ASGI callable over an in-memory WebSocket, so
    middleware, validation, acks, rooms, binary attachments, disconnect reasons
    and dependency injection run as for a remote client::

        async with TestClient(app, auth={"token": "ann"}) as ann:
            assert await ann.call("join", {"room": "lobby"}) == {"room": "lobby", "members": 1}

    Entering connects to ``namespace`` with ``auth`` (``socket.handshake.auth``);
    ``headers`` and ``query`` go with the handshake request. A refusal raises
    `sioapp.ConnectionRefused` with the ``message`` and ``data`` of the server's
    ``connect_error``. Exiting disconnects. The app runs in a `TestServer`:
    the one entered around the client, or one shared by the app's clients and
    stopped when the last of them leaves.

    Once connected, ``sid`` is the socket's id, ``received`` lists every event
    received and, after a disconnection, ``disconnect_reason`` says why.
    ``timeout`` (seconds) bounds connecting and is the default of `call`,
    `receive` and `wait_disconnected`. Using the client outside its ``async with``
    raises `RuntimeError`; using it once disconnected raises `ConnectionError`
    with the reason.
    """

    __test__ = False  # a tool, not a test class for pytest

    def __init__(
        self,
        app: SioApp,
        *,
        namespace: str = "/",
        auth: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
        timeout: float = 5.0,
    ) -> None:
        self.app = app
        self.namespace = namespace
        self.timeout = timeout
        #: The socket's id once connected: ``socket.id`` on the server.
        self.sid: str | None = None
        self._inbox = Inbox()
        #: Every event received, in order, whether `receive` or a handler took it or not.
        self.received: list[Received] = self._inbox.received
        #: Why the client was disconnected, in socket.io-client's words: ``io server
        #: disconnect``, ``io client disconnect``, ``transport close``, ``parse error``.
        self.disconnect_reason: str | None = None
        self._auth = dict(auth) if auth is not None else None
        self._headers = dict(headers or {})
        self._query = dict(query or {})
        self._server: TestServer | None = None
        self._wire = Wire(self._open, self._packet, self._lost, app.server.serializer)
        self._connected: asyncio.Future[None] | None = None
        self._gone_waiter: asyncio.Future[None] | None = None
        self._acks: dict[int, asyncio.Future[list[Any]]] = {}
        self._ack_ids = itertools.count()
        self._handlers: dict[str, Callable[..., Any]] = {}
        self._answering = TaskSet()
        self._failures: list[Exception] = []
        self._http: httpx.AsyncClient | None = None

    # ---- connecting ----------------------------------------------------------------

    async def __aenter__(self) -> TestClient:
        if self._server is not None:
            raise RuntimeError("a TestClient connects once: make a new one to connect again")
        self._server = await attach(self.app)
        loop = asyncio.get_running_loop()
        self._connected, self._gone_waiter = loop.create_future(), loop.create_future()
        try:
            self._wire.websocket = self._server._open_websocket(
                self._query, self._headers, self._wire.receive, self._wire.closed
            )
            if not await settled(self._connected, self.timeout):
                raise TimeoutError(
                    f"no answer to connecting to {self.namespace!r} within {self.timeout} s"
                )
            self._connected.result()
        except BaseException:
            await self._leave()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._leave()
        if self._failures:
            raise self._failures[0]

    async def _leave(self) -> None:
        """Disconnect, stop the handlers still answering, let go of the server."""
        assert self._server is not None
        try:
            if self._wire.websocket is not None:
                await self.disconnect()
        finally:
            answering = list(self._answering)
            for task in answering:
                task.cancel()
            await asyncio.gather(*answering, return_exceptions=True)
            if self._http is not None:
                await self._http.aclose()
            await detach(self._server)

    @property
    def connected(self) -> bool:
        """Whether the client is connected to its namespace."""
        return self.sid is not None and self.disconnect_reason is None

    @property
    def disconnected(self) -> bool:
        """Whether the client was connected and is no longer (see `disconnect_reason`)."""
        return self.disconnect_reason is not None

    @property
    def http(self) -> httpx.AsyncClient:
        """An ``httpx.AsyncClient`` for the app's REST routes, in this process too.

        Its base URL is ``http://testserver``, its cookies its own; it is closed
        on exit.
        """
        server = self._entered()
        if self._http is None:
            self._http = server._http_client()
        return self._http

    async def disconnect(self) -> None:
        """Leave the namespace, as socket.io-client's ``socket.disconnect()``: the server's
        handlers get ``client namespace disconnect``, and have run when this returns."""
        websocket = self._socket()
        if self.connected:
            self._wire.send(self._wire.packet(sio.DISCONNECT, namespace=self.namespace))
            self._lost("io client disconnect")
        websocket.close()
        await websocket.finished(self.timeout)

    async def wait_disconnected(self, timeout: float | None = None) -> str:
        """Wait until the client is disconnected, by the server or itself; the reason.

        `TimeoutError` when it is still connected ``timeout`` seconds later.
        """
        self._socket()
        assert self._gone_waiter is not None
        wait = self.timeout if timeout is None else timeout
        if not await settled(self._gone_waiter, wait):
            raise TimeoutError(f"the client is still connected after {wait} s")
        return str(self.disconnect_reason)

    # ---- talking ----------------------------------------------------------------------

    async def emit(self, event: str, *args: Any) -> None:
        """Send ``event`` with ``args`` to the server."""
        self._check_connected()
        self._wire.send(self._wire.packet(sio.EVENT, data=[event, *args], namespace=self.namespace))

    async def call(self, event: str, *args: Any, timeout: float | None = None) -> Any:
        """Send ``event`` with ``args`` and wait for the server's ack.

        Returns the ack's argument when it has one, a tuple of them when it has
        several, None when it has none, as python-socketio's ``call``.
        `TimeoutError` when no ack comes within ``timeout`` seconds.
        """
        values = await self.call_args(event, *args, timeout=timeout)
        if len(values) > 1:
            return tuple(values)
        return values[0] if values else None

    async def call_args(self, event: str, *args: Any, timeout: float | None = None) -> list[Any]:
        """As `call`, but return the ack's arguments as a list, as `receive` returns an
        event's: ``[]`` for an ack without arguments, ``[None]`` for an ack of null."""
        self._check_connected()
        ack_id = next(self._ack_ids)
        ack: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._acks[ack_id] = ack
        self._wire.send(
            self._wire.packet(sio.EVENT, data=[event, *args], namespace=self.namespace, id=ack_id)
        )
        wait = self.timeout if timeout is None else timeout
        if not await settled(ack, wait):
            del self._acks[ack_id]
            raise TimeoutError(f"no ack for {event!r} within {wait} s")
        return ack.result()

    async def receive(self, event: str | None = None, *, timeout: float | None = None) -> list[Any]:
        """The arguments of the next event received, or of the next one named ``event``.

        Events are kept from the moment the client connects, and each is returned
        once. `TimeoutError`, naming what did arrive, when none comes within
        ``timeout`` seconds.
        """
        self._entered()
        args = self._inbox.take_unread(event)
        if args is not None:
            return args
        self._check_connected()
        return await self._inbox.take(event, self.timeout if timeout is None else timeout)

    @overload
    def on(self, event: str) -> Callable[[H], H]: ...

    @overload
    def on(self, event: str, handler: H) -> H: ...

    def on(self, event: str, handler: H | None = None) -> H | Callable[[H], H]:
        """Call ``handler(*args)`` (a function or a coroutine function) for each ``event``;
        when the server asked for an ack (``socket.emit_with_ack``), its return value is
        the ack: a tuple for several arguments, as python-socketio's clients. A decorator
        without ``handler``.

        The handler takes those events from `receive`; `received` still lists them.
        Without a handler, a request for an ack goes unanswered, as with
        socket.io-client. A handler's exception is raised when the ``async with``
        block exits.
        """

        def register(fn: H) -> H:
            self._handlers[event] = fn
            return fn

        return register if handler is None else register(handler)

    # ---- the state of the client ------------------------------------------------------

    def _entered(self) -> TestServer:
        if self._server is None:
            raise RuntimeError(
                "TestClient is not connected: use it inside `async with TestClient(app) as client:`"
            )
        return self._server

    def _socket(self) -> MemoryWebSocket:
        self._entered()
        if self._wire.websocket is None:
            raise RuntimeError("TestClient did not connect")
        return self._wire.websocket

    def _check_connected(self) -> None:
        self._socket()
        if self.disconnect_reason is not None:
            raise ConnectionError(self._gone())

    def _gone(self) -> str:
        stopped = "" if self._server is None or self._server.running else ": its app has stopped"
        return f"TestClient is disconnected ({self.disconnect_reason}){stopped}"

    def _lost(self, reason: str) -> None:
        """The client is disconnected for ``reason``: close the WebSocket, fail the waiters."""
        if self.disconnect_reason is not None:
            return
        self.disconnect_reason = reason
        if self._wire.websocket is not None:
            self._wire.websocket.close()
        error = ConnectionError(self._gone())
        _settle(self._connected, error)
        _settle(self._gone_waiter, None)
        for ack in self._acks.values():
            ack.set_exception(error)
        self._acks.clear()
        self._inbox.fail(error)

    # ---- packets -------------------------------------------------------------------------

    def _open(self) -> None:
        self._wire.send(self._wire.packet(sio.CONNECT, data=self._auth, namespace=self.namespace))

    def _packet(self, pkt: Packet) -> None:
        """One Socket.IO packet from the server."""
        if (pkt.namespace or "/") != self.namespace:
            return
        kind = pkt.packet_type
        if kind == sio.CONNECT:
            self.sid = pkt.data["sid"]
            _settle(self._connected, None)
        elif kind == sio.CONNECT_ERROR:
            error = pkt.data if isinstance(pkt.data, dict) else {}
            refused = ConnectionRefused(str(error.get("message", "")), error.get("data"))
            _settle(self._connected, refused)
        elif kind == sio.DISCONNECT:
            self._lost("io server disconnect")
        elif kind in (sio.EVENT, sio.BINARY_EVENT):
            self._event(pkt.data[0], pkt.data[1:], pkt.id)
        elif kind in (sio.ACK, sio.BINARY_ACK):
            _settle(self._acks.pop(pkt.id, None), pkt.data)

    def _event(self, event: str, args: list[Any], ack_id: int | None) -> None:
        handler = self._handlers.get(event)
        if handler is not None:
            self._answering.spawn(self._answer(handler, args, ack_id))
        self._inbox.put(Received(event, args), taken=handler is not None)

    async def _answer(
        self, handler: Callable[..., Any], args: list[Any], ack_id: int | None
    ) -> None:
        try:
            result = handler(*args)
            if inspect.isawaitable(result):
                result = await result
        except Exception as exc:
            self._failures.append(exc)
            return
        if ack_id is not None and self.connected:
            if isinstance(result, tuple):
                values = list(result)
            else:
                values = [] if result is None else [result]
            self._wire.send(
                self._wire.packet(sio.ACK, data=values, namespace=self.namespace, id=ack_id)
            )
