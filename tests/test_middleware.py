"""Connection middleware (app.use / router.use) and packet middleware (socket.use / use_packets)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from sioapp import ConnectionRefused, EventError, Router, SioApp, Socket

from .conftest import InProcess, events
from .raw import RawClient

Next = Callable[[], Awaitable[None]]


def build_app() -> tuple[SioApp, list[str]]:
    app = SioApp()
    router = Router()
    admin = Router(namespace="/admin")
    calls: list[str] = []

    @app.use
    async def authenticate(socket: Socket) -> None:
        calls.append(f"app.use {socket.nsp}")
        token = socket.handshake.auth.get("token")
        if token == "crash":
            raise RuntimeError("database down")
        if token != "secret":
            raise ConnectionRefused("unknown user", data={"code": "unauthorized"})
        socket.user = "ann"
        socket.data["username"] = "ann"

    @admin.use
    async def admins_only(socket: Socket) -> None:
        calls.append("admin.use")
        if socket.handshake.auth.get("role") != "admin":
            raise ConnectionRefused("admins only")

    @router.on_connect
    async def welcome(socket: Socket) -> None:
        calls.append("on_connect")
        await socket.emit("welcome", socket.user)

        async def count_packets(socket: Socket, event: str, args: list[Any], next: Next) -> None:
            calls.append(f"socket.use {event}")
            if event == "shout":
                args[0] = str(args[0]).upper()
            await next()

        socket.use(count_packets)

    @router.use_packets
    async def block_forbidden(socket: Socket, event: str, args: list[Any], next: Next) -> None:
        calls.append(f"use_packets {event}")
        if event == "forbidden":
            raise EventError("forbidden", "Not allowed")
        if event == "dropped":
            return
        await next()

    @router.on("shout")
    async def shout(text: str, socket: Socket) -> str:
        return f"{socket.user}: {text}"

    @router.on("forbidden")
    async def forbidden() -> str:
        calls.append("forbidden handler ran")
        return "never"

    @router.on_error
    async def on_error(exc: EventError) -> None:
        calls.append(f"error {exc.code}")

    @admin.on("ping")
    async def ping() -> str:
        return "pong"

    app.include_router(router)
    app.include_router(admin)
    return app, calls


async def test_middleware_runs_before_connect_and_may_set_attributes(served: Any) -> None:
    app, calls = build_app()
    raw = await RawClient.open(await served(app))
    await raw.send('40{"token":"secret"}')
    # CONNECT reaches the client before anything on_connect emits, as in Node
    connect = await raw.recv()
    assert isinstance(connect, str) and connect.startswith('40{"sid":')
    assert await raw.recv() == '42["welcome","ann"]'
    assert calls[:2] == ["app.use /", "on_connect"]
    await raw.close()


async def test_refusal_reaches_the_client_as_connect_error(served: Any) -> None:
    app, calls = build_app()
    url = await served(app)
    raw = await RawClient.open(url)
    await raw.send('40{"token":"wrong"}')
    assert json.loads(str(await raw.recv())[2:]) == {
        "message": "unknown user",
        "data": {"code": "unauthorized"},
    }
    await raw.send('40{"token":"crash"}')
    assert json.loads(str(await raw.recv())[2:]) == {"message": "Internal error"}
    assert "on_connect" not in calls
    assert not app.server.sockets
    # the refused connection may still connect properly
    sid = await raw.connect(auth={"token": "secret"})
    assert sid in app.server.sockets
    await raw.close()


async def test_router_middleware_only_for_its_namespace_and_after_app_middleware(
    served: Any,
) -> None:
    app, calls = build_app()
    raw = await RawClient.open(await served(app))
    await raw.send('40/admin,{"token":"secret"}')
    assert json.loads(str(await raw.recv())[len("44/admin,") :]) == {"message": "admins only"}
    assert calls == ["app.use /admin", "admin.use"]
    await raw.connect("/admin", auth={"token": "secret", "role": "admin"})
    await raw.send('42/admin,1["ping"]')
    assert await raw.recv() == '43/admin,1["pong"]'
    await raw.close()


async def test_packet_middleware_continues_stops_and_drops(in_process: InProcess) -> None:
    app, calls = build_app()
    c = await in_process(app, auth={"token": "secret"})
    assert await c.call("shout", "hi") == "ann: HI"  # socket.use mutated the arguments
    assert calls[-2:] == ["use_packets shout", "socket.use shout"]

    reply = await c.call("forbidden")
    assert reply == {"error": {"code": "forbidden", "message": "Not allowed", "details": []}}
    assert "forbidden handler ran" not in calls
    assert calls[-1] == "error forbidden"
    assert "socket.use forbidden" not in calls  # stopped before the next middleware

    await c.emit("dropped")
    assert await c.call("shout", "still here") == "ann: STILL HERE"
    assert "use_packets dropped" in calls
    assert events(c, "exception") == []  # dropped quietly, with no error
