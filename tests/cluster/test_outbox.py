"""The pipelined Redis commands of the cluster: one command's error is its own."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from sioapp._cluster.outbox import Outbox

from .conftest import RedisServer

pytestmark = [pytest.mark.redis, pytest.mark.timeout(30)]


async def test_a_failing_command_fails_alone_in_its_batch(redis_server: RedisServer) -> None:
    redis_server.start()
    outbox = Outbox()
    outbox.redis = Redis.from_url(redis_server.url)
    try:
        replies = await asyncio.gather(
            outbox.send("SET", "before", "1"),
            outbox.send("RENAME", "no such key here", "anywhere"),
            outbox.send("SET", "after", "2"),
            return_exceptions=True,
        )
        assert replies[0] is True and replies[2] is True
        assert isinstance(replies[1], ResponseError) and "no such key" in str(replies[1]).lower()
        assert await outbox.send("MGET", "before", "after") == [b"1", b"2"]
    finally:
        await outbox.redis.aclose()
