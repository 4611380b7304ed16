from pydantic import BaseModel, Field

from sioapp import Router, SioApp, Socket

app = SioApp(title="Chat")
chat = Router()


class Join(BaseModel):
    room: str = Field(min_length=1, max_length=64)


class Joined(BaseModel):
    room: str
    members: int


@chat.on("join")
async def join(req: Join, socket: Socket) -> Joined:
    await socket.join(req.room)
    members = await app.in_(req.room).fetch_sockets()
    return Joined(room=req.room, members=len(members))


@chat.on("private message")
async def private_message(to: str, msg: str, socket: Socket) -> None:
    await socket.to(to).emit("private message", socket.id, msg)


app.include_router(chat)


@app.fastapi.get("/api/online")
async def online() -> int:
    return len(await app.fetch_sockets())
