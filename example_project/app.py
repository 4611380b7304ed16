"""The chat app: ``uvicorn example_project.app:app`` or ``sioapp run example_project.app:app``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from dependency_injector.wiring import Provide, inject
from fastapi import Depends, HTTPException, status
from fastapi.responses import FileResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from example_project.chat import chat
from example_project.container import ChatContainer
from example_project.models import Login, Online, Token
from example_project.users import User, UserStore
from sioapp import SioApp

STATIC = Path(__file__).parent / "static"

app = SioApp(
    title="sioapp chat",
    version="1.0.0",
    description="Rooms, chat messages and private messages, with REST login and presence.",
    container=ChatContainer(),
    max_rooms_per_socket=50,
)
app.include_router(chat)

bearer = HTTPBearer(auto_error=False)


@inject
async def logged_in(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    users: UserStore = Depends(Provide[ChatContainer.users]),
) -> User:
    """The user of the request's ``Authorization: Bearer <token>``; 401 without one."""
    user = users.by_token(credentials.credentials if credentials else None)
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "Log in first, then send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


@app.fastapi.get("/api/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.fastapi.post("/api/login")
@inject
async def login(body: Login, users: UserStore = Depends(Provide[ChatContainer.users])) -> Token:
    """A token for ``username``, usable for a day, over Socket.IO and as a Bearer token.

    There is no password: anyone may take any name. That is fine for a demo, not for a
    real chat, which checks who the user is here.
    """
    return Token(token=users.login(body.username))


@app.fastapi.get("/api/online", dependencies=[Depends(logged_in)])
async def online() -> list[Online]:
    """Every connected user, on every server; for logged-in users only."""
    return [
        Online(id=s.id, username=s.data.get("username", ""), rooms=sorted(s.rooms))
        for s in await app.fetch_sockets()
    ]


@app.fastapi.get("/", include_in_schema=False)
async def page() -> FileResponse:
    return FileResponse(STATIC / "index.html")
