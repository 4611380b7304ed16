"""The app the msgpack tests serve: typed handlers, binary, rooms, acks both ways."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from sioapp import (
    ConnectionRefused,
    ConnectionStateRecovery,
    DisconnectReason,
    Router,
    SioApp,
    Socket,
)
from sioapp._protocol.serializers import SerializerName


class Join(BaseModel):
    room: str = Field(min_length=1)


class Joined(BaseModel):
    room: str
    members: int


class Shout(BaseModel):
    room: str
    text: str
    blob: bytes


def create_app(
    *,
    redis_url: str | None = None,
    recovery: ConnectionStateRecovery | None = None,
    reasons: list[DisconnectReason] | None = None,
    serializer: SerializerName = "msgpack",
) -> SioApp:
    """A msgpack app (unless told otherwise); its sockets' disconnect reasons go to
    ``reasons``."""
    app = SioApp(
        serializer=serializer,
        redis_url=redis_url,
        connection_state_recovery=recovery,
        docs_url=None,
    )
    main, admin = Router(), Router(namespace="/admin")

    @app.use
    async def authenticate(socket: Socket) -> None:
        if socket.handshake.auth.get("token") == "nobody":
            raise ConnectionRefused("unknown user", data={"code": "unauthorized"})

    @main.on("auth")
    async def auth(socket: Socket) -> dict[str, Any]:
        return dict(socket.handshake.auth)

    @main.on("join")
    async def join(req: Join, socket: Socket) -> Joined:
        await socket.join(req.room)
        return Joined(room=req.room, members=len(await app.in_(req.room).fetch_sockets()))

    @main.on("types")
    async def types(*args: Any) -> list[str]:
        return [type(arg).__name__ for arg in args]

    @main.on("echo")
    async def echo(*args: Any) -> list[Any]:
        return list(args)

    @main.on("ask")
    async def ask(number: int, socket: Socket) -> Any:
        return await socket.emit_with_ack("question", number, timeout=5)

    @main.on("shout")
    async def shout(req: Shout) -> bool:
        await app.to(req.room).emit("news", {"text": req.text, "blob": req.blob})
        return True

    @main.on("say")
    async def say(room: str, text: str) -> bool:
        await app.to(room).emit("said", text)
        return True

    @main.on("leave me")
    async def leave_me(socket: Socket) -> None:
        await socket.disconnect()

    @main.on_disconnect
    async def left(reason: DisconnectReason) -> None:
        if reasons is not None:
            reasons.append(reason)

    @admin.on("where")
    async def where(socket: Socket) -> str:
        return socket.nsp

    app.include_router(main)
    app.include_router(admin)
    return app
