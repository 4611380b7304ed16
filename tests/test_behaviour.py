"""The same behaviour in process and for real: each test runs through `sioapp.testing.TestClient`
and through python-socketio's AsyncClient against uvicorn, its WebSockets served as ``sioapp run``
serves them and through plain ASGI (the ``reach`` fixture)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import pytest
from dependency_injector import providers
from dependency_injector.wiring import Provide
from pydantic import BaseModel, Field

from sioapp import ConnectionRefused, Container, DisconnectReason, Router, SioApp, Socket

from .harness import Harness


@pytest.fixture(params=["in-process", "uvicorn", "uvicorn-asgi"])
def reach(request: pytest.FixtureRequest) -> str:
    """How the test reaches the app: in process, or a real server whose WebSockets are
    served as `sioapp run` serves them, or through plain ASGI."""
    return str(request.param)


@pytest.fixture
async def harness(reach: str) -> AsyncIterator[Harness]:
    async with AsyncExitStack() as servers, AsyncExitStack() as clients:
        yield Harness(reach != "in-process", servers, clients, asgi=reach == "uvicorn-asgi")


class Journal:
    """What the server saw: each socket's disconnect reason, and the resource's life."""

    def __init__(self) -> None:
        self.reasons: dict[str, DisconnectReason] = {}
        self.resource: list[str] = []
        self._left = asyncio.Condition()

    async def left(self, socket: Socket, reason: DisconnectReason) -> None:
        async with self._left:
            self.reasons[socket.id] = reason
            self._left.notify_all()

    async def reason_of(self, sid: str | None) -> DisconnectReason:
        async with asyncio.timeout(5), self._left:
            await self._left.wait_for(lambda: sid in self.reasons)
            return self.reasons[sid]


class Join(BaseModel):
    room: str = Field(min_length=1, max_length=64)


class Joined(BaseModel):
    room: str
    members: int


def build_app() -> tuple[SioApp, Journal]:
    journal = Journal()

    async def resource() -> AsyncIterator[str]:
        journal.resource.append("started")
        yield "database"
        journal.resource.append("stopped")

    class AppContainer(Container):
        greeting = providers.Object("hello")
        database = providers.Resource(resource)

    app = SioApp(container=AppContainer())
    chat = Router()
    admin = Router(namespace="/admin")

    @app.use
    async def authenticate(socket: Socket) -> None:
        token = socket.handshake.auth.get("token")
        if token is None:
            raise ConnectionRefused("unknown user", data={"code": "unauthorized"})
        socket.data["name"] = token

    @chat.on("join")
    async def join(req: Join, socket: Socket) -> Joined:
        await socket.join(req.room)
        return Joined(room=req.room, members=len(await app.in_(req.room).fetch_sockets()))

    @chat.on("chat message")
    async def chat_message(room: str, text: str, socket: Socket) -> None:
        message = {"room": room, "username": socket.data["name"], "text": text}
        await socket.to(room).emit("chat message", message)

    @chat.on("divide")
    async def divide(a: int, b: int) -> tuple[int, int]:
        return a // b, a % b

    @chat.on("reverse")
    async def reverse(data: bytes, socket: Socket) -> dict[str, Any]:
        await socket.emit("reversed", {"data": data[::-1], "size": len(data)})
        return {"data": data[::-1]}

    @chat.on("ask")
    async def ask(question: str, socket: Socket) -> Any:
        return await socket.emit_with_ack("question", question, timeout=5)

    @chat.on("kick me")
    async def kick_me(socket: Socket) -> None:
        await socket.disconnect()

    @chat.on("greet")
    async def greet(name: str, greeting: str = Provide[AppContainer.greeting]) -> str:
        return f"{greeting}, {name}"

    @chat.on("database")
    async def database(db: str = Provide[AppContainer.database]) -> str:
        return db

    @chat.on("whoami")
    async def whoami(socket: Socket) -> dict[str, Any]:
        return {"id": socket.id, "name": socket.data["name"], "address": socket.handshake.address}

    @admin.on("whoami")
    async def admin_whoami(socket: Socket) -> str:
        return f"{socket.nsp}:{socket.data['name']}"

    chat.on_disconnect(journal.left)
    admin.on_disconnect(journal.left)
    app.include_router(chat)
    app.include_router(admin)
    return app, journal


async def test_connecting_hands_over_the_auth(harness: Harness) -> None:
    app, _ = build_app()
    ann = await harness.connect(app, auth={"token": "ann"})
    assert await ann.call("whoami") == {"id": ann.sid, "name": "ann", "address": "127.0.0.1"}


async def test_a_refusal_carries_its_message_and_data(harness: Harness) -> None:
    app, _ = build_app()
    with pytest.raises(ConnectionRefused) as refused:
        await harness.connect(app, auth={})
    assert (refused.value.message, refused.value.data) == ("unknown user", {"code": "unauthorized"})


async def test_namespaces(harness: Harness) -> None:
    app, _ = build_app()
    ann = await harness.connect(app, namespace="/admin", auth={"token": "ann"})
    assert await ann.call("whoami") == "/admin:ann"
    with pytest.raises(ConnectionRefused, match="Invalid namespace"):
        await harness.connect(app, namespace="/nowhere", auth={"token": "ann"})


async def test_invalid_payloads_get_the_error_object(harness: Harness) -> None:
    app, _ = build_app()
    ann = await harness.connect(app, auth={"token": "ann"})
    error = {
        "error": {
            "code": "validation_error",
            "message": "Invalid event payload",
            "details": [
                {"loc": ["req", "room"], "msg": "Field required", "type": "missing"},
            ],
        }
    }
    assert await ann.call("join", {}) == error

    await ann.emit("join", {})  # no ack asked for: the error comes as an "exception" event
    assert await ann.receive("exception") == [{"event": "join", **error}]


async def test_acks_with_several_arguments(harness: Harness) -> None:
    app, _ = build_app()
    ann = await harness.connect(app, auth={"token": "ann"})
    assert await ann.call("divide", 17, 5) == (3, 2)


async def test_rooms_and_broadcasts_between_two_clients(harness: Harness) -> None:
    app, _ = build_app()
    alice = await harness.connect(app, auth={"token": "alice"})
    bob = await harness.connect(app, auth={"token": "bob"})
    assert await alice.call("join", {"room": "lobby"}) == {"room": "lobby", "members": 1}
    assert await bob.call("join", {"room": "lobby"}) == {"room": "lobby", "members": 2}

    await alice.emit("chat message", "lobby", "hi")

    message = {"room": "lobby", "username": "alice", "text": "hi"}
    assert await bob.receive("chat message", timeout=5) == [message]
    await alice.call("whoami")  # anything sent to alice before this ack has arrived by now
    assert [item.event for item in alice.received] == []


async def test_binary_attachments_both_ways(harness: Harness) -> None:
    app, _ = build_app()
    ann = await harness.connect(app, auth={"token": "ann"})
    assert await ann.call("reverse", b"\x00\x01\xff") == {"data": b"\xff\x01\x00"}
    assert await ann.receive("reversed") == [{"data": b"\xff\x01\x00", "size": 3}]


async def test_the_client_answers_the_servers_acks(harness: Harness) -> None:
    app, _ = build_app()
    ann = await harness.connect(app, auth={"token": "ann"})
    ann.on("question", lambda question: question.upper())
    assert await ann.call("ask", "ready?") == "READY?"


async def test_a_server_side_disconnect_and_its_reasons(harness: Harness) -> None:
    app, journal = build_app()
    ann = await harness.connect(app, auth={"token": "ann"})

    await ann.emit("kick me")

    assert await journal.reason_of(ann.sid) == "server namespace disconnect"
    assert await ann.wait_disconnected() == "io server disconnect"
    assert ann.disconnected


async def test_a_client_side_disconnect_and_the_servers_reason(harness: Harness) -> None:
    app, journal = build_app()
    ann = await harness.connect(app, auth={"token": "ann"})
    await ann.disconnect()
    assert await journal.reason_of(ann.sid) == "client namespace disconnect"


async def test_a_container_override_reaches_the_handlers(harness: Harness) -> None:
    app, _ = build_app()
    ann = await harness.connect(app, auth={"token": "ann"})
    assert await ann.call("greet", "ann") == "hello, ann"
    with app.container.greeting.override("howdy"):
        assert await ann.call("greet", "ann") == "howdy, ann"


async def test_the_lifespan_runs_the_resources_and_ends_the_connections(
    harness: Harness,
) -> None:
    app, journal = build_app()
    ann = await harness.connect(app, auth={"token": "ann"})
    assert journal.resource == ["started"]
    assert await ann.call("database") == "database"

    await harness.stop(app)

    assert journal.resource == ["started", "stopped"]
    assert journal.reasons == {ann.sid: "server shutting down"}
    await ann.wait_disconnected()  # python-socketio does not say "transport close" as Node does
