"""Packet middleware: every event of a socket passes through it before its handler."""

from collections.abc import Awaitable, Callable
from typing import Any

from sioapp import EventError, Router, SioApp, Socket

Next = Callable[[], Awaitable[None]]

app = SioApp()
chat = Router()


# --8<-- [start:use_packets]
@chat.use_packets  # every socket of this router's namespace
async def refuse_when_muted(socket: Socket, event: str, args: list[Any], next: Next) -> None:
    if socket.data.get("muted") and event != "unmute":
        raise EventError("muted", "You are muted")  # the handler does not run
    await next()


# --8<-- [end:use_packets]


# --8<-- [start:socket_use]
@chat.on_connect
async def setup(socket: Socket) -> None:
    socket.data["events"] = 0

    async def count(socket: Socket, event: str, args: list[Any], next: Next) -> None:
        socket.data["events"] += 1
        await next()

    async def trim(socket: Socket, event: str, args: list[Any], next: Next) -> None:
        args[:] = [arg.strip() if isinstance(arg, str) else arg for arg in args]
        await next()

    async def drop_pings(socket: Socket, event: str, args: list[Any], next: Next) -> None:
        if event != "ping":  # without next(), the packet goes no further
            await next()

    socket.use(count)
    socket.use(trim)
    socket.use(drop_pings)


# --8<-- [end:socket_use]


@chat.on("say")
async def say(text: str) -> str:
    return text


@chat.on("mute")
async def mute(socket: Socket) -> None:
    socket.data["muted"] = True


@chat.on("unmute")
async def unmute(socket: Socket) -> None:
    socket.data["muted"] = False


@chat.on("events")
async def events(socket: Socket) -> int:
    return int(socket.data["events"])


@chat.on("ping")
async def ping() -> str:
    return "pong"


app.include_router(chat)
