"""Connection state recovery across servers: sessions and the event log live in Redis."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from sioapp import ExpiredSession, Router, Socket

from ..conftest import Connect
from ..test_recovery import Returning, build_app
from .conftest import RedisServer

pytestmark = pytest.mark.timeout(30)


async def test_a_client_that_left_server_a_is_recovered_by_server_b(
    redis_server: RedisServer, served: Any, client: Connect
) -> None:
    redis_server.start()
    first, _ = build_app(redis_url=redis_server.url)
    second, connects = build_app(redis_url=redis_server.url)
    url_a, url_b = await served(first), await served(second)
    ann = Returning(url_a, {"token": "ann"})
    sid, _ = await ann.connect()
    await ann.call("join", "lobby")
    await ann.call("remember", "colour", "blue")
    speaker = await client(url_b)
    await speaker.call("say", ("lobby", "seen"))
    assert await ann.events(1) == [["news", "seen"]]
    await ann.raw.close()
    for text in ("missed 1", "missed 2"):
        await speaker.call("say", ("lobby", text))

    ann.url = url_b  # behind a balancer, the client comes back to another server
    assert (await ann.connect())[0] == sid
    assert await ann.events(2) == [["news", "missed 1"], ["news", "missed 2"]]
    assert connects[-1] == {"id": sid, "recovered": True, "lost": False}
    assert await ann.call("status") == [
        {
            "recovered": True,
            "missed_events_lost": False,
            "rooms": ["lobby"],
            "data": {"colour": "blue"},
        }
    ]
    await speaker.call("say", ("lobby", "live again"))
    assert await ann.events(1) == [["news", "live again"]]
    assert await ann.quiet(), "each missed event arrives once"


async def test_one_server_reports_each_expired_session(
    redis_server: RedisServer, served: Any
) -> None:
    redis_server.start()
    apps = [build_app(redis_url=redis_server.url, max_disconnection_duration=0.3)[0] for _ in "ab"]
    expired: asyncio.Queue[ExpiredSession] = asyncio.Queue()
    for app in apps:
        app.on_session_expired(expired.put_nowait)
    url, _ = await served(apps[0]), await served(apps[1])
    ann = Returning(url)
    sid, _ = await ann.connect()
    await ann.call("remember", "cart", [1])
    await ann.raw.close()
    assert await asyncio.wait_for(expired.get(), 10) == ExpiredSession(sid, "/", {"cart": [1]})
    await asyncio.sleep(2.2)  # two more sweeps of each server: neither reports it again
    assert expired.empty()


async def test_a_rolling_restart_is_recovered_by_the_next_server(
    redis_server: RedisServer, served: Any, client: Connect
) -> None:
    redis_server.start()
    leaving, _ = build_app(redis_url=redis_server.url)
    staying, connects = build_app(redis_url=redis_server.url)
    url_a, url_b = await served(leaving), await served(staying)
    ann = Returning(url_a)
    sid, _ = await ann.connect()
    await ann.call("join", "lobby")
    await leaving.close()  # SIGTERM: every client leaves with "server shutting down"
    assert await ann.raw.closed()
    speaker = await client(url_b)
    await speaker.call("say", ("lobby", "while restarting"))
    ann.url = url_b
    assert (await ann.connect())[0] == sid
    assert await ann.events(1) == [["news", "while restarting"]]
    assert connects[-1] == {"id": sid, "recovered": True, "lost": False}


async def test_what_json_sends_with_integer_keys_is_logged_and_kept(
    redis_server: RedisServer, served: Any, client: Connect
) -> None:
    """The log and the kept session go through Redis as JSON, integer keys as text, as
    every live client gets them."""
    redis_server.start()
    app, _ = build_app(redis_url=redis_server.url)
    numbers = Router()

    @numbers.on("tally")
    async def tally(room: str) -> bool:
        await app.to(room).emit("tally", {1: "one", 2: "two"})
        return True

    @numbers.on("count")
    async def count(socket: Socket) -> bool:
        socket.data["counts"] = {1: 10}
        return True

    app.include_router(numbers)
    url = await served(app)
    ann = Returning(url, {"token": "ann"})
    sid, _ = await ann.connect()
    await ann.call("join", "lobby")
    await ann.call("count")
    await ann.raw.close()
    speaker = await client(url)
    assert await speaker.call("tally", "lobby") is True

    assert (await ann.connect())[0] == sid
    assert await ann.events(1) == [["tally", {"1": "one", "2": "two"}]]
    [status] = await ann.call("status")
    assert (status["recovered"], status["data"]) == (True, {"counts": {"1": 10}})
