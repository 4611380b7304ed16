"""The payloads of the chat's REST routes and events."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, JsonValue

RoomName = Annotated[str, Field(min_length=1, max_length=64)]


class Login(BaseModel):
    username: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")


class Token(BaseModel):
    token: str


class Auth(BaseModel):
    """The ``auth`` a client connects with: ``{"token": ...}`` from ``POST /api/login``.

    Any other key is bad input. The token may be anything here: whether it is usable
    (a known, unexpired string) is for the user store to say.
    """

    model_config = ConfigDict(extra="forbid")

    token: JsonValue = None


class Online(BaseModel):
    id: str
    username: str
    rooms: list[str]


class Join(BaseModel):
    room: RoomName


class Joined(BaseModel):
    room: str
    members: int


class Leave(BaseModel):
    room: RoomName


class Left(BaseModel):
    room: str


class ChatMessage(BaseModel):
    room: RoomName
    text: str = Field(min_length=1, max_length=2000)


class Sent(BaseModel):
    ok: bool = True
