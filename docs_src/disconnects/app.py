"""on_disconnecting sees the rooms; on_disconnect runs once they are left."""

from sioapp import DisconnectReason, Router, SioApp, Socket

app = SioApp()
router = Router()
journal: list[str] = []


@router.on_connect
async def enter(socket: Socket) -> None:
    await socket.join(["lobby", "games"])


# --8<-- [start:handlers]
@router.on_disconnecting
async def disconnecting(socket: Socket, reason: DisconnectReason) -> None:
    rooms = sorted(socket.rooms - {socket.id})
    journal.append(f"disconnecting ({reason}) from {rooms}")
    await socket.to(rooms).emit("gone", socket.id)  # the room members still hear it


@router.on_disconnect
async def disconnected(socket: Socket, reason: DisconnectReason) -> None:
    online = len(await app.fetch_sockets())  # this socket is no longer counted
    journal.append(f"disconnected ({reason}), rooms {sorted(socket.rooms)}, {online} online")


# --8<-- [end:handlers]


# --8<-- [start:kick]
@router.on("leave")
async def leave(socket: Socket) -> None:
    await socket.disconnect()  # this namespace only: "server namespace disconnect"


@router.on("quit")
async def quit_(socket: Socket) -> None:
    await socket.disconnect(close=True)  # the whole connection: "forced close"


# --8<-- [end:kick]

app.include_router(router)
