"""Apps served in the test's own event loop, sharing a redis-server that starts late."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
import socketio

from sioapp import ClusterUnavailable, Router, SioApp

from ..conftest import PATIENCE, Connect, Inbox
from .conftest import RedisServer

pytestmark = [pytest.mark.redis, pytest.mark.timeout(30)]


def build_app(redis_url: str) -> SioApp:
    app = SioApp(redis_url=redis_url, cluster_timeout=0.5, docs_url=None)
    router = Router()

    @router.on("members")
    async def members() -> int:
        return len(await app.fetch_sockets())

    app.include_router(router)
    return app


async def test_an_app_serves_without_redis_and_joins_the_cluster_when_it_comes(
    redis_server: RedisServer, served: Any, client: Connect
) -> None:
    app = build_app(redis_server.url)
    started = time.monotonic()
    url = await served(app)
    assert time.monotonic() - started < PATIENCE  # Redis is not running yet: not waited for
    first = await client(url)
    inbox = Inbox(first, "news")

    await app.emit("news", "local delivery")
    await app.server_side_emit("nobody hears this")
    assert await inbox.next("news") == ("local delivery",)
    reply = await first.call("members")
    assert reply["error"]["code"] == "cluster_unavailable"
    for request in (
        app.fetch_sockets(),
        app.all_rooms(),
        app.server_side_emit_with_ack("ping"),
        app.timeout(1).emit_with_ack("news"),
    ):
        with pytest.raises(ClusterUnavailable, match="unreachable"):
            await request
    assert len(await app.local.fetch_sockets()) == 1

    redis_server.start()
    async with asyncio.timeout(10):
        while True:
            try:
                if await app.server.manager.server_count() == 1:
                    break
            except ClusterUnavailable:
                await asyncio.sleep(0.05)
    assert await first.call("members") == 1

    other = build_app(redis_server.url)
    second = await client(await served(other))
    assert await first.call("members") == await second.call("members") == 2
    await other.emit("news", "from the other app")
    assert await inbox.next("news") == ("from the other app",)

    burst = Inbox(second, "burst")
    await asyncio.gather(*(app.emit("burst", index) for index in range(300)))
    assert [(await burst.next("burst"))[0] for _ in range(300)] == list(range(300))

    outside = socketio.AsyncRedisManager(redis_server.url, write_only=True)
    await outside.emit("news", "from a python-socketio emitter", namespace="/")
    await outside.redis.aclose()
    assert await inbox.next("news") == ("from a python-socketio emitter",)
