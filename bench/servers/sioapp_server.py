"""sioapp: the same handlers, declared with pydantic models."""

from __future__ import annotations

from pydantic import BaseModel

from bench.servers.uvicorn_main import serve
from sioapp import Router, SioApp, Socket

router = Router()


class Echo(BaseModel):
    text: str
    seq: int
    tags: list[str]


class Join(BaseModel):
    room: str


@router.emits("news")
class News(BaseModel):
    text: str
    seq: int
    sent: float


class Broadcast(BaseModel):
    room: str
    news: News


@router.on("echo")
async def echo(msg: Echo) -> Echo:
    """Return the validated message as the ack."""
    return msg


@router.on("join")
async def join(msg: Join, socket: Socket) -> bool:
    """Join the room the message names."""
    await socket.join(msg.room)
    return True


@router.on("broadcast")
async def broadcast(msg: Broadcast) -> bool:
    """Send the news to every member of the room; ack once queued."""
    await app.to(msg.room).emit(msg.news)
    return True


app = SioApp(title="sioapp benchmark")
app.include_router(router)

if __name__ == "__main__":
    serve(app)
