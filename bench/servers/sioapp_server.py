"""sioapp: the same handlers, declared with pydantic models."""

from __future__ import annotations

from pydantic import BaseModel

from bench.servers.uvicorn_main import serve
from sioapp import Router, SioApp


class Echo(BaseModel):
    text: str
    seq: int
    tags: list[str]


router = Router()


@router.on("echo")
async def echo(msg: Echo) -> Echo:
    """Return the validated message as the ack."""
    return msg


app = SioApp(title="sioapp benchmark")
app.include_router(router)

if __name__ == "__main__":
    serve(app)
