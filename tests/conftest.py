"""Shared fixtures and markers.

Apps are reached in process through `sioapp.testing.TestClient`, or served by a real
uvicorn and reached through real clients where the network is what a test is about.

Markers: ``slow`` for tests that need real processes or take seconds; ``node``,
``browser`` and ``redis`` for those that need socket.io-client under Node, Chromium or a
redis-server, which are slow too. ``python -m pytest -m "not slow"`` runs the fast rest.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import socketio

from sioapp import SioApp
from sioapp.testing import TestClient, TestServer, connect, serve

#: sioapp's own fixtures, loaded here rather than through the plugin's entry point (see
#: pyproject.toml), so that coverage sees sioapp imported.
pytest_plugins = ["sioapp.pytest_plugin"]

Connect = Callable[..., Awaitable[socketio.AsyncClient]]

#: Seconds a test waits for something that should happen at once before it fails.
PATIENCE = 5.0


async def eventually(predicate: Callable[[], object], timeout: float = PATIENCE) -> None:
    """Return once ``predicate()`` is true; fail after ``timeout`` seconds.

    For conditions no event announces, such as a server-side resource closing
    after an ack was sent.
    """
    try:
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(0.005)
    except TimeoutError:
        raise AssertionError(f"still not true after {timeout} s: {predicate}") from None


def events(client: TestClient, name: str) -> list[list[Any]]:
    """The arguments of every ``name`` event ``client`` received so far, in order."""
    return [item.args for item in client.received if item.event == name]


class Inbox:
    """Collects the events a client receives, so a test can wait for them."""

    def __init__(self, client: socketio.AsyncClient, *events: str) -> None:
        self.client = client
        self.queues: dict[str, asyncio.Queue[tuple[Any, ...]]] = {}
        for event in events:
            queue: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
            self.queues[event] = queue
            client.on(event, self._collector(queue))

    @staticmethod
    def _collector(queue: asyncio.Queue[tuple[Any, ...]]) -> Callable[..., None]:
        def collect(*args: Any) -> None:
            queue.put_nowait(args)

        return collect

    async def next(self, event: str, timeout: float = 5.0) -> tuple[Any, ...]:
        return await asyncio.wait_for(self.queues[event].get(), timeout)

    def empty(self, event: str) -> bool:
        return self.queues[event].empty()


@pytest_asyncio.fixture
async def served() -> AsyncIterator[Callable[[SioApp], Awaitable[str]]]:
    """``url = await served(app)``: serve an app for the duration of the test."""
    async with AsyncExitStack() as stack:

        async def start(app: SioApp) -> str:
            return await stack.enter_async_context(serve(app))

        yield start


@pytest_asyncio.fixture
async def client(served: Any) -> AsyncIterator[Connect]:
    """``c = await client(url, auth=..., namespace=...)``: a connected AsyncClient.

    Depends on ``served`` so that clients disconnect before servers stop.
    """
    async with AsyncExitStack() as stack:

        async def make(url: str, **options: Any) -> socketio.AsyncClient:
            return await stack.enter_async_context(connect(url, **options))

        yield make


class InProcess:
    """Connects `TestClient`s to apps that run in this process, each in a `TestServer`
    from its first client to the end of the test."""

    def __init__(self, servers: AsyncExitStack, clients: AsyncExitStack) -> None:
        self._servers = servers
        self._clients = clients
        self._running: dict[SioApp, tuple[AsyncExitStack, TestServer]] = {}
        self._starting = asyncio.Lock()  # clients connected together start one server

    async def __call__(self, app: SioApp, **options: Any) -> TestClient:
        """A `TestClient` of ``app`` connected with ``options`` (``auth``, ``namespace``,
        ``headers``, ``query``); a refusal raises `sioapp.ConnectionRefused`."""
        await self.server(app)
        return await self._clients.enter_async_context(TestClient(app, **options))

    async def server(self, app: SioApp) -> TestServer:
        """The `TestServer` running ``app``, started if it is not running yet."""
        async with self._starting:
            if app not in self._running:
                stack = await self._servers.enter_async_context(AsyncExitStack())
                self._running[app] = (stack, await stack.enter_async_context(TestServer(app)))
        return self._running[app][1]

    async def stop(self, app: SioApp) -> None:
        """Shut ``app`` down as a server does: its clients still connected are
        disconnected with ``server shutting down``."""
        stack, _ = self._running.pop(app)
        await stack.aclose()


@pytest_asyncio.fixture
async def in_process() -> AsyncIterator[InProcess]:
    """``c = await in_process(app, auth=...)``: a connected `TestClient`, disconnected
    after the test, before its app stops; ``await in_process.server(app)``: the app's
    `TestServer`, for its ``http`` client; ``await in_process.stop(app)``: shut it down."""
    async with AsyncExitStack() as servers, AsyncExitStack() as clients:
        yield InProcess(servers, clients)


@pytest.fixture
def inbox() -> Callable[..., Inbox]:
    return Inbox


@pytest.fixture(params=["websocket", "polling"])
def transport(request: pytest.FixtureRequest) -> str:
    """Tests of Node clients run once over WebSocket only and once over long-polling only."""
    return str(request.param)


@pytest.fixture
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """``tmp_path`` as the current directory; modules imported from it are forgotten after."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield tmp_path
    for name, module in list(sys.modules.items()):
        if Path(getattr(module, "__file__", None) or "/").is_relative_to(tmp_path):
            del sys.modules[name]


# ---- markers ----------------------------------------------------------------------

#: Markers for what a test needs outside Python; a test with any of them is ``slow`` too.
EXTERNAL = ("node", "browser", "redis")

#: Fixtures that start something outside this process: a test using one gets the marker.
FIXTURE_MARKERS = {
    "transport": "node",  # the transports of the tests/js scripts
    "browser": "browser",  # Chromium, driven by playwright
    "redis_server": "redis",
    "start_cluster": "redis",
    "shared_cluster": "redis",
    "spawn": "slow",  # a child process, such as `sioapp run`
}


@pytest.hookimpl(tryfirst=True)  # before ``-m`` selects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        names = [FIXTURE_MARKERS.get(name) for name in getattr(item, "fixturenames", ())]
        for name in filter(None, names):
            item.add_marker(name)
        if not item.get_closest_marker("slow") and any(map(item.get_closest_marker, EXTERNAL)):
            item.add_marker("slow")
