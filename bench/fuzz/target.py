"""The app under fuzz, served in its own process with every log record kept.

``python -m bench.fuzz.target --port P --log FILE`` serves it on 127.0.0.1 and
appends each record at WARNING or above, from every logger (sioapp, socketio,
engineio, uvicorn, asyncio...), to FILE as one JSON object per line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel, Field

from sioapp import ConnectionRefused, EventError, RateLimit, Router, SioApp, Socket

#: The room the well-behaved client joins; the ticker sends it a numbered ``tick``.
WATCH_ROOM = "watch"
TICK_EVERY = 0.01
MAX_PAYLOAD = 64_000
#: The only browser origin the target accepts; hostile requests also come from others.
ORIGIN = "http://fuzz.test"
MAX_ROOMS = 100


class Chat(BaseModel):
    room: str = Field(min_length=1, max_length=32)
    text: str = Field(max_length=500)


class Receipt(BaseModel):
    room: str
    length: int


class Ticker:
    """Sends ``tick`` 0, 1, 2... to the watch room until stopped."""

    def __init__(self, app: SioApp) -> None:
        self.app = app
        self.sent = 0
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        while True:
            await self.app.to(WATCH_ROOM).emit("tick", self.sent)
            self.sent += 1
            await asyncio.sleep(TICK_EVERY)

    async def stop(self) -> int:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            self.task = None
        return self.sent


def build_app() -> SioApp:
    """Typed handlers, an ``Any`` echo, binary, rooms, acks, two namespaces, middleware."""
    ticker: Ticker

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        ticker.task = asyncio.create_task(ticker.run())
        yield
        await ticker.stop()

    app = SioApp(
        title="fuzz target",
        lifespan=lifespan,
        ping_interval=2,
        ping_timeout=2,
        connect_timeout=2,
        max_http_buffer_size=MAX_PAYLOAD,
        cors_allowed_origins=[ORIGIN],
        max_rooms_per_socket=MAX_ROOMS,
    )
    ticker = Ticker(app)
    main = Router()
    admin = Router(namespace="/admin")

    @app.use
    async def gate(socket: Socket) -> None:
        if socket.handshake.auth.get("deny"):
            raise ConnectionRefused("denied", data={"code": "denied"})

    @main.on("echo")
    async def echo(value: Any) -> Any:
        return value

    @main.on("chat")
    async def chat(msg: Chat, socket: Socket) -> Receipt:
        await socket.to(msg.room).emit("chat", msg)
        return Receipt(room=msg.room, length=len(msg.text))

    @main.on("join")
    async def join(room: str, socket: Socket) -> list[str]:
        if room == WATCH_ROOM and socket.handshake.auth.get("watcher") is not True:
            raise EventError("forbidden", "only the watcher joins this room")
        await socket.join(room)
        return sorted(socket.rooms)

    @main.on("size")
    async def size(data: bytes) -> int:
        return len(data)

    @main.on("pair")
    async def pair(a: int, b: str = "") -> tuple[int, str]:
        return a, b

    admin.use_packets(RateLimit(per_second=50, burst=20, disconnect_after=None))

    @admin.use_packets
    async def only_known(socket: Socket, event: str, args: list[Any], next: Any) -> None:
        if event != "stats":
            raise EventError("unknown", f"no {event!r} here")
        await next()

    @admin.on("stats")
    async def stats() -> dict[str, int]:
        return {"sockets": len(app.server.sockets)}

    app.include_router(main)
    app.include_router(admin)

    @app.fastapi.post("/fuzz/stop")
    async def stop() -> dict[str, int]:
        """Stop the ticker; how many ticks it sent."""
        return {"ticks": await ticker.stop()}

    @app.fastapi.get("/fuzz/held")
    async def held() -> dict[str, int]:
        """What the server still holds: Engine.IO sessions and sockets."""
        return {"sessions": len(app.server.eio.sessions), "sockets": len(app.server.sockets)}

    return app


class JsonLines(logging.Handler):
    """Appends each record to a file as JSON: logger, level, message, traceback."""

    def __init__(self, path: str) -> None:
        super().__init__(logging.WARNING)
        self.stream = open(path, "a", encoding="utf-8")  # noqa: SIM115 - lives with the process

    def emit(self, record: logging.LogRecord) -> None:
        entry = {
            "logger": record.name,
            "level": record.levelname,
            "message": record.getMessage()[:500],
            "traceback": self.format(record).partition("\n")[2] if record.exc_info else None,
        }
        self.stream.write(json.dumps(entry) + "\n")
        self.stream.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", required=True)
    options = parser.parse_args()
    handler = JsonLines(options.log)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logging.getLogger().addHandler(handler)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "engineio.server"):
        logging.getLogger(name).propagate = True
    config = uvicorn.Config(
        build_app(),
        host="127.0.0.1",
        port=options.port,
        log_level="warning",
        log_config=None,
        ws_per_message_deflate=False,
        lifespan="on",
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
