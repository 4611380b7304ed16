"""What connection state recovery costs: ``python -m bench.recovery``.

``--clients`` clients connect to server A, each joins one of ``--rooms``
rooms; then every client's transport drops at once. While they are away, a
speaker sends ``--missed`` events to each room. Every client then comes back
with its pid and offset, all at once: to server B through Redis (the sessions
and the log in Redis); in a second run, to server B after server A was killed
with SIGKILL once it had checkpointed its sessions in Redis; in a third, to the
same single server (in memory). Reported: how many clients were recovered with their id, whether
every missed event arrived exactly once and in order, how long the whole
recovery took, the CPU the recovering server spent per client, and the Redis
commands per client.

The clients are raw Engine.IO WebSocket connections in this process, speaking
the recovery protocol as socket.io-client does (pid and offset in the auth).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
import socketio
import websockets
from websockets.asyncio.client import ClientConnection

from bench.cluster import app_servers, redis_server
from bench.processes import HOST
from bench.procstat import cpu_seconds
from sioapp import ConnectionStateRecovery, Router, SioApp, Socket

CONNECT_BATCH = 100


def create_app() -> SioApp:
    """The app every server runs: recovery on, rooms, and a speaker's ``say``."""
    app = SioApp(
        title="recovery bench",
        docs_url=None,
        ping_interval=300,
        ping_timeout=300,
        connection_state_recovery=ConnectionStateRecovery(max_disconnection_duration=300),
    )
    router = Router()

    @router.on("join")
    async def join(room: str, socket: Socket) -> bool:
        await socket.join(room)
        return True

    @router.on("say")
    async def say(room: str, count: int) -> bool:
        for index in range(count):
            await app.to(room).emit("news", index)
        return True

    app.include_router(router)
    return app


@dataclass
class Client:
    """One returning client: its sid, pid and last offset, and the news it got."""

    room: str
    sid: str = ""
    pid: str = ""
    offset: str | None = None
    news: list[int] = field(default_factory=list)
    ws: ClientConnection | None = None

    async def connect(self, port: int) -> dict[str, Any]:
        self.ws = await websockets.connect(
            f"ws://{HOST}:{port}/socket.io/?EIO=4&transport=websocket",
            compression=None,
            max_queue=None,
        )
        await self.ws.recv()  # OPEN
        auth: dict[str, Any] = {}
        if self.pid:
            auth = {"pid": self.pid, **({"offset": self.offset} if self.offset else {})}
        await self.ws.send("40" + json.dumps(auth))
        reply: dict[str, Any] = json.loads(str(await self.ws.recv())[2:])
        return reply

    async def read_news(self, count: int) -> None:
        assert self.ws is not None
        while len(self.news) < count:
            frame = await self.ws.recv()
            if frame == "2":
                await self.ws.send("3")
            elif isinstance(frame, str) and frame.startswith('42["news"'):
                _, index, offset = json.loads(frame[2:])
                self.news.append(index)
                self.offset = offset


async def _redis_commands(url: str) -> int:
    client = aioredis.from_url(url)
    try:
        stats = await client.info("commandstats")
    finally:
        await client.aclose()
    return sum(int(entry["calls"]) for entry in stats.values())


async def _checkpointed(url: str, clients: int) -> None:
    """Wait until Redis holds a checkpoint of ``clients`` live sessions, each in a room."""
    redis = aioredis.from_url(url)
    try:
        while True:
            rooms = [
                json.loads(raw)["rooms"]
                async for key in redis.scan_iter("socketio#live#*")
                for raw in (await redis.hgetall(key)).values()
            ]
            if sum(bool(joined) for joined in rooms) >= clients:
                return
            await asyncio.sleep(0.1)
    finally:
        await redis.aclose()


async def run(
    clients: int, rooms: int, missed: int, redis_url: str | None, *, crash: bool = False
) -> str:
    count = 2 if redis_url else 1
    async with app_servers(count, redis_url, "bench.recovery:create_app") as running:
        first_port, first_pid = running[0]
        back_port, back_pid = running[-1]
        crowd = [Client(room=f"room {index % rooms}") for index in range(clients)]
        for start in range(0, clients, CONNECT_BATCH):
            batch = crowd[start : start + CONNECT_BATCH]
            replies = await asyncio.gather(*(client.connect(first_port) for client in batch))
            for client, reply in zip(batch, replies, strict=True):
                client.sid, client.pid = reply["sid"], reply["pid"]
                assert client.ws is not None
                await client.ws.send("421" + json.dumps(["join", client.room]))
                await client.ws.recv()
        if crash and redis_url:
            await _checkpointed(redis_url, clients)
            os.kill(first_pid, signal.SIGKILL)
        await asyncio.gather(*(client.ws.close() for client in crowd if client.ws))
        speaker = socketio.AsyncClient()
        await speaker.connect(f"http://{HOST}:{back_port}", transports=["websocket"])
        for index in range(rooms):
            await speaker.call("say", (f"room {index}", missed), timeout=120)
        await speaker.disconnect()

        commands = await _redis_commands(redis_url) if redis_url else 0
        cpu = cpu_seconds(back_pid)
        started = time.perf_counter()
        replies = await asyncio.gather(*(client.connect(back_port) for client in crowd))
        await asyncio.gather(*(client.read_news(missed) for client in crowd))
        seconds = time.perf_counter() - started
        cpu = cpu_seconds(back_pid) - cpu
        commands = (await _redis_commands(redis_url) - commands) if redis_url else 0
        await asyncio.gather(*(client.ws.close() for client in crowd if client.ws))

    same_id = sum(reply["sid"] == client.sid for reply, client in zip(replies, crowd, strict=True))
    exact = sum(client.news == list(range(missed)) for client in crowd)
    where = "server A to server B through Redis" if redis_url else "one server, in memory"
    if crash:
        where = "server A killed (SIGKILL), to server B through Redis"
    text = (
        f"{where}: {same_id}/{clients} recovered with their id, {exact}/{clients} got their "
        f"{missed} missed events exactly once and in order, in {seconds:.2f} s; "
        f"{cpu / clients * 1e6:,.0f} µs CPU of the recovering server per client"
    )
    if redis_url:
        text += f", {commands / clients:.1f} Redis commands per client"
    return text


async def measure(args: argparse.Namespace) -> None:
    async with redis_server() as url:
        print(await run(args.clients, args.rooms, args.missed, url))
    async with redis_server() as url:
        print(await run(args.clients, args.rooms, args.missed, url, crash=True))
    print(await run(args.clients, args.rooms, args.missed, None))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.recovery", description=__doc__)
    parser.add_argument("--clients", type=int, default=1000, help="clients that drop at once")
    parser.add_argument("--rooms", type=int, default=10, help="rooms they are spread over")
    parser.add_argument("--missed", type=int, default=20, help="events sent to each room")
    asyncio.run(measure(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
