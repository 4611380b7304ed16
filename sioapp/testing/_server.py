"""`TestServer`: a `SioApp` running in this process for `TestClient`s, one per app at a time."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Mapping
from contextlib import AsyncExitStack
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.types import Receive, Scope, Send

from sioapp._app.app import SioApp
from sioapp._tasks import TaskSet
from sioapp._transport.packets import Frame
from sioapp.testing._memory import ASGI_VERSION, MemoryWebSocket, lifespan

if TYPE_CHECKING:
    import httpx

__all__ = ["TestServer", "attach", "detach"]

#: The host clients reach the app at: a name, not a loopback address, so that the
#: engine's Host check trusts it, as it trusts any Host a public server is reached by.
HOST = "testserver"
BASE_URL = f"http://{HOST}"
#: Seconds connections may take to end once the app has shut down, before they are cancelled.
STOP_TIMEOUT = 5.0

_serving: dict[SioApp, TestServer] = {}


class TestServer:
    """A `SioApp` running in this process, for `TestClient`: no port, no uvicorn, no thread.

    ``async with TestServer(app) as server:`` runs the app's lifespan (startup
    handlers, the container's resources) for the block; every ``TestClient(app)``
    entered inside connects to it. On exit the app shuts down as under
    ``sioapp run``: clients still connected leave with ``server shutting down``.

    Without it, the first `TestClient` of an app starts a server and the last one
    to leave stops it. An app runs in one `TestServer` at a time; ``running`` says
    whether it has started and not yet stopped.
    """

    __test__ = False  # a tool, not a test class for pytest

    def __init__(self, app: SioApp) -> None:
        self.app = app
        self.running = False
        self._clients = 0
        self._held = False
        self._stack: AsyncExitStack | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._up = asyncio.Event()
        self._state: dict[str, Any] = {}
        self._connections = TaskSet()
        self._ports = itertools.count(50000)
        self._http: httpx.AsyncClient | None = None

    async def __aenter__(self) -> TestServer:
        if _running(self.app) is not None:
            raise RuntimeError(
                "this app already runs in a TestServer: enter TestServer(app) before its "
                "TestClients, and once at a time"
            )
        self._held = True
        await self._start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._held = False
        await self._stop()

    @property
    def http(self) -> httpx.AsyncClient:
        """An ``httpx.AsyncClient`` for the app's REST routes, served in this process too.

        Its base URL is ``http://testserver``; it is closed when the server stops.
        """
        if self._http is None:
            self._http = self._http_client()
        return self._http

    def _http_client(self) -> httpx.AsyncClient:
        self._check_running()
        import httpx  # only tests that reach the REST side need httpx installed

        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self._asgi), base_url=BASE_URL)

    def _open_websocket(
        self,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        on_frame: Callable[[Frame], None],
        on_close: Callable[[int], None],
    ) -> MemoryWebSocket:
        """Open an Engine.IO WebSocket to the app's Socket.IO endpoint (see `MemoryWebSocket`)."""
        self._check_running()
        path = self.app.socketio_path
        sent = {"host": HOST, **{name.lower(): value for name, value in headers.items()}}
        raw_headers = [
            (name.encode("latin-1"), value.encode("latin-1")) for name, value in sent.items()
        ]
        scope = {
            "type": "websocket",
            "asgi": ASGI_VERSION,
            "http_version": "1.1",
            "scheme": "ws",
            "server": (HOST, 80),
            "client": ("127.0.0.1", next(self._ports)),
            "root_path": "",
            "path": path,
            "raw_path": path.encode(),
            "query_string": urlencode({**query, "EIO": "4", "transport": "websocket"}).encode(),
            "headers": raw_headers,
            "subprotocols": [],
        }
        websocket = MemoryWebSocket(self._asgi, scope, on_frame, on_close)
        self._connections.keep(websocket.task)
        return websocket

    async def _asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The app, given a copy of the lifespan state with each request, as ASGI servers do."""
        scope["state"] = dict(self._state)
        await self.app(scope, receive, send)

    async def _start(self) -> None:
        if self._stack is not None:
            raise RuntimeError("a TestServer runs once: make a new one to run the app again")
        self._stack = AsyncExitStack()
        self._loop = asyncio.get_running_loop()
        _serving[self.app] = self
        try:
            self._state = await self._stack.enter_async_context(lifespan(self.app))
            self.running = True
        except BaseException:
            self._unregister()
            raise
        finally:
            self._up.set()

    async def _stop(self) -> None:
        if not self.running:
            return
        self.running = False
        self._unregister()
        try:
            assert self._stack is not None
            await self._stack.aclose()
        finally:
            connections = list(self._connections)
            if connections:
                _, late = await asyncio.wait(connections, timeout=STOP_TIMEOUT)
                for task in late:
                    task.cancel()
            if self._http is not None:
                await self._http.aclose()

    def _check_running(self) -> None:
        if not self.running:
            raise RuntimeError("the app has stopped: its TestServer has exited")

    def _unregister(self) -> None:
        if _serving.get(self.app) is self:
            del _serving[self.app]


def _running(app: SioApp) -> TestServer | None:
    server = _serving.get(app)
    if server is not None and server._loop is not asyncio.get_running_loop():
        del _serving[app]  # left by a test whose event loop has gone
        return None
    return server


async def attach(app: SioApp) -> TestServer:
    """``app``'s `TestServer`, started if none runs; `detach` from it when done."""
    server = _running(app)
    if server is None:
        server = TestServer(app)
        server._clients += 1
        await server._start()
    else:
        server._clients += 1
        await server._up.wait()  # another client may be starting it right now
        if not server.running:
            server._clients -= 1
            raise RuntimeError("the app failed to start")
    return server


async def detach(server: TestServer) -> None:
    """A client is done with ``server``: the last one out stops a server clients started."""
    server._clients -= 1
    if server._clients == 0 and not server._held:
        await server._stop()
