"""A chat the official Socket.IO Admin UI watches and commands.

``ADMIN_PASSWORD`` is the admin's password, or better its bcrypt hash;
``ADMIN_UI_ORIGIN`` the origin of the UI's page, https://admin.socket.io unless the
UI's files are served from elsewhere.
"""

import os

from sioapp import Router, SioApp, Socket

# --8<-- [start:app]
ADMIN_UI_ORIGIN = os.environ.get("ADMIN_UI_ORIGIN", "https://admin.socket.io")

app = SioApp(title="Chat", cors_allowed_origins=[ADMIN_UI_ORIGIN])
app.instrument(
    auth={"username": "admin", "password": os.environ["ADMIN_PASSWORD"]},
    mode="development",  # "production": the counts only, nothing per socket or event
)
# --8<-- [end:app]
chat = Router()


@chat.use
async def named(socket: Socket) -> None:
    socket.data["name"] = socket.handshake.auth.get("name", "guest")


@chat.on("join")
async def join(room: str, socket: Socket) -> list[str]:
    await socket.join(room)
    return sorted(socket.rooms - {socket.id})


@chat.on("say")
async def say(room: str, text: str, socket: Socket) -> None:
    await socket.to(room).emit("said", socket.data["name"], text)


app.include_router(chat)
