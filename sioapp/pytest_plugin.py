"""pytest fixtures for sioapp apps, registered through the ``pytest11`` entry point.

Override ``sioapp_app`` to return your app. ``sioapp_test_client`` connects
in-process clients (`sioapp.testing.TestClient`) to it, and ``sioapp_test_server``
is the app running for them. ``sioapp_url`` serves the app on a free port with a
real uvicorn instead, and ``sioapp_client`` connects real python-socketio clients
to it. Every client is disconnected after the test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import pytest

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - the fixtures need pytest-asyncio
    pytest_asyncio = None  # type: ignore[assignment]

from sioapp.testing import TestClient, TestServer, connect, serve

ClientFactory = Callable[..., Awaitable[Any]]
TestClientFactory = Callable[..., Awaitable[TestClient]]

if pytest_asyncio is not None:

    @pytest.fixture
    def sioapp_app() -> Any:
        """The app under test: override this fixture in your conftest.py."""
        raise pytest.UsageError("override the sioapp_app fixture to return your SioApp")

    @pytest_asyncio.fixture
    async def sioapp_url(sioapp_app: Any) -> AsyncIterator[str]:
        """Base URL of ``sioapp_app`` served by uvicorn on a free 127.0.0.1 port."""
        async with serve(sioapp_app) as url:
            yield url

    @pytest_asyncio.fixture
    async def sioapp_client(sioapp_url: str) -> AsyncIterator[ClientFactory]:
        """``await sioapp_client(namespace="/", auth=None)``: a connected ``AsyncClient``."""
        async with AsyncExitStack() as stack:

            async def make(**options: Any) -> Any:
                return await stack.enter_async_context(connect(sioapp_url, **options))

            yield make

    @pytest_asyncio.fixture
    async def sioapp_test_server(sioapp_app: Any) -> AsyncIterator[TestServer]:
        """``sioapp_app`` running in this process for the test: a `sioapp.testing.TestServer`."""
        async with TestServer(sioapp_app) as server:
            yield server

    @pytest_asyncio.fixture
    async def sioapp_test_client(
        sioapp_test_server: TestServer,
    ) -> AsyncIterator[TestClientFactory]:
        """``await sioapp_test_client(auth=..., namespace=...)``: a connected in-process
        `sioapp.testing.TestClient` of ``sioapp_app``; keyword arguments as ``TestClient``'s."""
        async with AsyncExitStack() as stack:

            async def make(**options: Any) -> TestClient:
                client = TestClient(sioapp_test_server.app, **options)
                return await stack.enter_async_context(client)

            yield make
