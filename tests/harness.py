"""Two ways to reach an app behind one interface, for tests that must pass both ways.

In process, `sioapp.testing.TestClient` against a `TestServer`; for real,
python-socketio's ``AsyncClient`` against uvicorn, wrapped in `RealClient` so
that it answers as a ``TestClient`` does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any

import socketio
from socketio import packet
from socketio.packet import Packet

from sioapp import ConnectionRefused, SioApp
from sioapp.testing import Received, TestClient, TestServer, connect, serve
from sioapp.testing._inbox import Inbox

#: python-socketio's reasons in socket.io-client's words. It tells a namespace
#: DISCONNECT and a CLOSE packet apart by neither: both are "server disconnect".
NODE_REASONS = {
    "server disconnect": "io server disconnect",
    "client disconnect": "io client disconnect",
}


class RealClient:
    """A python-socketio ``AsyncClient`` with `TestClient`'s interface."""

    def __init__(self, client: socketio.AsyncClient, namespace: str) -> None:
        self.client = client
        self.namespace = namespace
        self.sid: str | None = None
        self.disconnect_reason: str | None = None
        self.refusal: dict[str, Any] | None = None
        self._inbox = Inbox()
        self.received = self._inbox.received
        self._gone = asyncio.Event()
        client.on("*", self._collect, namespace=namespace)
        client.on("connect_error", self._refused, namespace=namespace)
        client.on("disconnect", self._disconnected, namespace=namespace)

    @property
    def disconnected(self) -> bool:
        return self.disconnect_reason is not None

    async def emit(self, event: str, *args: Any) -> None:
        await self.client.emit(event, self._data(args), namespace=self.namespace)

    async def call(self, event: str, *args: Any, timeout: float = 5.0) -> Any:
        try:
            data = self._data(args)
            return await self.client.call(event, data, namespace=self.namespace, timeout=timeout)
        except socketio.exceptions.TimeoutError:
            raise TimeoutError(f"no ack for {event!r}") from None

    async def receive(self, event: str | None = None, *, timeout: float = 5.0) -> list[Any]:
        args = self._inbox.take_unread(event)
        return args if args is not None else await self._inbox.take(event, timeout)

    def on(self, event: str, handler: Callable[..., Any]) -> None:
        async def record(*args: Any) -> Any:
            self._inbox.put(Received(event, list(args)), taken=True)
            result = handler(*args)
            return await result if asyncio.iscoroutine(result) else result

        self.client.on(event, record, namespace=self.namespace)

    async def disconnect(self) -> None:
        """Leave the namespace as socket.io-client does, DISCONNECT packet first.

        python-socketio's ``disconnect()`` closes the WebSocket before that packet is
        written, so the server would see ``transport close``: send it and let the
        engine's queue drain first.
        """
        if self.client.connected:
            leave = Packet(packet.DISCONNECT, namespace=self.namespace).encode()
            await self.client.eio.send(leave)
            await self.client.eio.queue.join()
        await self.client.disconnect()

    async def wait_disconnected(self, timeout: float = 5.0) -> str:
        await asyncio.wait_for(self._gone.wait(), timeout)
        return str(self.disconnect_reason)

    @staticmethod
    def _data(args: tuple[Any, ...]) -> Any:
        """python-socketio's ``data``: one argument as is, several as a tuple."""
        return args[0] if len(args) == 1 else args or None

    def _collect(self, event: str, *args: Any) -> None:
        self._inbox.put(Received(event, list(args)))

    def _refused(self, error: dict[str, Any]) -> None:
        self.refusal = error

    def _disconnected(self, reason: str) -> None:
        self.disconnect_reason = NODE_REASONS.get(reason, reason)
        self._gone.set()


Client = TestClient | RealClient


class Harness:
    """Runs apps and connects clients to them, in process (``real=False``) or for real,
    through `sioapp run`'s WebSocket wire or (``asgi=True``) plain ASGI."""

    def __init__(
        self, real: bool, servers: AsyncExitStack, clients: AsyncExitStack, asgi: bool = False
    ) -> None:
        self.real = real
        #: Real servers serve WebSockets through plain ASGI rather than `sioapp run`'s wire.
        self.asgi = asgi
        self._servers = servers
        self._clients = clients
        self._running: dict[SioApp, tuple[AsyncExitStack, str]] = {}

    async def connect(self, app: SioApp, *, namespace: str = "/", auth: Any = None) -> Client:
        """A client connected to ``app``, which starts if it is not running; disconnected
        after the test. A refusal raises `ConnectionRefused`, as `TestClient` does."""
        url = await self._start(app)
        if not self.real:
            return await self._clients.enter_async_context(
                TestClient(app, namespace=namespace, auth=auth)
            )
        real = RealClient(socketio.AsyncClient(reconnection=False), namespace)
        try:
            await self._clients.enter_async_context(
                connect(url, namespace=namespace, auth=auth, client=real.client)
            )
        except socketio.exceptions.ConnectionError:
            if real.refusal is None:
                raise
            raise ConnectionRefused(real.refusal["message"], real.refusal.get("data")) from None
        real.sid = real.client.get_sid(namespace)
        return real

    async def stop(self, app: SioApp) -> None:
        """Shut ``app`` down as its server does: clients still connected are disconnected."""
        stack, _ = self._running.pop(app)
        await stack.aclose()

    @property
    def _ws(self) -> dict[str, str]:
        return {"ws": "websockets-sansio"} if self.asgi else {}

    async def _start(self, app: SioApp) -> str:
        if app not in self._running:
            stack = await self._servers.enter_async_context(AsyncExitStack())
            if self.real:
                url = await stack.enter_async_context(serve(app, **self._ws))
            else:
                await stack.enter_async_context(TestServer(app))
                url = "in process"
            self._running[app] = (stack, url)
        return self._running[app][1]
