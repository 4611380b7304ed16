"""Connection middleware: who may connect, to which namespace."""

from sioapp import ConnectionRefused, Handshake, Router, SioApp, Socket

TOKENS = {"token-ann": {"name": "ann", "admin": True}, "token-bob": {"name": "bob", "admin": False}}

app = SioApp()
chat = Router()
admin = Router(namespace="/admin")


# --8<-- [start:use]
@app.use  # every namespace, first
async def authenticate(socket: Socket) -> None:
    user = TOKENS.get(str(socket.handshake.auth.get("token")))
    if user is None:
        raise ConnectionRefused("unknown user", data={"code": "unauthorized"})
    socket.data["name"] = user["name"]
    socket.data["admin"] = user["admin"]


@app.use
async def not_while_maintenance(handshake: Handshake) -> None:
    if handshake.query.get("maintenance") == "1":
        raise RuntimeError("oops")  # any other exception: "Internal error", and it is logged


@admin.use  # only /admin, after the app's middleware
async def admins_only(socket: Socket) -> None:
    if not socket.data["admin"]:
        raise ConnectionRefused("admins only")


# --8<-- [end:use]


# --8<-- [start:connect]
@chat.on_connect
async def welcome(socket: Socket) -> None:
    await socket.emit("welcome", socket.data["name"])  # the client is connected by now


# --8<-- [end:connect]


@admin.on("ping")
async def ping() -> str:
    return "pong"


app.include_router(chat)
app.include_router(admin)
