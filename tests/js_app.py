"""The app the socket.io-client interop scripts in ``tests/js/`` talk to.

Each call to :func:`create_app` builds a fresh app and the records the tests
read: connected socket ids, notes received without an ack, disconnect reasons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from sioapp import ConnectionRefused, DisconnectReason, Router, SioApp, Socket

#: Tokens the auth middleware accepts, and the user each one stands for.
USERS = {"alice-token": "alice", "bob-token": "bob", "carol-token": "carol"}


class Join(BaseModel):
    room: str = Field(min_length=1, max_length=64)


class Joined(BaseModel):
    room: str
    members: int
    user: str


@dataclass
class JsApp:
    """A served app plus what its handlers recorded."""

    app: SioApp
    connected: list[str] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)
    disconnects: list[tuple[str, DisconnectReason]] = field(default_factory=list)

    def reasons_of(self, sid: str) -> list[DisconnectReason]:
        """The disconnect reasons recorded for socket ``sid``."""
        return [reason for recorded, reason in self.disconnects if recorded == sid]


def create_app() -> JsApp:
    """A fresh app with auth, typed events, rooms, broadcasts and disconnect records."""
    app = SioApp(title="JS interop")
    state = JsApp(app)
    router = Router()

    @app.use
    async def authenticate(socket: Socket) -> None:
        user = USERS.get(str(socket.handshake.auth.get("token")))
        if user is None:
            raise ConnectionRefused("unknown user", data={"code": "unauthorized"})
        socket.user = user
        socket.data["user"] = user

    @router.on_connect
    async def welcome(socket: Socket) -> None:
        state.connected.append(socket.id)
        await socket.emit("welcome", {"id": socket.id, "user": socket.user})

    @router.on("join")
    async def join(req: Join, socket: Socket) -> Joined:
        """Join a room; the ack tells how many sockets are in it."""
        await socket.join(req.room)
        members = await app.in_(req.room).fetch_sockets()
        return Joined(room=req.room, members=len(members), user=socket.user)

    @router.on("private message")
    async def private_message(to: str, msg: str, socket: Socket) -> None:
        await socket.to(to).emit("private message", socket.id, msg)

    @router.on("note")
    async def note(text: str, socket: Socket) -> None:
        state.notes.append((socket.id, text))

    @router.on("whoami")
    async def whoami(socket: Socket) -> dict[str, Any]:
        handshake = socket.handshake
        return {
            "id": socket.id,
            "user": socket.user,
            "data": socket.data,
            "rooms": sorted(socket.rooms),
            "handshake": {
                "auth": dict(handshake.auth),
                "query": dict(handshake.query),
                "headers": dict(handshake.headers),
                "address": handshake.address,
                "url": handshake.url,
                "xdomain": handshake.xdomain,
                "secure": handshake.secure,
                "issued": handshake.issued,
                "time": handshake.time,
            },
        }

    @router.on("announce")
    async def announce(text: str, room: str | None = None) -> bool:
        """Broadcast ``text`` from the server to everyone, or to one room."""
        if room is None:
            await app.emit("announcement", text)
        else:
            await app.to(room).emit("announcement", text, room)
        return True

    @router.on("relay")
    async def relay(room: str, text: str, socket: Socket) -> None:
        """Send ``text`` to the other sockets in ``room``."""
        await socket.to(room).emit("relayed", socket.user, text)

    @router.on("ask")
    async def ask(number: int, socket: Socket) -> Any:
        """Ask the client a question and ack with its answer."""
        return await socket.emit_with_ack("question", number, timeout=5)

    @router.on("kick me")
    async def kick_me(socket: Socket) -> None:
        await socket.disconnect()

    @router.on_disconnect
    async def record(socket: Socket, reason: DisconnectReason) -> None:
        state.disconnects.append((socket.id, reason))

    app.include_router(router)
    return state


def served_app() -> SioApp:
    """A fresh app, for servers that take a factory: ``module:served_app``."""
    return create_app().app
