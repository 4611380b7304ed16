"""One chat served by several processes, joined through Redis.

Every process runs this module with the same Redis, e.g.
`sioapp run docs_src.cluster.app:app --workers 2 --redis-url redis://127.0.0.1:6379/0`.
"""

import os
from typing import Any

from sioapp import Router, SioApp, Socket

SERVER = os.environ.get("SERVER_NAME", str(os.getpid()))

app = SioApp(title="Chat", cluster_timeout=2.0)
chat = Router()


# --8<-- [start:events]
@chat.on("join")
async def join(room: str, socket: Socket) -> None:
    await socket.join(room)


@chat.on("say")
async def say(room: str, text: str, socket: Socket) -> None:
    await app.to(room).emit("said", socket.id, text)  # every server's sockets in `room`


@chat.on("online")
async def online() -> int:
    return len(await app.fetch_sockets())  # asks every server


# --8<-- [end:events]


# --8<-- [start:server_events]
@app.on_server_event("stats")
async def stats() -> dict[str, Any]:
    return {"server": SERVER, "sockets": len(await app.local.fetch_sockets())}


@chat.on("cluster stats")
async def cluster_stats() -> list[dict[str, Any]]:
    others = await app.server_side_emit_with_ack("stats")
    everyone = [await stats(), *others.responses]
    return sorted(everyone, key=lambda entry: str(entry["server"]))


# --8<-- [end:server_events]

app.include_router(chat)
