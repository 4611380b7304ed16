"""Server-wide operations: an /admin namespace acting on the sockets of "/"."""

from typing import Any

from sioapp import Router, SioApp, Socket

app = SioApp()
chat = Router()
admin = Router(namespace="/admin")


@chat.on_connect
async def remember_name(socket: Socket) -> None:
    socket.data["name"] = socket.handshake.auth.get("name", "guest")


@chat.on("join")
async def join(room: str, socket: Socket) -> None:
    await socket.join(room)


# --8<-- [start:fetch]
@admin.on("list")
async def list_sockets(room: str | None = None) -> list[dict[str, Any]]:
    selection = app.in_(room) if room else app.of("/")
    return [
        {"id": s.id, "name": s.data["name"], "rooms": sorted(s.rooms - {s.id})}
        for s in await selection.fetch_sockets()
    ]


@admin.on("whisper")
async def whisper(name: str, text: str) -> int:
    found = [s for s in await app.fetch_sockets() if s.data["name"] == name]
    for remote in found:
        await remote.emit("whisper", text)
    return len(found)


# --8<-- [end:fetch]


# --8<-- [start:bulk]
@admin.on("move")
async def move(source: str, target: str) -> list[str]:
    await app.in_(source).sockets_join(target)
    await app.in_(source).sockets_leave(source)
    return sorted(await app.all_rooms())


@admin.on("close room")
async def close_room(room: str) -> None:
    await app.in_(room).disconnect_sockets()


@admin.on("announce")
async def announce(text: str) -> None:
    await app.emit("announcement", text)  # every socket of "/"
    await app.of("/admin").emit("announcement", text)  # and every admin


# --8<-- [end:bulk]

app.include_router(chat)
app.include_router(admin)
