"""Choosing who receives an event: the socket, rooms, everyone but some."""

from pydantic import BaseModel

from sioapp import Router, SioApp, Socket

app = SioApp()
router = Router()


@router.on("join")
async def join(rooms: list[str], socket: Socket) -> None:
    await socket.join(rooms)


# --8<-- [start:emits]
@router.emits("notice")
class Notice(BaseModel):
    text: str


@router.on("notify me")
async def notify_me(socket: Socket) -> None:
    await socket.emit(Notice(text="just you"))  # sent as "notice"


# --8<-- [end:emits]


# --8<-- [start:targets]
@router.on("shout")
async def shout(target: str, socket: Socket) -> None:
    if target == "red":
        await socket.to("red").emit("shout", target)  # in red, but not me
    elif target == "red or blue":
        await socket.to("red").to("blue").emit("shout", target)  # a union: once each
    elif target == "red but not blue":
        await socket.to("red").except_("blue").emit("shout", target)
    elif target == "everyone else":
        await socket.broadcast.emit("shout", target)
    elif target == "everyone":
        await app.emit("shout", target)  # app-level operations do not skip anyone
    elif target == "red, me included":
        await app.to("red").emit("shout", target)
    elif target == "not red":
        await app.except_("red").emit("shout", target)


# --8<-- [end:targets]

app.include_router(router)
