"""The Redis recovery store's checkpoints, with the order of its commands chosen."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from typing import Any

import pytest
from redis.asyncio import Redis

from sioapp import ConnectionStateRecovery
from sioapp._cluster.recovery import RedisStore
from sioapp._protocol.recovery import SavedSession

from .conftest import RedisServer

pytestmark = [pytest.mark.redis, pytest.mark.timeout(30)]


class Server:
    """What a store needs of its cluster link, straight to Redis; ``hold`` pauses the
    store after its first ``ZREM``, until set."""

    channel = "socketio"

    def __init__(self, redis: Redis, host_id: str, hold: asyncio.Event | None = None) -> None:
        self.redis = redis
        self.host_id = host_id
        self.hold = hold
        self.holding = asyncio.Event()

    async def command(self, *command: Any) -> Any:
        reply = await self.redis.execute_command(*command)
        if command[0] == "ZREM" and self.hold is not None and not self.holding.is_set():
            self.holding.set()
            await self.hold.wait()
        return reply

    async def listening(self, host_ids: Collection[str]) -> set[str]:
        return set()  # none of these servers subscribes: each is gone


def session(pid: str) -> SavedSession:
    return SavedSession(pid, f"sid-{pid}", "/", ("lobby",), {"name": pid}, None, "0-0")


async def test_a_client_is_recovered_while_another_server_keeps_its_dead_servers_sessions(
    redis_server: RedisServer,
) -> None:
    """Server b looked for the session before server a kept the dead server's
    checkpoints, and for the dead servers after: it finds the session all the same."""
    redis_server.start()
    redis = Redis.from_url(redis_server.url)
    options = ConnectionStateRecovery()
    try:
        await RedisStore(Server(redis, "dead"), options).checkpoint([session("1"), session("2")])
        hold = asyncio.Event()
        b = Server(redis, "b", hold)
        late = asyncio.ensure_future(RedisStore(b, options).take("2"))
        await b.holding.wait()  # its session was not kept yet

        first = await RedisStore(Server(redis, "a"), options).take("1")
        hold.set()

        assert first == session("1")
        assert await late == session("2")
        assert await redis.smembers("socketio#hosts") == set()
    finally:
        await redis.aclose()
