"""Servers and load drivers as pinned subprocesses, and the CPU and memory they use while
measured."""

from __future__ import annotations

import asyncio
import functools
import json
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

from bench.paths import REPO_ROOT
from bench.procstat import (
    Pinning,
    busy_seconds,
    cpu_seconds,
    prepare_child,
    tree_cpu_seconds,
    tree_rss_kb,
)
from bench.servers import ServerKind

HOST = "127.0.0.1"
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class RunningServer:
    """A server process listening at ``url``."""

    kind: ServerKind
    pid: int
    url: str


@dataclass(frozen=True)
class DriverRun:
    """What a driver reported and what the runner measured around its measured phase."""

    result: dict[str, Any]
    wall_s: float
    server_cpu_s: float
    driver_cpu_s: float
    #: CPU time other processes and the kernel took on the server's CPU; None unpinned.
    others_cpu_s: float | None
    #: The server's resident memory in KiB when the measured phase started and ended.
    server_rss_kb: tuple[int, int]


def free_port() -> int:
    """A TCP port of 127.0.0.1 nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


async def _spawn(
    command: list[str], cpus: frozenset[int] | None, **options: Any
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *command, cwd=REPO_ROOT, preexec_fn=functools.partial(prepare_child, cpus), **options
    )


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()


async def _wait_listening(process: asyncio.subprocess.Process, port: int) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        if process.returncode is not None:
            raise RuntimeError(f"server exited with status {process.returncode} before listening")
        try:
            _, writer = await asyncio.open_connection(HOST, port)
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"server did not listen on port {port}") from None
            await asyncio.sleep(0.05)
        else:
            writer.close()
            await writer.wait_closed()
            return


@asynccontextmanager
async def listening(
    command: list[str],
    port: int,
    cpus: frozenset[int] | None,
    env: dict[str, str] | None = None,
) -> AsyncIterator[int]:
    """Run ``command``, pinned to ``cpus``, in ``env`` (this process's when None), until it
    listens on ``port``; yields its pid and stops it on exit."""
    process = await _spawn(command, cpus, stdout=asyncio.subprocess.DEVNULL, env=env)
    try:
        await _wait_listening(process, port)
        yield process.pid
    finally:
        await _stop(process)


@asynccontextmanager
async def running_server(
    kind: ServerKind, cpus: frozenset[int] | None
) -> AsyncIterator[RunningServer]:
    """Start ``kind`` on a free port of 127.0.0.1, pinned to ``cpus``; stop it on exit."""
    port = free_port()
    async with listening(kind.command(HOST, port), port, cpus, kind.environment) as pid:
        yield RunningServer(kind, pid, f"http://{HOST}:{port}")


async def _read_json(process: asyncio.subprocess.Process, timeout: float) -> dict[str, Any]:
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), timeout)
    if not line:
        raise RuntimeError(f"driver exited with status {await process.wait()} without a result")
    result: dict[str, Any] = json.loads(line)
    return result


async def drive(
    command: list[str],
    server_pid: int,
    pinning: Pinning,
    timeout: float,
    during: Callable[[], AbstractAsyncContextManager[Any]] = nullcontext,
) -> DriverRun:
    """Run a driver against a server; measure the server's CPU time and memory while the
    driver runs its measured phase (between its ready line and its result line).

    ``during()`` is entered just before the measured phase and left right after it.
    stdin stays open until the measurement is read: a driver may hold its connections
    until then.
    """
    process = await _spawn(
        command, pinning.driver, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdin is not None
    server_core = pinning.server or frozenset()
    try:
        await _read_json(process, timeout)
        async with during():
            rss_before = tree_rss_kb(server_pid)
            server_before, driver_before = tree_cpu_seconds(server_pid), cpu_seconds(process.pid)
            core_before = busy_seconds(server_core)
            started = time.perf_counter()
            process.stdin.write(b"go\n")
            result = await _read_json(process, timeout)
            wall = time.perf_counter() - started
            server_cpu = tree_cpu_seconds(server_pid) - server_before
            driver_cpu = cpu_seconds(process.pid) - driver_before
            core_busy = busy_seconds(server_core) - core_before
            rss_after = tree_rss_kb(server_pid)
        process.stdin.close()
        await asyncio.wait_for(process.wait(), timeout)
    finally:
        await _stop(process)
    others = max(core_busy - server_cpu, 0.0) if pinning.server is not None else None
    return DriverRun(result, wall, server_cpu, driver_cpu, others, (rss_before, rss_after))
