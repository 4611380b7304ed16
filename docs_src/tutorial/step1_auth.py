"""Chat, step 1: only known users may connect."""

from sioapp import ConnectionRefused, Router, SioApp, Socket

# A stand-in for your user database: token -> user name.
USERS = {"token-ann": "ann", "token-bob": "bob", "token-cy": "cy"}

app = SioApp(title="Chat")
chat = Router()


# --8<-- [start:authenticate]
@app.use
async def authenticate(socket: Socket) -> None:
    name = USERS.get(str(socket.handshake.auth.get("token")))
    if name is None:
        raise ConnectionRefused("unknown user", data={"code": "unauthorized"})
    socket.data["name"] = name


@chat.on_connect
async def welcome(socket: Socket) -> None:
    await socket.emit("welcome", socket.data["name"])


# --8<-- [end:authenticate]
app.include_router(chat)
