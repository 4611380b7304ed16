"""`sioapp.testing.serve`: uvicorn in the test's event loop, started and stopped for each test."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from sioapp import SioApp
from sioapp.testing import free_port, serve


def app_with_lifespan(log: list[str], fail: bool = False) -> SioApp:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if fail:
            raise RuntimeError("the database is down")
        log.append("startup")
        yield
        log.append("shutdown")

    return SioApp(lifespan=lifespan)


def bindable(port: int) -> bool:
    """Whether something may listen on ``port`` again."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


async def test_the_app_starts_and_stops_with_the_block_and_its_port_is_freed() -> None:
    log: list[str] = []
    port = free_port()
    async with serve(app_with_lifespan(log), port=port) as url:
        assert url == f"http://127.0.0.1:{port}"
        assert log == ["startup"]
        async with httpx.AsyncClient(base_url=url) as http:
            assert (await http.get("/missing")).status_code == 404
    assert log == ["startup", "shutdown"]
    assert bindable(port)


async def test_a_connection_still_open_is_waited_for_as_uvicorn_does() -> None:
    log: list[str] = []
    async with serve(app_with_lifespan(log)) as url:
        host, port = url.removeprefix("http://").split(":")
        _, idle = await asyncio.open_connection(host, int(port))  # never sends a request
    assert log == ["startup", "shutdown"]
    idle.close()
    await idle.wait_closed()


async def test_a_failing_startup_is_raised() -> None:
    log: list[str] = []
    with pytest.raises(RuntimeError, match="could not serve"):
        async with serve(app_with_lifespan(log, fail=True)):
            pytest.fail("served without starting")
    assert log == []


async def test_a_port_in_use_is_raised() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(RuntimeError, match=f"could not serve on 127.0.0.1:{port}"):
            async with serve(SioApp(), port=port):
                pytest.fail("served on a port in use")


async def test_any_asgi_app_may_be_served() -> None:
    api = FastAPI()

    @api.get("/ping")
    async def ping() -> str:
        return "pong"

    served: Any = api
    async with serve(served) as url, httpx.AsyncClient(base_url=url) as http:
        assert (await http.get("/ping")).json() == "pong"
