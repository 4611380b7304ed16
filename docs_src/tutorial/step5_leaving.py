"""Chat, step 5: telling rooms who left."""

import logging

from pydantic import BaseModel, Field

from sioapp import ConnectionRefused, DisconnectReason, EventError, Router, SioApp, Socket

logger = logging.getLogger(__name__)

USERS = {"token-ann": "ann", "token-bob": "bob", "token-cy": "cy"}

app = SioApp(title="Chat")
chat = Router()


@app.use
async def authenticate(socket: Socket) -> None:
    name = USERS.get(str(socket.handshake.auth.get("token")))
    if name is None:
        raise ConnectionRefused("unknown user", data={"code": "unauthorized"})
    socket.data["name"] = name


@chat.on_connect
async def welcome(socket: Socket) -> None:
    await socket.emit("welcome", socket.data["name"])


class Join(BaseModel):
    room: str = Field(min_length=1, max_length=64)


class Joined(BaseModel):
    room: str
    members: list[str]


@chat.emits("user joined")
class UserJoined(BaseModel):
    room: str
    name: str


@chat.on("join")
async def join(req: Join, socket: Socket) -> Joined:
    """Join a room; everyone already in it hears about it."""
    await socket.join(req.room)
    await socket.to(req.room).emit(UserJoined(room=req.room, name=socket.data["name"]))
    members = await app.in_(req.room).fetch_sockets()
    return Joined(room=req.room, members=sorted(member.data["name"] for member in members))


class Say(BaseModel):
    room: str
    text: str = Field(min_length=1, max_length=500)


@chat.emits("chat message")
class ChatMessage(BaseModel):
    room: str
    name: str
    text: str


@chat.on("chat message")
async def chat_message(say: Say, socket: Socket) -> None:
    """Write to a room you joined; everyone in it, you included, receives the message."""
    if say.room not in socket.rooms:
        raise EventError("not_in_room", f"Join {say.room!r} before writing to it")
    message = ChatMessage(room=say.room, name=socket.data["name"], text=say.text)
    await app.to(say.room).emit(message)


class OnlineUser(BaseModel):
    id: str
    name: str


@chat.on("users")
async def users() -> list[OnlineUser]:
    """Everyone connected, with the id that private messages go to."""
    return [OnlineUser(id=s.id, name=s.data["name"]) for s in await app.fetch_sockets()]


chat.emits("private message", from_id=str, text=str)


@chat.on("private message")
async def private_message(to: str, text: str, socket: Socket) -> None:
    """Send `text` to the connected socket whose id is `to`; it receives your id and the text."""
    found = [s for s in await app.in_(to).fetch_sockets() if s.id == to]
    if not found:
        raise EventError("unknown_recipient", "No connected socket has that id")
    await found[0].emit("private message", socket.id, text)


# --8<-- [start:leaving]
@chat.emits("user left")
class UserLeft(BaseModel):
    room: str
    name: str
    reason: DisconnectReason


@chat.on_disconnecting
async def tell_rooms(socket: Socket, reason: DisconnectReason) -> None:
    """The socket is still in its rooms: tell each of them."""
    name = socket.data["name"]
    for room in socket.rooms - {socket.id}:
        await socket.to(room).emit(UserLeft(room=room, name=name, reason=reason))


@chat.on_disconnect
async def log_departure(socket: Socket, reason: DisconnectReason) -> None:
    """The socket has left every room by now."""
    logger.info("%s left (%s)", socket.data["name"], reason)


# --8<-- [end:leaving]
app.include_router(chat)
