"""The chat server under soak: members join a room, then each message said to the room is
broadcast to its other members and acked to its sender.

``GET /stats`` tells what the server holds, so the runner can check that nothing is left
once every client has gone. ``python -m bench.soak.server --port P [--ping-interval S]``
serves it on 127.0.0.1 under uvicorn, as every Python server of the benchmark.
"""

from __future__ import annotations

import argparse
import asyncio

import uvicorn
from pydantic import BaseModel, Field

from sioapp import ConnectionStateRecovery, EventError, Router, SioApp, Socket

router = Router()


class Join(BaseModel):
    room: str = Field(min_length=1, max_length=64)


class Joined(BaseModel):
    room: str
    #: Members of the room once this one joined.
    members: int


@router.emits("chat")
class Chat(BaseModel):
    """One chat message; ``sender`` and ``seq`` identify it, ``sent`` is the sender's clock."""

    room: str = Field(min_length=1, max_length=64)
    sender: int = Field(ge=0)
    seq: int = Field(ge=0)
    sent: float
    text: str = Field(max_length=500)


class Receipt(BaseModel):
    seq: int


class Stats(BaseModel):
    """What the server holds right now."""

    #: asyncio tasks, except the one answering this request and Engine.IO's service
    #: (see `_engine_service`).
    tasks: int
    #: Socket.IO sockets (`app.server.sockets`).
    sockets: int
    #: Engine.IO connections.
    engine_sockets: int
    #: Rooms of the main namespace, socket-id rooms included.
    rooms: int


@router.on("join")
async def join(req: Join, socket: Socket) -> Joined:
    """Join the room; ack how many members it has now."""
    await socket.join(req.room)
    members = await socket.app.in_(req.room).local.fetch_sockets()
    return Joined(room=req.room, members=len(members))


@router.on("say")
async def say(msg: Chat, socket: Socket) -> Receipt:
    """Send the message to the other members of its room; ack its ``seq`` once queued."""
    if msg.room not in socket.rooms:
        raise EventError("not_a_member", f"join {msg.room!r} before talking in it")
    await socket.to(msg.room).emit(msg)
    return Receipt(seq=msg.seq)


def build_app(ping_interval: float = 25.0, recovery_log: int = 0) -> SioApp:
    """The chat app with its ``/stats`` route; Engine.IO pings every ``ping_interval`` s;
    with a ``recovery_log``, connection state recovery logs every message, keeping that many."""
    recovery = ConnectionStateRecovery(max_log_packets=recovery_log) if recovery_log else None
    app = SioApp(
        title="sioapp soak chat",
        docs_url=None,
        ping_interval=ping_interval,
        connection_state_recovery=recovery,
    )
    app.include_router(router)

    @app.fastapi.get("/stats")
    async def stats() -> Stats:
        """Tasks, sockets and rooms the server holds."""
        current = asyncio.current_task()
        tasks = [task for task in asyncio.all_tasks() if task is not current]
        return Stats(
            tasks=len(tasks),
            sockets=len(app.server.sockets),
            engine_sockets=len(app.server.eio.sessions),
            rooms=len(await app.local.all_rooms()),
        )

    return app


def main() -> None:
    """Serve the app on ``--host``/``--port`` until SIGINT or SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m bench.soak.server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ping-interval", type=float, default=25.0)
    parser.add_argument("--recovery-log", type=int, default=0)
    options = parser.parse_args()
    uvicorn.run(
        build_app(options.ping_interval, options.recovery_log),
        host=options.host,
        port=options.port,
        ws_per_message_deflate=False,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
