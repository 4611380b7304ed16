"""What the Socket.IO layer costs per event, without the network: ``python -m bench.protocol``.

Feeds echo events straight into each Python server's Socket.IO layer
(``_handle_eio_message``, as python-engineio calls it for every message) and
collects the acks from the connection's Engine.IO queue: packet decoding,
dispatch, validation, the handler, the ack's encoding and queueing, and one
turn of the event loop per event for what runs in tasks. uvicorn, the
WebSocket and python-engineio's reader and writer are left out, so the
numbers move only with the code under test and much less with other busy
processes than ``python -m bench`` does. Each server prints the median and the
minimum CPU microseconds per event over ``--repeats`` runs.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import statistics
import time
from collections.abc import Sequence
from typing import Any

import uvloop
from engineio.async_socket import AsyncSocket

#: The Python server kinds and the module whose ``app`` serves each.
MODULES = {"raw": "bench.servers.raw_server", "sioapp": "bench.servers.sioapp_server"}
SID = "bench-engineio-sid-0"
ENVIRON = {"REMOTE_ADDR": "127.0.0.1", "QUERY_STRING": "EIO=4&transport=websocket"}
#: An EVENT asking for ack ``seq``, as the echo workload sends it (after the Engine.IO "4").
EVENT = '2{seq}["echo",{{"text":"hello from the benchmark","seq":{seq},"tags":["a","b","c"]}}]'


def _socketio_server(kind: str) -> Any:
    """The python-socketio server (or sioapp's subclass of it) behind ``kind``."""
    module = importlib.import_module(MODULES[kind])
    return module.app.server if kind == "sioapp" else module.sio


async def _drain(queue: asyncio.Queue[Any]) -> list[Any]:
    packets = []
    while not queue.empty():
        packets.append(await queue.get())
        queue.task_done()
    return packets


async def _connected(server: Any) -> AsyncSocket:
    """A real Engine.IO session of ``server``, joined to the main namespace."""
    connection = AsyncSocket(server.eio, SID)
    connection.connected = True
    server.eio.sockets[SID] = connection
    await server._handle_eio_connect(SID, ENVIRON)
    await server._handle_eio_message(SID, "0")
    await asyncio.sleep(0)
    (connect,) = await _drain(connection.queue)
    if not str(connect.data).startswith("0{"):
        raise RuntimeError(f"the server refused the connection: {connect.data!r}")
    return connection


async def _run(server: Any, connection: AsyncSocket, frames: list[str]) -> float:
    """CPU seconds for ``frames``, checking that each got its ack."""
    handle = server._handle_eio_message
    acks = 0
    started = time.process_time()
    for frame in frames:
        await handle(SID, frame)
        await asyncio.sleep(0)
        acks += len(await _drain(connection.queue))
    spent = time.process_time() - started
    if acks != len(frames):
        raise RuntimeError(f"{acks} acks for {len(frames)} events")
    return spent


async def measure(kind: str, events: int, repeats: int) -> tuple[float, float]:
    """Median and minimum CPU µs per event of server ``kind``."""
    server = _socketio_server(kind)
    connection = await _connected(server)
    frames = [EVENT.format(seq=seq) for seq in range(events)]
    await _run(server, connection, frames[: max(1, events // 10)])
    runs = [await _run(server, connection, frames) for _ in range(repeats)]
    return statistics.median(runs) / events * 1e6, min(runs) / events * 1e6


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.protocol", description=__doc__)
    parser.add_argument("--servers", nargs="+", default=list(MODULES), choices=list(MODULES))
    parser.add_argument("--events", type=int, default=5_000, help="events per run")
    parser.add_argument("--repeats", type=int, default=15, help="runs per server")
    options = parser.parse_args(argv)
    print("server  median µs/event  min µs/event")
    for kind in options.servers:
        median, best = uvloop.run(measure(kind, options.events, options.repeats))
        print(f"{kind:<6}  {median:15.1f}  {best:12.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
