"""What the server tells its observers, the seam of the Admin UI, metrics and tracing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from pydantic import BaseModel

from sioapp import ConnectionRefused, DisconnectReason, EventError, Router, SioApp, Socket
from sioapp._protocol.observers import Finish, Observer, Sent
from sioapp.testing import TestClient


class Recorder(Observer):
    """Writes down everything it hears, in order."""

    def __init__(self) -> None:
        self.heard: list[tuple[Any, ...]] = []

    def connecting(self, socket: Socket) -> Finish:
        self.heard.append(("connecting", socket.nsp))
        return lambda outcome, error: self.heard.append(("connected?", outcome))

    def socket_connected(self, socket: Socket) -> None:
        self.heard.append(("connected", socket.id))

    def socket_disconnected(self, socket: Socket, reason: DisconnectReason) -> None:
        self.heard.append(("disconnected", socket.id, reason))

    def room_joined(self, namespace: str, room: str, sid: str) -> None:
        self.heard.append(("joined", room, sid))

    def room_left(self, namespace: str, room: str, sid: str) -> None:
        self.heard.append(("left", room, sid))

    def event_received(self, socket: Socket, event: str, args: Sequence[Any]) -> Finish:
        self.heard.append(("received", event, list(args)))

        def finish(outcome: str, error: BaseException | None) -> None:
            self.heard.append(("handled", event, outcome, type(error).__name__))

        return finish

    def emitting(self, namespace: str, data: Sequence[Any]) -> Sent:
        self.heard.append(("emitting", list(data)))
        return lambda sids: self.heard.append(("sent", data[0], sorted(sids)))


class Room(BaseModel):
    name: str


def build() -> tuple[SioApp, Recorder]:
    app = SioApp()
    router = Router()
    recorder = Recorder()
    app.observers.add(recorder)

    @app.use
    async def only_friends(socket: Socket) -> None:
        if socket.handshake.auth.get("friend") is not True:
            raise ConnectionRefused("friends only")

    @router.on("join")
    async def join(room: Room, socket: Socket) -> None:
        await socket.join(room.name)
        await socket.leave(room.name)
        await socket.join(room.name)
        await app.to(room.name).emit("joined", socket.id)

    @router.on("hello")
    async def hello(socket: Socket) -> None:
        await socket.emit("hi")

    @router.on("fail")
    async def fail() -> None:
        raise EventError("nope", "Not today")

    @router.on("crash")
    async def crash() -> None:
        raise RuntimeError("boom")

    app.include_router(router)
    return app, recorder


async def test_observers_hear_a_socket_from_connect_to_disconnect() -> None:
    app, recorder = build()
    async with TestClient(app, auth={"friend": True}) as client:
        sid = client.sid
        await client.call("join", {"name": "lobby"})
        await client.call("hello")
    await client.wait_disconnected()
    assert recorder.heard == [
        ("connecting", "/"),
        ("joined", sid, sid),
        ("connected", sid),
        ("connected?", "ok"),
        ("received", "join", [{"name": "lobby"}]),
        ("joined", "lobby", sid),
        ("left", "lobby", sid),
        ("joined", "lobby", sid),
        ("emitting", ["joined", sid]),
        ("sent", "joined", [sid]),
        ("handled", "join", "ok", "NoneType"),
        ("received", "hello", []),
        ("emitting", ["hi"]),
        ("sent", "hi", [sid]),
        ("handled", "hello", "ok", "NoneType"),
        ("left", "lobby", sid),
        ("left", sid, sid),
        ("disconnected", sid, DisconnectReason.CLIENT_NAMESPACE_DISCONNECT),
    ]


async def test_observers_hear_outcomes_and_refusals() -> None:
    app, recorder = build()
    async with TestClient(app, auth={"friend": True}) as client:
        await client.call("fail")
        await client.call("crash")
        await client.call("join", {"name": 3})
        await client.call("unknown")
    handled = [entry[1:] for entry in recorder.heard if entry[0] == "handled"]
    assert handled == [
        ("fail", "nope", "EventError"),
        ("crash", "internal_error", "RuntimeError"),
        ("join", "validation_error", "PayloadValidationError"),
        ("unknown", "unknown_event", "EventError"),
    ]
    recorder.heard.clear()
    with pytest.raises(ConnectionRefused, match="friends only"):
        async with TestClient(app, auth={"friend": False}):
            pass
    assert recorder.heard == [("connecting", "/"), ("connected?", "refused")]


async def test_a_failing_observer_is_logged_and_the_others_still_hear(caplog: Any) -> None:
    app, recorder = build()

    class Broken(Observer):
        def socket_connected(self, socket: Socket) -> None:
            raise RuntimeError("observer bug")

    app.observers.add(Broken())
    app.observers.remove(recorder)
    app.observers.add(recorder)
    async with TestClient(app, auth={"friend": True}) as client:
        assert await client.call("fail") == {
            "error": {"code": "nope", "message": "Not today", "details": []}
        }
    assert ("connected", client.sid) in recorder.heard
    assert "Broken.socket_connected failed" in caplog.text
