"""A chat whose clients come back after a network blip with their rooms and missed messages."""

from typing import Any

from sioapp import ConnectionStateRecovery, ExpiredSession, Router, SioApp, Socket

# --8<-- [start:app]
app = SioApp(
    connection_state_recovery=ConnectionStateRecovery(
        max_disconnection_duration=120,  # seconds a session waits for its client
        identity=lambda auth: auth.get("user"),  # who may resume it
    )
)
chat = Router()
carts: dict[str, list[str]] = {}  # per-user state the app frees when a session expires


@chat.on_connect
async def welcome(socket: Socket) -> None:
    if socket.recovered:
        return  # same id, rooms and data; every missed event is on its way
    if socket.missed_events_lost:
        await socket.emit("resync", carts.get(socket.data.get("user", ""), []))
        return
    socket.data["user"] = socket.handshake.auth.get("user", "anonymous")


@chat.on("join")
async def join(room: str, socket: Socket) -> bool:
    await socket.join(room)
    return True


@chat.on("say")
async def say(room: str, text: str, socket: Socket, app: SioApp) -> bool:
    await app.to(room).emit("said", socket.data["user"], text)
    return True


@app.on_session_expired
async def forget(session: ExpiredSession) -> None:
    carts.pop(session.data.get("user", ""), None)


# --8<-- [end:app]
app.include_router(chat)


def state() -> dict[str, Any]:
    """What the tests look at."""
    return {"carts": carts}
