"""REST routes beside the realtime endpoint, in one ASGI app."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from pydantic import BaseModel

from sioapp import Router, SioApp, Socket

events: list[str] = []


# --8<-- [start:lifespan]
@asynccontextmanager
async def lifespan(api: FastAPI) -> AsyncIterator[None]:
    events.append("startup")  # open database pools, caches...
    yield
    events.append("shutdown")  # every client is already disconnected here


app = SioApp(title="Chat", version="1.0.0", lifespan=lifespan)
# --8<-- [end:lifespan]
chat = Router()


@chat.on("join")
async def join(room: str, socket: Socket) -> None:
    await socket.join(room)


app.include_router(chat)


# --8<-- [start:routes]
class Announcement(BaseModel):
    room: str
    text: str


@app.fastapi.get("/api/online")
async def online() -> list[str]:
    return sorted(socket.id for socket in await app.fetch_sockets())


@app.fastapi.post("/api/announce", status_code=202)
async def announce(announcement: Announcement) -> dict[str, int]:
    receivers = await app.in_(announcement.room).fetch_sockets()
    await app.to(announcement.room).emit("announcement", announcement.text)
    return {"receivers": len(receivers)}


# --8<-- [end:routes]
