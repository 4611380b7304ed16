"""What running on several servers costs: ``python -m bench.cluster``.

Two measurements, each against a fresh redis-server (no persistence) and
fresh ``uvicorn --factory bench.cluster:create_app`` processes:

* **fetch_sockets latency**: ``--sockets`` sockets on each of 3 servers
  (through Redis) and on 1 server (in memory); the median, min and max time of
  ``await app.fetch_sockets()`` over ``--repeats`` calls, measured inside the
  first server.
* **broadcast deliveries/s**: ``--clients`` clients spread over 3 servers
  (through Redis) and all on 1 server (in memory); the first server emits
  ``--messages`` events to every socket, once one after the other and once all
  at once (as many handlers would), and the clock stops when every client has
  received every event.

The clients are raw Engine.IO WebSocket connections in this process, which
answer pings and count events; with few CPUs they compete with the servers
for time, so compare runs on the same machine only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import socketio
import websockets
from websockets.asyncio.client import ClientConnection

from bench.paths import REPO_ROOT
from bench.processes import HOST, free_port
from sioapp import Router, SioApp

STARTUP_TIMEOUT = 30.0
CONNECT_BATCH = 100


def create_app() -> SioApp:
    """The app every server runs; ``/bench`` holds the operations the runner times."""
    app = SioApp(title="cluster bench", docs_url=None, ping_interval=300, ping_timeout=300)
    bench = Router(namespace="/bench")

    @bench.on("time fetch")
    async def time_fetch(repeats: int) -> dict[str, Any]:
        samples: list[float] = []
        count = 0
        for _ in range(repeats):
            started = time.perf_counter()
            count = len(await app.fetch_sockets())
            samples.append((time.perf_counter() - started) * 1000)
        return {
            "sockets": count,
            "median_ms": statistics.median(samples),
            "min_ms": min(samples),
            "max_ms": max(samples),
        }

    @bench.on("emit")
    async def emit(messages: int, at_once: bool) -> None:
        if at_once:
            await asyncio.gather(*(app.emit("tick", index) for index in range(messages)))
        else:
            for index in range(messages):
                await app.emit("tick", index)

    app.include_router(bench)
    return app


class Receiver:
    """One raw WebSocket client: answers pings, counts EVENT packets into ``counts``."""

    def __init__(self, ws: ClientConnection, counts: list[int]) -> None:
        self.ws = ws
        self.counts = counts
        self.task = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, port: int, counts: list[int]) -> Receiver:
        ws = await websockets.connect(
            f"ws://{HOST}:{port}/socket.io/?EIO=4&transport=websocket",
            compression=None,
            max_queue=None,
        )
        await ws.recv()  # Engine.IO OPEN
        await ws.send("40")
        await ws.recv()  # Socket.IO CONNECT
        return cls(ws, counts)

    async def _read(self) -> None:
        async for frame in self.ws:
            if frame == "2":
                await self.ws.send("3")
            elif isinstance(frame, str) and frame.startswith("42"):
                self.counts[0] += 1

    async def close(self) -> None:
        self.task.cancel()
        await self.ws.close()


async def _wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with status {process.returncode}")
        try:
            _, writer = await asyncio.open_connection(HOST, port)
        except OSError:
            await asyncio.sleep(0.05)
        else:
            writer.close()
            return
    raise TimeoutError(f"nothing listens on port {port}")


def _spawn(command: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL)


def _stop(processes: Sequence[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait()


@asynccontextmanager
async def redis_server() -> AsyncIterator[str]:
    """A throwaway redis-server; yields its URL."""
    port = free_port()
    with tempfile.TemporaryDirectory() as directory:
        options = ["--bind", HOST, "--save", "", "--appendonly", "no", "--dir", directory]
        process = _spawn(["redis-server", "--port", str(port), *options])
        try:
            await _wait_listening(port, process)
            yield f"redis://{HOST}:{port}/0"
        finally:
            _stop([process])


@asynccontextmanager
async def app_servers(
    count: int, redis_url: str | None, factory: str = "bench.cluster:create_app"
) -> AsyncIterator[list[tuple[int, int]]]:
    """``count`` servers of the app ``factory`` (``module:function``) builds, joined
    through ``redis_url`` (or one in-memory server); yields the port and pid of each."""
    env = {key: value for key, value in os.environ.items() if key != "SIOAPP_REDIS_URL"}
    if redis_url is not None:
        env["SIOAPP_REDIS_URL"] = redis_url
    ports = [free_port() for _ in range(count)]
    uvicorn = [sys.executable, "-m", "uvicorn", "--factory", factory]
    options = ["--host", HOST, "--log-level", "error", "--ws-per-message-deflate", "false"]
    processes = [_spawn([*uvicorn, *options, "--port", str(port)], env) for port in ports]
    try:
        for port, process in zip(ports, processes, strict=True):
            await _wait_listening(port, process)
        yield [(port, process.pid) for port, process in zip(ports, processes, strict=True)]
    finally:
        _stop(processes)


@asynccontextmanager
async def connected(
    ports: list[int], per_server: int
) -> AsyncIterator[tuple[socketio.AsyncClient, list[Receiver], list[int]]]:
    """``per_server`` receivers on each server, and a control client of the first one."""
    counts = [0]
    receivers: list[Receiver] = []
    control = socketio.AsyncClient()
    try:
        for port in ports:
            for start in range(0, per_server, CONNECT_BATCH):
                size = min(CONNECT_BATCH, per_server - start)
                receivers += await asyncio.gather(
                    *(Receiver.connect(port, counts) for _ in range(size))
                )
        url = f"http://{HOST}:{ports[0]}"
        await control.connect(url, namespaces=["/bench"], transports=["websocket"])
        yield control, receivers, counts
    finally:
        await control.disconnect()
        await asyncio.gather(*(receiver.close() for receiver in receivers))


async def fetch_latency(ports: list[int], per_server: int, repeats: int) -> str:
    async with connected(ports, per_server) as (control, _, _):
        timing = await control.call("time fetch", repeats, namespace="/bench", timeout=300)
    return (
        f"fetch_sockets of {timing['sockets']}: median {timing['median_ms']:.1f} ms "
        f"(min {timing['min_ms']:.1f}, max {timing['max_ms']:.1f})"
    )


async def broadcast_rate(ports: list[int], per_server: int, messages: int) -> str:
    rates = []
    async with connected(ports, per_server) as (control, receivers, counts):
        expected = len(receivers) * messages
        for at_once in (False, True):
            counts[0] = 0
            started = time.perf_counter()
            await control.call("emit", (messages, at_once), namespace="/bench", timeout=300)
            while counts[0] < expected:
                await asyncio.sleep(0.005)
            rates.append(expected / (time.perf_counter() - started))
    return (
        f"broadcast to {len(receivers)}: {rates[0]:,.0f} deliveries/s one emit after the "
        f"other, {rates[1]:,.0f} with all emits at once"
    )


async def measure(args: argparse.Namespace) -> None:
    async with redis_server() as url:
        for label, count, redis_url in (("3 servers, Redis", 3, url), ("1 server", 1, None)):
            async with app_servers(count, redis_url) as running:
                ports = [port for port, _ in running]
                fetch = await fetch_latency(ports, args.sockets, args.repeats)
                broadcast = await broadcast_rate(ports, args.clients // count, args.messages)
            print(f"{label}: {fetch}; {broadcast}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cluster", description=__doc__)
    parser.add_argument("--sockets", type=int, default=1000, help="sockets per server to fetch")
    parser.add_argument("--clients", type=int, default=1500, help="clients of the broadcast")
    parser.add_argument("--messages", type=int, default=100, help="events broadcast")
    parser.add_argument("--repeats", type=int, default=20, help="fetch_sockets calls timed")
    asyncio.run(measure(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
