"""A burst of 1,000 connections: each is served or refused cleanly, and the server keeps
answering the clients it already had."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from sioapp import ConnectionRefused, Router, SioApp, Socket

from .conftest import Connect, eventually
from .node import requires_node, run_script

pytestmark = [*requires_node, pytest.mark.timeout(120)]

CONNECTIONS = 1000


def build_app() -> SioApp:
    app = SioApp()
    router = Router()

    @app.use
    async def authenticate(socket: Socket) -> None:
        if socket.handshake.auth.get("token") == "bad":
            raise ConnectionRefused("unknown user")

    @router.on("echo")
    async def echo(value: int) -> int:
        return value

    app.include_router(router)
    return app


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_a_burst_of_connections_is_served_or_refused_and_others_keep_being_answered(
    served: Any, client: Connect, transport: str
) -> None:
    app = build_app()
    url = await served(app)
    healthy = await client(url, auth={"token": "healthy"})
    latencies: list[float] = []
    flooding = True

    async def keep_asking() -> None:
        n = 0
        while flooding:
            started = time.monotonic()
            assert await healthy.call("echo", n, timeout=10) == n
            latencies.append(time.monotonic() - started)
            n += 1
            await asyncio.sleep(0.02)

    asking = asyncio.create_task(keep_asking())
    try:
        checks = await run_script("flood.mjs", url, transport, timeout=60)
    finally:
        flooding = False
        await asking

    refused = CONNECTIONS // 10
    assert checks["outcomes"] == {"served": CONNECTIONS - refused, "refused: unknown user": refused}
    worst = max(latencies)
    print(
        f"{transport}: {CONNECTIONS} connects in {checks['seconds']:.1f} s; healthy client "
        f"{len(latencies)} echoes, worst {worst * 1000:.0f} ms"
    )
    # answered all along: no echo waited for the end of the flood
    assert len(latencies) >= 5 and worst < max(5.0, checks["seconds"] / 2)
    await eventually(
        lambda: len(app.server.sockets) == 1 and len(app.server.eio.sessions) == 1, timeout=10
    )
    assert list(app.server.sockets) == [healthy.get_sid()]
