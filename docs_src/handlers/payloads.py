"""How the arguments of an event reach a handler's parameters."""

import time
from typing import Any

from pydantic import BaseModel, Field

from sioapp import Router, SioApp, Socket

app = SioApp(title="Handlers")
router = Router()


# --8<-- [start:model]
class Join(BaseModel):
    room: str = Field(min_length=1, max_length=64)


@router.on("join")
async def join(req: Join, socket: Socket) -> str:
    await socket.join(req.room)
    return req.room


# --8<-- [end:model]


# --8<-- [start:positional]
@router.on("add")
async def add(a: int, b: int) -> int:
    return a + b


@router.on("greet")
async def greet(name: str, punctuation: str = "!") -> str:
    return f"hello {name}{punctuation}"


# --8<-- [end:positional]


# --8<-- [start:rest]
@router.on("sum")
async def total(label: str, *numbers: float) -> str:
    return f"{label}: {sum(numbers)}"


# --8<-- [end:rest]


# --8<-- [start:any]
@router.on("echo")
async def echo(value):
    return value


# --8<-- [end:any]


# --8<-- [start:sync]
@router.on("slow square")
def slow_square(x: int) -> int:
    time.sleep(0.05)  # blocking work runs in a worker thread, not on the event loop
    return x * x


# --8<-- [end:sync]


# --8<-- [start:injected]
@router.on("where am i")
async def where_am_i(*, socket: Socket, sio: SioApp) -> dict[str, Any]:
    return {"id": socket.id, "namespace": socket.nsp, "title": sio.title}


# --8<-- [end:injected]

app.include_router(router)
