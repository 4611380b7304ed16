"""The server-side Socket: id, handshake, rooms, data, attributes, targeting, acks."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from pydantic import BaseModel

from sioapp import BroadcastAcks, Handshake, Rooms, Router, SioApp, Socket

from .conftest import PATIENCE, InProcess, events
from .raw import RawClient


class Registry:
    """Sockets the app saw, by id, for assertions from the test side."""

    def __init__(self) -> None:
        self.sockets: dict[str, Socket] = {}


def build_app(**options: Any) -> tuple[SioApp, Registry]:
    app = SioApp(**options)
    router = Router()
    seen = Registry()

    @router.on_connect
    async def remember(socket: Socket) -> None:
        seen.sockets[socket.id] = socket

    @router.on("whoami")
    async def whoami(socket: Socket, handshake: Handshake, rooms: Rooms) -> dict[str, Any]:
        return {
            "id": socket.id,
            "rooms": sorted(rooms),
            "auth": dict(handshake.auth),
            "query": dict(handshake.query),
            "headers": dict(handshake.headers),
            "time": handshake.time,
            "issued": handshake.issued,
            "url": handshake.url,
            "address": handshake.address,
            "xdomain": handshake.xdomain,
            "secure": handshake.secure,
        }

    @router.on("join")
    async def join(rooms: list[str], socket: Socket) -> list[str]:
        await socket.join(rooms)
        return sorted(socket.rooms)

    @router.on("leave")
    async def leave(room: str, socket: Socket) -> list[str]:
        await socket.leave(room)
        return sorted(socket.rooms)

    @router.on("remember")
    async def remember_data(key: str, value: Any, socket: Socket) -> dict[str, Any]:
        socket.data[key] = value
        return socket.data

    @router.on("private message")
    async def private_message(to: str, msg: str, socket: Socket) -> None:
        await socket.to(to).emit("private message", socket.id, msg)

    app.include_router(router)
    return app, seen


async def test_id_is_the_client_visible_id_and_cannot_be_set(in_process: InProcess) -> None:
    app, seen = build_app()
    c = await in_process(app)
    sid = c.sid
    assert sid is not None and len(sid) == 20
    assert (await c.call("whoami"))["id"] == sid
    socket = seen.sockets[sid]
    assert socket.id == sid and socket.nsp == "/" and socket.connected
    with pytest.raises(AttributeError):
        socket.id = "x" * 20  # type: ignore[misc]


async def test_handshake_fields(served: Any) -> None:
    app, _ = build_app()
    url = await served(app)
    before = int(time.time() * 1000)
    raw = await RawClient.open(url, query="room=a&tag=x&tag=y", headers={"X-Custom": "yes"})
    await raw.connect(auth={"token": "abc"})
    await raw.send('421["whoami"]')
    reply = await raw.recv()
    assert isinstance(reply, str) and reply.startswith("431[")
    import json

    info = json.loads(reply[3:])[0]
    assert info["auth"] == {"token": "abc"}
    assert info["query"]["room"] == "a" and info["query"]["tag"] == ["x", "y"]
    assert info["query"]["EIO"] == "4" and info["query"]["transport"] == "websocket"
    assert info["headers"]["x-custom"] == "yes"
    assert info["headers"]["host"].startswith("127.0.0.1:")
    assert info["url"].startswith("/socket.io/?EIO=4&transport=websocket&room=a")
    assert info["address"] == "127.0.0.1"
    assert info["xdomain"] is False and info["secure"] is False
    assert before <= info["issued"] <= int(time.time() * 1000)
    assert info["time"].endswith("GMT+0000 (Coordinated Universal Time)")
    assert time.strftime("%Y", time.gmtime()) in info["time"]
    await raw.close()


async def test_handshake_is_immutable(in_process: InProcess) -> None:
    app, seen = build_app()
    c = await in_process(app, auth={"token": "t"})
    handshake = seen.sockets[str(c.sid)].handshake
    with pytest.raises(AttributeError):
        handshake.address = "10.0.0.1"  # type: ignore[misc]
    with pytest.raises(TypeError):
        handshake.auth["token"] = "changed"  # type: ignore[index]


async def test_xdomain_and_forwarded_address_only_from_trusted_proxies(served: Any) -> None:
    headers = {
        "Origin": "http://elsewhere.test",
        "X-Forwarded-For": "203.0.113.7, 10.0.0.1",
        "X-Forwarded-Proto": "https",
    }
    import json

    cases = (
        ([], "127.0.0.1", False),
        (["127.0.0.0/8"], "10.0.0.1", True),  # the nearest untrusted hop, not a spoofable one
        (["127.0.0.1", "10.0.0.0/8"], "203.0.113.7", True),
    )
    for trusted, address, secure in cases:
        app, _ = build_app(cors_allowed_origins="*", trusted_proxies=trusted)
        raw = await RawClient.open(await served(app), headers=headers)
        await raw.connect()
        await raw.send('421["whoami"]')
        info = json.loads(str(await raw.recv())[3:])[0]
        assert info["xdomain"] is True
        assert info["address"] == address
        assert info["secure"] is secure
        await raw.close()


async def test_rooms_include_own_id_and_follow_join_and_leave(in_process: InProcess) -> None:
    app, _ = build_app()
    c = await in_process(app)
    sid = c.sid
    assert await c.call("join", ["a", "b"]) == sorted([sid, "a", "b"])
    assert await c.call("leave", "a") == sorted([sid, "b"])


async def test_data_and_custom_attributes(in_process: InProcess) -> None:
    app, seen = build_app()
    c = await in_process(app)
    assert await c.call("remember", "score", 3) == {"score": 3}
    socket = seen.sockets[str(c.sid)]
    assert socket.data == {"score": 3}
    socket.user = {"name": "ann"}
    assert socket.user == {"name": "ann"}
    for owned in ("id", "handshake", "rooms", "data", "nsp", "connected", "emit", "join", "_id"):
        with pytest.raises(AttributeError, match="belongs to the framework"):
            setattr(socket, owned, None)


async def test_private_message_example(in_process: InProcess) -> None:
    app, _ = build_app()
    alice, bob = await in_process(app), await in_process(app)
    await alice.emit("private message", bob.sid, "hi bob")
    assert await bob.receive("private message") == [alice.sid, "hi bob"]
    await alice.call("whoami")  # anything sent to alice before this ack has arrived by now
    assert events(alice, "private message") == []


class Notice(BaseModel):
    text: str


async def test_targeting_chains(in_process: InProcess) -> None:
    app, seen = build_app()
    notices = Router(namespace="/")

    @notices.emits("notice")
    class Note(Notice):
        pass

    clients = [await in_process(app) for _ in range(4)]
    a, b, c, d = clients
    await a.call("join", ["red"])
    await b.call("join", ["red", "blue"])
    await c.call("join", ["blue"])
    sender = seen.sockets[str(a.sid)]

    async def received(emit: Any) -> list[int]:
        """Which clients got the ``t`` that ``emit`` sends: those that did before ``done``."""
        before = [len(events(each, "t")) for each in clients]
        await emit
        await app.emit("done")
        for each in clients:
            await each.receive("done")
        return [i for i, each in enumerate(clients) if len(events(each, "t")) > before[i]]

    assert await received(sender.to("red").emit("t")) == [1]  # sender excluded
    assert await received(sender.to("red").to("blue").except_("blue").emit("t")) == []
    assert await received(sender.to("red").to("blue").emit("t")) == [1, 2]
    assert await received(sender.broadcast.emit("t")) == [1, 2, 3]
    assert await received(sender.except_("blue").emit("t")) == [3]
    assert await received(app.to("red").emit("t")) == [0, 1]  # sender not excluded on app
    assert await received(app.of("/").in_(["red", "blue"]).except_("red").emit("t")) == [2]
    assert await received(app.except_(["red", "blue"]).emit("t")) == [3]
    assert await received(app.to(str(d.sid)).emit("t")) == [3]
    await sender.emit(Note(text="hello"))
    assert await a.receive("notice") == [{"text": "hello"}]
    with pytest.raises(ValueError, match="reserved"):
        await sender.emit("disconnect", "spoof")
    with pytest.raises(ValueError, match="reserved"):
        await app.emit("connect")
    with pytest.raises(TypeError, match="emits"):
        await sender.emit(Notice(text="undeclared"))


async def test_emit_with_ack_and_timeout(in_process: InProcess) -> None:
    app, seen = build_app()
    answering = await in_process(app)

    @answering.on("question")
    async def answer(x: int) -> int:
        return x * 10

    @answering.on("pair")
    async def pair() -> tuple[str, int]:
        return ("a", 1)

    socket = seen.sockets[str(answering.sid)]
    assert await socket.emit_with_ack("question", 4, timeout=2) == 40
    assert await socket.emit_with_ack("pair", timeout=2) == ("a", 1)

    # a client without a handler for the event never answers: the wait times out
    mute_client = await in_process(app)
    mute = seen.sockets[str(mute_client.sid)]
    async with asyncio.timeout(PATIENCE) as patience:
        with pytest.raises(TimeoutError):
            await mute.emit_with_ack("nothing-answers", timeout=0.3)
    assert not patience.expired()  # the handler's own timeout ended the wait

    result = await app.timeout(0.3).emit_with_ack("question", 2)
    assert isinstance(result, BroadcastAcks)
    assert result.responses == {answering.sid: 20}
    assert result.timed_out == [mute.id]


async def test_nested_bytes_travel_as_binary_attachments(in_process: InProcess) -> None:
    app, seen = build_app()
    c = await in_process(app)
    socket = seen.sockets[str(c.sid)]
    await socket.emit("blob", {"raw": b"\xff\x00", "parts": [b"ab", "text"]}, b"top")
    assert await c.receive("blob") == [{"raw": b"\xff\x00", "parts": [b"ab", "text"]}, b"top"]
