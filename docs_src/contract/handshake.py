"""Connection middleware with a typed ``auth``: the contract documents the handshake."""

from pydantic import BaseModel, Field

from sioapp import ConnectionRefused, Router, SioApp

app = SioApp(title="Chat", version="1.0.0")
chat = Router()


class Credentials(BaseModel):
    """What a client connects with."""

    token: str = Field(min_length=1, description="From `POST /api/login`.")


@app.use
async def authenticate(auth: Credentials) -> None:
    if auth.token != "let-me-in":
        raise ConnectionRefused("unknown token", data={"code": "unauthorized"})


@chat.on("ping")
async def ping() -> str:
    return "pong"


app.include_router(chat)
