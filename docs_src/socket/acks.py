"""Asking clients for an answer: one socket, or a group with a timeout."""

from typing import Any

from sioapp import Router, SioApp, Socket

app = SioApp()
router = Router()


# --8<-- [start:one]
@router.on("poll me")
async def poll_me(question: str, socket: Socket) -> Any:
    try:
        return await socket.emit_with_ack("question", question, timeout=1)
    except TimeoutError:
        return "no answer"


# --8<-- [end:one]


# --8<-- [start:group]
@router.on("poll room")
async def poll_room(room: str, question: str) -> dict[str, Any]:
    acks = await app.to(room).timeout(0.5).emit_with_ack("question", question)
    return {"answers": sorted(acks.responses.values()), "silent": len(acks.timed_out)}


# --8<-- [end:group]


@router.on("join")
async def join(room: str, socket: Socket) -> None:
    await socket.join(room)


app.include_router(router)
