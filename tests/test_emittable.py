"""What the framework hands out can be sent back: handshake, data, rooms, tuples of acks."""

from __future__ import annotations

from typing import Any

import pytest
import socketio

from sioapp import Router, SioApp, Socket

from .conftest import Inbox, InProcess


def build_app() -> SioApp:
    app = SioApp()
    router = Router()

    @router.on_connect
    async def hand_back(socket: Socket) -> None:
        # What the official socket.io-protocol suite's reference server does on connect.
        await socket.emit("auth", socket.handshake.auth)
        await socket.emit("handshake", socket.handshake.query, socket.handshake.headers)
        await socket.emit("rooms", socket.rooms)

    @router.on("auth")
    async def auth(socket: Socket) -> Any:
        return socket.handshake.auth

    @router.on("typed auth")
    async def typed_auth(socket: Socket) -> dict[str, Any]:
        return dict(socket.handshake.auth)

    @router.on("rooms")
    async def rooms(socket: Socket) -> Any:
        await socket.join("lobby")
        return socket.rooms

    @router.on("everything")
    async def everything(socket: Socket, app: SioApp) -> Any:
        socket.data["seen"] = {"auth": socket.handshake.auth, "rooms": socket.rooms}
        [me] = [s for s in await app.fetch_sockets() if s.id == socket.id]
        return {"data": socket.data, "remote": me.to_dict(), "remote rooms": me.rooms}

    @router.on("bare tuple")
    async def bare_tuple(*args: Any) -> tuple:  # type: ignore[type-arg]
        return args

    @router.on("any tuple")
    async def any_tuple(*args: Any) -> tuple[Any, ...]:
        return args

    @router.on("pair")
    async def pair(number: int, text: str) -> tuple[int, str]:
        return number, text

    app.include_router(router)
    return app


async def test_handshake_and_rooms_can_be_emitted_on_connect(served: Any) -> None:
    url = await served(build_app())
    client = socketio.AsyncClient(reconnection=False)
    inbox = Inbox(client, "auth", "handshake", "rooms")
    await client.connect(
        url + "/?room=a&room=b", auth={"token": "t"}, transports=["websocket"], wait_timeout=5
    )
    try:
        assert await inbox.next("auth") == ({"token": "t"},)
        query, headers = await inbox.next("handshake")
        assert query["room"] == ["a", "b"] and query["EIO"] == "4"
        assert headers["host"] == url.removeprefix("http://")
        assert await inbox.next("rooms") == ([client.get_sid()],)
    finally:
        await client.disconnect()


async def test_read_only_values_are_acked(in_process: InProcess) -> None:
    c = await in_process(build_app(), auth={"token": "t"})
    sid = c.sid
    assert await c.call("auth") == {"token": "t"}
    assert await c.call("typed auth") == {"token": "t"}
    assert await c.call("rooms") == sorted([sid, "lobby"])
    everything = await c.call("everything")
    seen = {"auth": {"token": "t"}, "rooms": sorted([sid, "lobby"])}
    assert everything["data"] == {"seen": seen}
    assert everything["remote"]["data"] == {"seen": seen}
    assert everything["remote"]["handshake"]["auth"] == {"token": "t"}
    assert everything["remote rooms"] == sorted([sid, "lobby"])


@pytest.mark.parametrize("event", ["bare tuple", "any tuple"])
async def test_a_returned_tuple_acks_several_arguments(in_process: InProcess, event: str) -> None:
    c = await in_process(build_app())
    assert await c.call(event, 1, "2", [3], {"4": 5}) == (1, "2", [3], {"4": 5})


async def test_a_typed_tuple_acks_several_validated_arguments(in_process: InProcess) -> None:
    c = await in_process(build_app())
    assert await c.call("pair", 7, "seven") == (7, "seven")
