"""Typed handshake auth: the client's credentials validated before middleware runs."""

from pydantic import BaseModel, Field

from sioapp import ConnectionRefused, Router, SioApp, Socket

SESSIONS = {"s3cr3t-token-ann": "ann"}

app = SioApp()
chat = Router()


# --8<-- [start:auth]
class Credentials(BaseModel):
    token: str = Field(min_length=16)
    client_version: int = 1


@app.use
async def authenticate(auth: Credentials, socket: Socket) -> None:
    # auth is the client's `auth` option, already validated
    name = SESSIONS.get(auth.token)
    if name is None:
        raise ConnectionRefused("unknown user", data={"code": "unauthorized"})
    socket.data["name"] = name
    socket.data["client_version"] = auth.client_version


# --8<-- [end:auth]


@chat.on("whoami")
async def whoami(socket: Socket) -> dict[str, object]:
    return dict(socket.data)


app.include_router(chat)
