"""The server-side Socket: id, handshake, rooms, data, attributes, targeting, acks."""

from __future__ import annotations

import time
from typing import Any

import pytest
import socketio
from pydantic import BaseModel

from sioapp import BroadcastAcks, Handshake, Rooms, Router, SioApp, Socket

from .conftest import Connect, Inbox
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


async def test_id_is_the_client_visible_id_and_cannot_be_set(served: Any, client: Connect) -> None:
    app, seen = build_app()
    c = await client(await served(app))
    sid = c.get_sid()
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


async def test_handshake_is_immutable(served: Any, client: Connect) -> None:
    app, seen = build_app()
    c = await client(await served(app), auth={"token": "t"})
    handshake = seen.sockets[c.get_sid()].handshake  # type: ignore[index]
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


async def test_rooms_include_own_id_and_follow_join_and_leave(served: Any, client: Connect) -> None:
    app, _ = build_app()
    c = await client(await served(app))
    sid = c.get_sid()
    assert await c.call("join", ["a", "b"]) == sorted([sid, "a", "b"])
    assert await c.call("leave", "a") == sorted([sid, "b"])


async def test_data_and_custom_attributes(served: Any, client: Connect) -> None:
    app, seen = build_app()
    c = await client(await served(app))
    assert await c.call("remember", ("score", 3)) == {"score": 3}
    socket = seen.sockets[c.get_sid()]  # type: ignore[index]
    assert socket.data == {"score": 3}
    socket.user = {"name": "ann"}
    assert socket.user == {"name": "ann"}
    for owned in ("id", "handshake", "rooms", "data", "nsp", "connected", "emit", "join", "_id"):
        with pytest.raises(AttributeError, match="belongs to the framework"):
            setattr(socket, owned, None)


async def test_private_message_example(served: Any, client: Connect, inbox: type[Inbox]) -> None:
    app, _ = build_app()
    url = await served(app)
    alice, bob = await client(url), await client(url)
    box = inbox(bob, "private message")
    alice_box = inbox(alice, "private message")
    await alice.emit("private message", (bob.get_sid(), "hi bob"))
    assert await box.next("private message") == (alice.get_sid(), "hi bob")
    assert alice_box.empty("private message")


class Notice(BaseModel):
    text: str


async def test_targeting_chains(served: Any, client: Connect, inbox: type[Inbox]) -> None:
    app, seen = build_app()
    notices = Router(namespace="/")

    @notices.emits("notice")
    class Note(Notice):
        pass

    url = await served(app)
    clients = [await client(url) for _ in range(4)]
    boxes = [inbox(c, "t", "done", "notice") for c in clients]
    a, b, c, d = clients
    await a.call("join", ["red"])
    await b.call("join", ["red", "blue"])
    await c.call("join", ["blue"])
    sender = seen.sockets[a.get_sid()]  # type: ignore[index]

    async def received(emit: Any) -> list[int]:
        await emit
        await app.emit("done")
        got = []
        for index, box in enumerate(boxes):
            await box.next("done")
            if not box.empty("t"):
                await box.next("t")
                got.append(index)
        return got

    assert await received(sender.to("red").emit("t")) == [1]  # sender excluded
    assert await received(sender.to("red").to("blue").except_("blue").emit("t")) == []
    assert await received(sender.to("red").to("blue").emit("t")) == [1, 2]
    assert await received(sender.broadcast.emit("t")) == [1, 2, 3]
    assert await received(sender.except_("blue").emit("t")) == [3]
    assert await received(app.to("red").emit("t")) == [0, 1]  # sender not excluded on app
    assert await received(app.of("/").in_(["red", "blue"]).except_("red").emit("t")) == [2]
    assert await received(app.except_(["red", "blue"]).emit("t")) == [3]
    assert await received(app.to(d.get_sid()).emit("t")) == [3]  # type: ignore[arg-type]
    await sender.emit(Note(text="hello"))
    assert await boxes[0].next("notice") == ({"text": "hello"},)
    with pytest.raises(ValueError, match="reserved"):
        await sender.emit("disconnect", "spoof")
    with pytest.raises(ValueError, match="reserved"):
        await app.emit("connect")
    with pytest.raises(TypeError, match="emits"):
        await sender.emit(Notice(text="undeclared"))


async def test_emit_with_ack_and_timeout(served: Any, client: Connect) -> None:
    app, seen = build_app()
    url = await served(app)
    answering = socketio.AsyncClient(reconnection=False)

    @answering.on("question")
    async def answer(x: int) -> int:
        return x * 10

    @answering.on("pair")
    async def pair() -> tuple[str, int]:
        return ("a", 1)

    await client(url, client=answering)
    socket = seen.sockets[answering.get_sid()]  # type: ignore[index]
    assert await socket.emit_with_ack("question", 4, timeout=2) == 40
    assert await socket.emit_with_ack("pair", timeout=2) == ("a", 1)

    # python-socketio clients always ack; a raw client that never answers shows timeouts
    mute_client = await RawClient.open(url)
    mute = seen.sockets[await mute_client.connect()]
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await mute.emit_with_ack("nothing-answers", timeout=0.3)
    assert time.monotonic() - started < 2

    result = await app.timeout(0.5).emit_with_ack("question", 2)
    assert isinstance(result, BroadcastAcks)
    assert result.responses == {answering.get_sid(): 20}
    assert result.timed_out == [mute.id]
    await mute_client.close()


async def test_nested_bytes_travel_as_binary_attachments(
    served: Any, client: Connect, inbox: type[Inbox]
) -> None:
    app, seen = build_app()
    c = await client(await served(app))
    box = inbox(c, "blob")
    socket = seen.sockets[c.get_sid()]  # type: ignore[index]
    await socket.emit("blob", {"raw": b"\xff\x00", "parts": [b"ab", "text"]}, b"top")
    assert await box.next("blob") == ({"raw": b"\xff\x00", "parts": [b"ab", "text"]}, b"top")
