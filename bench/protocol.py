"""What the Socket.IO layer costs per event, without the network: ``python -m bench.protocol``.

Feeds echo events straight into each Python server's Socket.IO layer (as its
Engine.IO server hands over every message) and collects the acks from the
session's outgoing queue: packet decoding,
dispatch, validation, the handler, the ack's encoding and queueing, and one
turn of the event loop per event for what runs in tasks. uvicorn, the
WebSocket and the engines' readers and writers are left out, so the
numbers move only with the code under test and much less with other busy
processes than ``python -m bench`` does. Each server prints the median and the
minimum CPU microseconds per event over ``--repeats`` runs, once per
``--serializer`` (``json``, ``msgpack``: the same events as socket.io-client
with socket.io-msgpack-parser sends them).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import statistics
import sys
import time
from collections.abc import Sequence
from typing import Any

import msgpack
import uvloop
from engineio.async_socket import AsyncSocket

from bench.servers import SERIALIZER_ENV, SERIALIZERS
from sioapp._transport import Session, Transport

#: The Python server kinds and the module whose ``app`` serves each.
MODULES = {"raw": "bench.servers.raw_server", "sioapp": "bench.servers.sioapp_server"}
SID = "bench-engineio-sid-0"
#: An EVENT asking for ack ``seq``, as the echo workload sends it (after the Engine.IO "4").
EVENT = '2{seq}["echo",{{"text":"hello from the benchmark","seq":{seq},"tags":["a","b","c"]}}]'
Frame = str | bytes


def _msgpack_event(seq: int) -> bytes:
    """`EVENT` as socket.io-client sends it with socket.io-msgpack-parser."""
    message = {"text": "hello from the benchmark", "seq": seq, "tags": ["a", "b", "c"]}
    packet = {
        "type": 2,
        "data": ["echo", message],
        "options": {"compress": True},
        "id": seq,
        "nsp": "/",
    }
    encoded: bytes = msgpack.packb(packet)
    return encoded


def _frames(serializer: str, events: int) -> tuple[Frame, list[Frame]]:
    """The CONNECT, then ``events`` echo events, encoded with ``serializer``."""
    if serializer == "msgpack":
        connect: bytes = msgpack.packb({"type": 0, "nsp": "/"})
        return connect, [_msgpack_event(seq) for seq in range(events)]
    return "0", [EVENT.format(seq=seq) for seq in range(events)]


def _fresh(module: str) -> Any:
    """``module`` imported anew: its server speaks the serializer `SERIALIZER_ENV` names."""
    sys.modules.pop(module, None)
    return importlib.import_module(module)


class RawSession:
    """A python-engineio session of raw python-socketio, fed as python-engineio feeds it."""

    def __init__(self) -> None:
        self.server = _fresh(MODULES["raw"]).sio
        self.connection = AsyncSocket(self.server.eio, SID)
        self.connection.connected = True

    async def open(self) -> None:
        self.server.eio.sockets[SID] = self.connection
        environ = {"REMOTE_ADDR": "127.0.0.1", "QUERY_STRING": "EIO=4&transport=websocket"}
        await self.server._handle_eio_connect(SID, environ)

    async def feed(self, frame: Frame) -> None:
        await self.server._handle_eio_message(SID, frame)

    def sent(self) -> list[Any]:
        queue = self.connection.queue
        packets = []
        while not queue.empty():
            packets.append(queue.get_nowait())
            queue.task_done()
        return [packet.data for packet in packets]


class SioappSession:
    """A session of sioapp's own engine, fed as its WebSocket reader feeds it."""

    def __init__(self) -> None:
        self.server = _fresh(MODULES["sioapp"]).app.server
        scope = {"type": "websocket", "query_string": b"EIO=4&transport=websocket"}
        self.session = Session(self.server.eio, SID, scope, Transport.WEBSOCKET)

    async def open(self) -> None:
        self.server.eio.sessions[SID] = self.session
        await self.server.opened(SID, self.session.scope)

    async def feed(self, frame: Frame) -> None:
        await self.server.received(SID, frame)

    def sent(self) -> list[Any]:
        return [frame for frame in self.session.queue.take_all() if frame is not None]


async def _connected(kind: str, connect: Frame) -> RawSession | SioappSession:
    """A real Engine.IO session of server ``kind``, joined to the main namespace."""
    session = RawSession() if kind == "raw" else SioappSession()
    await session.open()
    await session.feed(connect)
    await asyncio.sleep(0)
    (reply,) = session.sent()
    accepted = (
        msgpack.unpackb(reply)["type"] == 0
        if isinstance(reply, bytes)
        else str(reply).lstrip("4").startswith("0{")
    )
    if not accepted:
        raise RuntimeError(f"the server refused the connection: {reply!r}")
    return session


async def _run(session: RawSession | SioappSession, frames: list[Frame]) -> float:
    """CPU seconds for ``frames``, checking that each got its ack."""
    feed, sent = session.feed, session.sent
    acks = 0
    started = time.process_time()
    for frame in frames:
        await feed(frame)
        await asyncio.sleep(0)
        acks += len(sent())
    spent = time.process_time() - started
    if acks != len(frames):
        raise RuntimeError(f"{acks} acks for {len(frames)} events")
    return spent


async def measure(
    kind: str, events: int, repeats: int, serializer: str = "json"
) -> tuple[float, float]:
    """Median and minimum CPU µs per event of server ``kind`` speaking ``serializer``."""
    os.environ[SERIALIZER_ENV] = serializer
    connect, frames = _frames(serializer, events)
    session = await _connected(kind, connect)
    await _run(session, frames[: max(1, events // 10)])
    runs = [await _run(session, frames) for _ in range(repeats)]
    return statistics.median(runs) / events * 1e6, min(runs) / events * 1e6


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.protocol", description=__doc__)
    parser.add_argument("--servers", nargs="+", default=list(MODULES), choices=list(MODULES))
    parser.add_argument("--events", type=int, default=5_000, help="events per run")
    parser.add_argument("--repeats", type=int, default=15, help="runs per server")
    parser.add_argument("--serializer", nargs="+", default=["json"], choices=SERIALIZERS)
    options = parser.parse_args(argv)
    print("server          median µs/event  min µs/event")
    for serializer in options.serializer:
        for kind in options.servers:
            median, best = uvloop.run(measure(kind, options.events, options.repeats, serializer))
            name = kind if serializer == "json" else f"{kind}+{serializer}"
            print(f"{name:<14}  {median:15.1f}  {best:12.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
