"""msgpack across servers: broadcasts carry msgpack packets through Redis, and a client
that left one server resumes on another with the binary events it missed."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import msgpack
import pytest

from sioapp import ConnectionStateRecovery

from ..conftest import Connect, Inbox
from ..msgpack_app import create_app
from ..raw import RawClient
from .conftest import RedisServer

pytestmark = [pytest.mark.redis, pytest.mark.timeout(30)]


def packet(**fields: Any) -> bytes:
    packed: bytes = msgpack.packb(fields)
    return packed


class Returning:
    """A raw msgpack client that remembers its pid and the last offset it received."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.pid: str | None = None
        self.offset: str | None = None
        self.raw: RawClient

    async def connect(self) -> str:
        """Connect, resuming when a pid is known; the sid."""
        self.raw = await RawClient.open(self.url)
        auth = {} if self.pid is None else {"pid": self.pid, "offset": self.offset}
        await self.raw.send(packet(type=0, nsp="/", data=auth))
        reply = await self.packet()
        assert reply["type"] == 0, reply
        self.pid = reply["data"]["pid"]
        return str(reply["data"]["sid"])

    async def packet(self) -> dict[str, Any]:
        frame = await self.raw.recv()
        assert isinstance(frame, bytes), f"a msgpack server sends binary messages: {frame!r}"
        decoded: dict[str, Any] = msgpack.unpackb(frame)
        return decoded

    async def call(self, *event: Any) -> Any:
        await self.raw.send(packet(type=2, nsp="/", data=list(event), id=900))
        while True:
            reply = await self.packet()
            if reply["type"] == 3 and reply["id"] == 900:
                return reply["data"]
            self._note(reply)

    def _note(self, event: dict[str, Any]) -> list[Any]:
        data: list[Any] = event["data"]
        self.offset = data[-1]
        return data[:-1]

    async def events(self, count: int) -> list[list[Any]]:
        """The next ``count`` events, each without its offset."""
        return [self._note(await self.packet()) for _ in range(count)]

    async def quiet(self) -> bool:
        """Whether nothing more arrives for a moment."""
        try:
            await self.raw.recv(timeout=0.3)
        except TimeoutError:
            return True
        return False


async def test_broadcasts_carry_msgpack_packets_between_servers(
    redis_server: RedisServer, served: Any, client: Connect, inbox: type[Inbox]
) -> None:
    redis_server.start()
    url_a = await served(create_app(redis_url=redis_server.url))
    url_b = await served(create_app(redis_url=redis_server.url))
    ann = await client(url_a, serializer="msgpack")
    news = inbox(ann, "news")
    bob = await client(url_b, serializer="msgpack")
    assert await ann.call("join", {"room": "garden"}) == {"room": "garden", "members": 1}
    assert await bob.call("join", {"room": "garden"}) == {"room": "garden", "members": 2}
    blob = bytes(range(256))
    assert await bob.call("shout", {"room": "garden", "text": "hi", "blob": blob}) is True
    assert await news.next("news") == ({"text": "hi", "blob": blob},)


async def test_a_msgpack_client_that_left_server_a_is_recovered_by_server_b(
    redis_server: RedisServer, served: Any, client: Connect
) -> None:
    redis_server.start()
    recovery = ConnectionStateRecovery(max_disconnection_duration=5)
    url_a = await served(create_app(redis_url=redis_server.url, recovery=recovery))
    url_b = await served(create_app(redis_url=redis_server.url, recovery=recovery))
    ann = Returning(url_a)
    sid = await ann.connect()
    assert await ann.call("join", {"room": "lobby"}) == [{"room": "lobby", "members": 1}]
    speaker = await client(url_b, serializer="msgpack")
    await speaker.call("shout", {"room": "lobby", "text": "seen", "blob": b"\x00"})
    assert await ann.events(1) == [["news", {"text": "seen", "blob": b"\x00"}]]
    await ann.raw.close()
    for index in (1, 2):
        await speaker.call(
            "shout", {"room": "lobby", "text": f"missed {index}", "blob": b"\xff" * index}
        )

    ann.url = url_b  # behind a balancer, the client comes back to another server
    assert await ann.connect() == sid
    assert await ann.events(2) == [
        ["news", {"text": "missed 1", "blob": b"\xff"}],
        ["news", {"text": "missed 2", "blob": b"\xff\xff"}],
    ]
    await speaker.call("shout", {"room": "lobby", "text": "live", "blob": b""})
    assert await ann.events(1) == [["news", {"text": "live", "blob": b""}]]
    assert await ann.quiet(), "each missed event arrives once"


async def test_a_server_of_another_serializer_drops_broadcasts_and_says_why(
    redis_server: RedisServer,
    served: Any,
    client: Connect,
    inbox: type[Inbox],
    caplog: pytest.LogCaptureFixture,
) -> None:
    redis_server.start()
    url_json = await served(create_app(redis_url=redis_server.url, serializer="json"))
    url_msgpack = await served(create_app(redis_url=redis_server.url))
    ann = await client(url_json)
    news = inbox(ann, "news")
    bob = await client(url_msgpack, serializer="msgpack")
    await ann.call("join", {"room": "garden"})
    with caplog.at_level(logging.ERROR, logger="sioapp._cluster.redis"):
        await bob.call("shout", {"room": "garden", "text": "lost", "blob": b"\x01"})
        async with asyncio.timeout(5):
            while not any("same serializer" in r.getMessage() for r in caplog.records):
                await asyncio.sleep(0.01)
    await ann.call("shout", {"room": "garden", "text": "kept", "blob": b"\x02"})
    assert await news.next("news") == ({"text": "kept", "blob": b"\x02"},)
