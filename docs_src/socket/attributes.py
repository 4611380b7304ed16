"""What a handler can read on its Socket."""

from typing import Any

from sioapp import Handshake, Rooms, Router, SioApp, Socket

app = SioApp()
router = Router()


# --8<-- [start:middleware]
class User:
    def __init__(self, name: str) -> None:
        self.name = name


@app.use
async def identify(socket: Socket) -> None:
    name = str(socket.handshake.auth.get("name", "guest"))
    socket.user = User(name)  # a custom attribute, for this server's handlers
    socket.data["name"] = name  # JSON data, also seen through fetch_sockets()


# --8<-- [end:middleware]


# --8<-- [start:whoami]
@router.on("whoami")
async def whoami(socket: Socket, handshake: Handshake, rooms: Rooms) -> dict[str, Any]:
    return {
        "id": socket.id,
        "namespace": socket.nsp,
        "user": socket.user.name,
        "data": socket.data,
        "rooms": sorted(rooms),
        "auth": dict(handshake.auth),
        "query": dict(handshake.query),
        "user-agent": handshake.headers.get("user-agent"),
        "address": handshake.address,
        "url": handshake.url,
        "time": handshake.time,
        "issued": handshake.issued,
        "xdomain": handshake.xdomain,
        "secure": handshake.secure,
    }


# --8<-- [end:whoami]


# --8<-- [start:rooms]
@router.on("join")
async def join(rooms: list[str], socket: Socket) -> list[str]:
    await socket.join(rooms)  # one room, or several
    return sorted(socket.rooms)


@router.on("leave")
async def leave(room: str, socket: Socket) -> list[str]:
    await socket.leave(room)
    return sorted(socket.rooms)


# --8<-- [end:rooms]

app.include_router(router)
