"""Shared fixtures: apps are served by a real uvicorn and reached through real clients."""

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
from sioapp.testing import connect, serve

Connect = Callable[..., Awaitable[socketio.AsyncClient]]


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
