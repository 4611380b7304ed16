"""What ``sioapp run --workers N`` gains, and what its routing costs: ``python -m bench.workers``.

Serves the sioapp benchmark app (``bench/servers/sioapp_server.py``) four ways,
then drives workloads of ``python -m bench`` against each, over several rounds
in alternating order:

* ``1 process``: one process, rooms in memory (the default);
* ``1 process + Redis``: one process joined to a throwaway redis-server;
* ``N shared, Redis``: N workers accepting on one listening socket, the kernel
  choosing between them, as ``sioapp run --workers`` served before it routed
  connections: WebSocket-only clients work, long-polling ones do not;
* ``N routed, Redis``: ``sioapp run --workers N``: its supervisor accepts every
  connection and hands it to the worker that holds its session.

Every workload connects over WebSocket, which both multi-worker setups serve:
``echo`` and ``broadcast`` price messages on connections already handed over,
``connect`` the whole life of a connection, hand-over included. Nothing is
pinned: the workers, Redis and the load driver share every CPU. The report
gives the driver's throughput (medians) and the CPU time of every server
process together per operation while measured, with the ratios to ``1 process``;
for routed workers, also the CPU time of their supervisor alone. Last,
``--spread`` new sessions (1,000), each on a new connection, are opened against
the routed workers, and the number each worker got is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import multiprocessing
import os
import socket
import statistics
import sys
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from multiprocessing.synchronize import Event

import uvicorn

from bench.cli import add_settings
from bench.cluster import redis_server
from bench.npm import ensure_node_modules
from bench.paths import REPO_ROOT
from bench.processes import HOST, STARTUP_TIMEOUT, drive, free_port, listening
from bench.procstat import Pinning, cpu_seconds, tree_cpu_seconds
from bench.servers.sioapp_server import app as bench_app
from bench.workloads import WORKLOADS
from sioapp._app.cluster import REDIS_URL_ENV
from sioapp.cli.discovery import AppTarget
from sioapp.cli.routing import tag
from sioapp.cli.runner import RunOptions, Server, uvicorn_config

APP = "bench.servers.sioapp_server:app"
TARGET = AppTarget("bench.servers.sioapp_server", "app", REPO_ROOT, bench_app)
UNPINNED = Pinning(server=None, driver=None)
#: Handshakes in flight at once while measuring the spread.
SPREAD_CONCURRENCY = 20


@dataclass(frozen=True)
class Setup:
    """One way of serving the app."""

    name: str
    workers: int
    redis: bool
    #: Several workers on one shared socket, rather than routed by ``sioapp run``.
    shared: bool = False


@dataclass
class Figures:
    """One workload's runs on one setup: CPU times per operation, measured phase only."""

    rates: list[float] = field(default_factory=list)
    #: Of every process of the setup together.
    cpu_us: list[float] = field(default_factory=list)
    #: Of the supervisor alone, in routed setups.
    supervisor_us: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Served:
    """A running setup: the pid the driver watches, the CPU time of all its processes, and
    whether that pid is a supervisor routing connections to workers."""

    pid: int
    url: str
    cpu: Callable[[], float]
    routes: bool = False


@asynccontextmanager
async def _spending(cpu: Callable[[], float], spent: list[float]) -> AsyncIterator[None]:
    """Append to ``spent`` the CPU time ``cpu`` grew by during the block."""
    before = cpu()
    yield
    spent.append(cpu() - before)


# ---- the shared socket, for comparison ---------------------------------------


class _Announcing(Server):
    """sioapp's server, setting ``ready`` once it serves."""

    def __init__(self, config: uvicorn.Config, gc_threshold: int, ready: Event) -> None:
        super().__init__(config, gc_threshold)
        self.ready = ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self.ready.set()


def _shared_worker(
    config: uvicorn.Config, listener: socket.socket, gc_threshold: int, ready: Event
) -> None:
    config.configure_logging()
    _Announcing(config, gc_threshold, ready).run([listener])


@contextmanager
def _environ(name: str, value: str) -> Iterator[None]:
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            del os.environ[name]
        else:
            os.environ[name] = previous


@asynccontextmanager
async def shared_socket(workers: int, redis_url: str) -> AsyncIterator[Served]:
    """``workers`` processes serving the app on one socket, with ``sioapp run``'s settings."""
    options = RunOptions(host=HOST, port=free_port(), workers=workers, log_level="warning")
    config = uvicorn_config(TARGET, options)
    listener = config.bind_socket()
    spawn = multiprocessing.get_context("spawn")
    ready = [spawn.Event() for _ in range(workers)]
    processes = [
        spawn.Process(target=_shared_worker, args=(config, listener, options.gc_threshold, event))
        for event in ready
    ]
    with _environ(REDIS_URL_ENV, redis_url):  # the workers' app joins Redis
        for process in processes:
            process.start()
    try:
        for event in ready:
            if not await asyncio.to_thread(event.wait, STARTUP_TIMEOUT):
                raise RuntimeError("a shared-socket worker did not start")
        pids = [process.pid for process in processes if process.pid is not None]
        yield Served(pids[0], f"http://{HOST}:{options.port}", lambda: sum(map(cpu_seconds, pids)))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            await asyncio.to_thread(process.join, 10.0)
            if process.is_alive():
                process.kill()
                process.join()
        listener.close()


@asynccontextmanager
async def served(setup: Setup, redis_url: str) -> AsyncIterator[Served]:
    """The app served as ``setup`` says, until the block ends."""
    if setup.shared:
        async with shared_socket(setup.workers, redis_url) as running:
            yield running
        return
    port = free_port()
    command = [sys.executable, "-m", "sioapp.cli", "run", APP, "--host", HOST]
    command += ["--port", str(port), "--log-level", "warning", "--workers", str(setup.workers)]
    if setup.redis:
        command += ["--redis-url", redis_url]
    # The port opens once every worker has started.
    async with listening(command, port, None) as pid:
        yield Served(pid, f"http://{HOST}:{port}", lambda: tree_cpu_seconds(pid), setup.workers > 1)


# ---- sessions per worker -----------------------------------------------------


async def _handshake(port: int) -> str:
    """The id of a new Engine.IO session, opened on a new connection."""
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(
            f"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        response = await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()
    body = response.partition(b"\r\n\r\n")[2]
    sid: str = json.loads(body[1:])["sid"]  # the OPEN packet: 0{"sid": ...}
    return sid


async def spread(port: int, sessions: int, workers: int) -> list[int]:
    """Open ``sessions`` sessions on routed workers; how many each worker got, in order."""
    limit = asyncio.Semaphore(SPREAD_CONCURRENCY)

    async def one() -> str:
        async with limit:
            return await _handshake(port)

    sids = await asyncio.gather(*(one() for _ in range(sessions)))
    tags = Counter(sid[:2] for sid in sids)
    return [tags[tag(worker)] for worker in range(workers)]


# ---- the benchmark -----------------------------------------------------------


async def measure(args: argparse.Namespace) -> dict[str, dict[str, Figures]]:
    """Every workload on every setup, ``args.rounds`` times in alternating order."""
    setups = [
        Setup("1 process", 1, redis=False),
        Setup("1 process + Redis", 1, redis=True),
        Setup(f"{args.workers} shared, Redis", args.workers, redis=True, shared=True),
        Setup(f"{args.workers} routed, Redis", args.workers, redis=True),
    ]
    figures = {w: {s.name: Figures() for s in setups} for w in args.workloads}
    async with redis_server() as redis_url:
        for round_ in range(args.rounds):
            order = setups if round_ % 2 == 0 else setups[::-1]
            for setup in order:
                for name in args.workloads:
                    workload = WORKLOADS[name]
                    spent: list[float] = []
                    async with served(setup, redis_url) as server:
                        run = await drive(
                            workload.command(server.url, args),
                            server.pid,
                            UNPINNED,
                            300.0,
                            during=functools.partial(_spending, server.cpu, spent),
                        )
                    operations = run.result["operations"]
                    if run.result.get("errors"):
                        raise RuntimeError(f"{name} on {setup.name}: {run.result}")
                    rate = operations / run.result["seconds"]
                    runs = figures[name][setup.name]
                    runs.rates.append(rate)
                    runs.cpu_us.append(spent[0] / operations * 1e6)
                    if server.routes:
                        runs.supervisor_us.append(run.server_cpu_s / operations * 1e6)
                    print(
                        f"round {round_ + 1} {name:9} {setup.name:20} "
                        f"{rate:9.0f} {workload.units}/s",
                        flush=True,
                    )
    return figures


async def measure_spread(args: argparse.Namespace) -> list[int]:
    """Sessions per routed worker, for ``args.spread`` new sessions."""
    async with redis_server() as redis_url:
        setup = Setup("routed", args.workers, redis=True)
        async with served(setup, redis_url) as server:
            port = int(server.url.rsplit(":", 1)[1])
            return await spread(port, args.spread, args.workers)


def report(figures: dict[str, dict[str, Figures]]) -> str:
    """Medians per workload and setup, and the ratios to the first setup."""
    lines = []
    for name, by_setup in figures.items():
        workload = WORKLOADS[name]
        lines.append(
            f"\n{name}: {workload.units}/s (median), server CPU µs/{workload.unit} while "
            "measured (all its processes; the supervisor alone when routed)"
        )
        baseline = statistics.median(next(iter(by_setup.values())).rates)
        for setup, runs in by_setup.items():
            rate = statistics.median(runs.rates)
            cpu = statistics.median(runs.cpu_us)
            supervisor = (
                f"  supervisor {statistics.median(runs.supervisor_us):5.1f} µs"
                if runs.supervisor_us
                else ""
            )
            lines.append(
                f"  {setup:22} {rate:9.0f}/s  {cpu:7.1f} µs  throughput x{rate / baseline:.2f}"
                + supervisor
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.workers", description=__doc__.split("\n\n")[0] if __doc__ else ""
    )
    parser.add_argument("--workers", type=int, default=2, help="workers to compare (default: 2)")
    parser.add_argument("--rounds", type=int, default=3, help="runs per setup (default: 3)")
    parser.add_argument(
        "--workloads",
        nargs="+",
        default=["echo", "broadcast", "connect"],
        choices=["echo", "broadcast", "connect"],
        help="workloads to run (default: echo broadcast connect)",
    )
    parser.add_argument(
        "--spread",
        type=int,
        default=1000,
        help="new sessions whose spread over routed workers is shown; 0: none (default: 1000)",
    )
    add_settings(parser)
    args = parser.parse_args(argv)
    ensure_node_modules()
    if args.workloads and args.rounds:
        print(report(asyncio.run(measure(args))))
    if args.spread:
        counts = asyncio.run(measure_spread(args))
        print(f"\n{args.spread} new sessions over {args.workers} routed workers: {counts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
