"""What a handler returns is the ack, shaped by its return annotation."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel

from sioapp import Router, SioApp

app = SioApp()
router = Router()


class Joined(BaseModel):
    room: str
    members: int


@dataclass
class Point:
    x: int
    y: int


@router.on("model")
async def model() -> Joined:
    return Joined(room="lobby", members=3)


@router.on("dict as model")
async def dict_as_model() -> Joined:
    return {"room": "lobby", "members": "3"}


@router.on("dataclass")
async def dataclass_ack() -> Point:
    return Point(x=1, y=2)


@router.on("two values")
async def two_values() -> tuple[str, int]:
    return "lobby", 3


@router.on("nothing")
async def nothing() -> None:
    return None


@router.on("unannotated")
async def unannotated():
    return {"today": date(2026, 11, 26)}


@router.on("any")
async def anything() -> Any:
    return ("a", 1)


app.include_router(router)
