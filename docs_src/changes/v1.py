"""Version 1.0.0 of a chat's events."""

from pydantic import BaseModel, Field

from sioapp import Router, SioApp

app = SioApp(title="Chat", version="1.0.0")
chat = Router()


class Join(BaseModel):
    room: str = Field(max_length=64)


@chat.emits("said")
class Said(BaseModel):
    """Someone said something in one of your rooms."""

    room: str
    text: str


@chat.on("join")
async def join(req: Join) -> None:
    """Join a room."""


app.include_router(chat)
