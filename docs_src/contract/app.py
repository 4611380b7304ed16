"""An app whose events document themselves."""

from pydantic import BaseModel, Field

from sioapp import Router, SioApp, Socket

app = SioApp(
    title="Chat",
    version="1.0.0",
    description="Rooms and messages.",
    servers={"production": "https://chat.example.com"},
)
chat = Router(tags=["chat"])


class Join(BaseModel):
    room: str = Field(min_length=1, max_length=64, description="The room's name.")


class Joined(BaseModel):
    room: str
    members: int


@chat.emits("user joined")
class UserJoined(BaseModel):
    """Someone joined a room you are in."""

    room: str
    name: str


chat.emits("user left", str)
chat.emits("private message", from_id=str, text=str)


@chat.on("join")
async def join(req: Join, socket: Socket) -> Joined:
    """Join a room.

    Everyone already in the room receives `user joined`.
    """
    await socket.join(req.room)
    await socket.to(req.room).emit(UserJoined(room=req.room, name=socket.id))
    return Joined(room=req.room, members=len(await app.in_(req.room).fetch_sockets()))


@chat.on("add")
async def add(a: int, b: int = 0) -> int:
    """Add two numbers."""
    return a + b


app.include_router(chat)
