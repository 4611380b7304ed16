"""sioapp: the same handlers, declared with pydantic models, served as ``sioapp run`` does."""

from __future__ import annotations

import argparse
from pathlib import Path

from pydantic import BaseModel

from sioapp import Router, SioApp, Socket
from sioapp.cli.discovery import AppTarget
from sioapp.cli.runner import RunOptions, serve

router = Router()


class Echo(BaseModel):
    text: str
    seq: int
    tags: list[str]


class Join(BaseModel):
    room: str


@router.emits("news")
class News(BaseModel):
    text: str
    seq: int
    sent: float


class Broadcast(BaseModel):
    room: str
    news: News


@router.on("echo")
async def echo(msg: Echo) -> Echo:
    """Return the validated message as the ack."""
    return msg


@router.on("join")
async def join(msg: Join, socket: Socket) -> bool:
    """Join the room the message names."""
    await socket.join(msg.room)
    return True


@router.on("broadcast")
async def broadcast(msg: Broadcast) -> bool:
    """Send the news to every member of the room; ack once queued."""
    await app.to(msg.room).emit(msg.news)
    return True


app = SioApp(title="sioapp benchmark")
app.include_router(router)


def main() -> int:
    """Serve ``app`` on ``--host``/``--port`` with ``sioapp run``'s settings."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    options = parser.parse_args()
    target = AppTarget(__spec__.name if __spec__ else __name__, "app", Path.cwd(), app)
    return serve(target, RunOptions(host=options.host, port=options.port, log_level="warning"))


if __name__ == "__main__":
    raise SystemExit(main())
