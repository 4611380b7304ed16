"""Version 1.1.0: shorter room names, messages signed, and a level for each room."""

from typing import Literal

from pydantic import BaseModel, Field

from sioapp import Router, SioApp

app = SioApp(title="Chat", version="1.1.0")
chat = Router()


class Join(BaseModel):
    room: str = Field(max_length=32)
    level: Literal["public", "staff"] = "public"


@chat.emits("said")
class Said(BaseModel):
    """Someone said something in one of your rooms."""

    room: str
    text: str
    by: str


@chat.on("join")
async def join(req: Join) -> None:
    """Join a room, public or for staff."""


app.include_router(chat)
