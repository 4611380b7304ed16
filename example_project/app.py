"""The chat app: ``uvicorn example_project.app:app`` or ``sioapp run example_project.app:app``."""

from __future__ import annotations

from pathlib import Path

from dependency_injector.wiring import Provide, inject
from fastapi import Depends
from fastapi.responses import FileResponse

from example_project.chat import chat
from example_project.container import ChatContainer
from example_project.models import Login, Online, Token
from example_project.users import UserStore
from sioapp import SioApp

STATIC = Path(__file__).parent / "static"

app = SioApp(
    title="sioapp chat",
    version="1.0.0",
    description="Rooms, chat messages and private messages, with REST login and presence.",
    container=ChatContainer(),
)
app.include_router(chat)


@app.fastapi.get("/api/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.fastapi.post("/api/login")
@inject
async def login(body: Login, users: UserStore = Depends(Provide[ChatContainer.users])) -> Token:
    return Token(token=users.login(body.username))


@app.fastapi.get("/api/online")
async def online() -> list[Online]:
    """Every connected user, on every server."""
    return [
        Online(id=s.id, username=s.data.get("username", ""), rooms=sorted(s.rooms))
        for s in await app.fetch_sockets()
    ]


@app.fastapi.get("/", include_in_schema=False)
async def page() -> FileResponse:
    return FileResponse(STATIC / "index.html")
