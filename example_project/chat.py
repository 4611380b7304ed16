"""The chat's Socket.IO events on the main namespace.

Clients connect with ``auth: {"token": ...}``, the token from ``POST /api/login``.
A token that is missing, empty, not a string, unknown or expired is refused with
``connect_error`` "unknown user" (``{"code": "unauthorized"}``). Any other key in
``auth`` is bad input, refused as "Invalid auth" (``validation_error``), as every
malformed payload is.
"""

from __future__ import annotations

from dependency_injector.wiring import Provide
from pydantic import BaseModel

from example_project.container import ChatContainer
from example_project.models import Auth, ChatMessage, Join, Joined, Leave, Left, Online, Sent
from example_project.users import UserStore
from sioapp import ConnectionRefused, DisconnectReason, EventError, Router, SioApp, Socket

chat = Router()
chat.emits("user has left", str)
chat.emits("private message", from_id=str, text=str)


@chat.emits("user has joined")
class UserJoined(BaseModel):
    """Sent to a room when someone joins it."""

    room: str
    username: str


@chat.emits("chat message")
class Message(BaseModel):
    """A message said in a room, sent to everyone in it, the sender included."""

    room: str
    username: str
    text: str


@chat.use
async def authenticate(
    auth: Auth, socket: Socket, users: UserStore = Provide[ChatContainer.users]
) -> None:
    """Only users who logged in over REST may connect; their name goes into ``socket.data``."""
    user = users.by_token(auth.token)
    if user is None:
        raise ConnectionRefused("unknown user", data={"code": "unauthorized"})
    socket.user = user
    socket.data["username"] = user.username


@chat.on("whoami")
async def whoami(socket: Socket) -> Online:
    """Who this socket is, and the rooms it is in."""
    return Online(id=socket.id, username=socket.data["username"], rooms=sorted(socket.rooms))


@chat.on("join")
async def join(req: Join, socket: Socket, app: SioApp) -> Joined:
    """Join a room; the others in it hear about it. ``members`` counts every server.

    Past the app's ``max_rooms_per_socket`` the error is ``too_many_rooms``; another
    socket's id is no room to join (``forbidden_room``).
    """
    await socket.join(req.room)
    await socket.to(req.room).emit(UserJoined(room=req.room, username=socket.data["username"]))
    members = await app.in_(req.room).fetch_sockets()
    return Joined(room=req.room, members=len(members))


@chat.on("leave")
async def leave(req: Leave, socket: Socket) -> Left:
    """Leave a room."""
    await socket.leave(req.room)
    return Left(room=req.room)


@chat.on("chat message")
async def chat_message(msg: ChatMessage, socket: Socket, app: SioApp) -> Sent:
    """Say something in a room you are in; everyone there gets it, you included."""
    if msg.room not in socket.rooms:
        raise EventError("not_in_room", f"Join {msg.room!r} before writing to it")
    await app.to(msg.room).emit(
        Message(room=msg.room, username=socket.data["username"], text=msg.text)
    )
    return Sent()


@chat.on("private message")
async def private_message(to: str, text: str, socket: Socket, app: SioApp) -> None:
    """Send ``text`` to the connected socket whose id is ``to``, never to a room.

    The recipient receives ``private message`` with ``(from_id, text)``.
    """
    found = [s for s in await app.in_(to).fetch_sockets() if s.id == to]
    if not found:
        raise EventError("unknown_recipient", "No connected socket has that id")
    await found[0].emit("private message", socket.id, text)


@chat.on_disconnecting
async def announce_departure(socket: Socket, reason: DisconnectReason) -> None:
    """Tell every room this socket was in that it has gone: its id, as a plain string."""
    for room in socket.rooms - {socket.id}:
        await socket.to(room).emit("user has left", socket.id)
