"""One soak run: serve the chat app, let the Node driver chat through it, sample the server
while it does, then check that it let go of everything once the clients disconnected."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from bench.paths import NODE_DIR
from bench.processes import RunningServer, drive, running_server
from bench.procstat import Pinning, rss_kb
from bench.servers import ServerKind
from bench.soak.state import ServerState, read_state

#: Time the server gets to settle before its baseline is read.
BASELINE_PAUSE = 0.5
#: How often the server is read while it settles after the clients disconnected.
SETTLE_POLL = 0.25
#: Spare time for connecting the clients, and after the measured phase, before giving up.
DRIVER_SLACK = 120.0


@dataclass(frozen=True)
class Settings:
    """How big and how long a soak is."""

    clients: int = 1000
    rooms: int = 100
    #: Chat messages each client says per second.
    rate: float = 0.25
    #: Seconds of chatting.
    duration: float = 300.0
    #: Seconds at the start of the chat whose memory samples the RSS slope leaves out.
    warmup: float = 60.0
    #: Seconds between two samples of the server's memory and counts.
    sample_every: float = 5.0
    #: Seconds a sender waits for an ack before counting it missing.
    ack_timeout: float = 30.0
    #: Seconds without any delivery after which the driver stops waiting for more.
    drain: float = 5.0
    #: Seconds the server gets to release everything once the clients disconnected.
    settle: float = 15.0
    #: Seconds between two Engine.IO PINGs to each client.
    ping_interval: float = 25.0
    #: Events the server's connection state recovery log keeps (0: recovery off).
    recovery_log: int = 0

    def server(self) -> ServerKind:
        """The chat server, pinging as set, with recovery when asked."""
        command = [
            sys.executable,
            "-m",
            "bench.soak.server",
            f"--ping-interval={self.ping_interval}",
        ]
        if self.recovery_log:
            command.append(f"--recovery-log={self.recovery_log}")
        return ServerKind("soak", "sioapp chat server for the soak", tuple(command))

    def driver_command(self, url: str) -> list[str]:
        """The Node driver's command line against the server at ``url``."""
        options = {
            "clients": self.clients,
            "rooms": self.rooms,
            "rate": self.rate,
            "duration": self.duration,
            "ack-timeout": self.ack_timeout,
            "drain": self.drain,
        }
        return [
            "node",
            str(NODE_DIR / "soak.mjs"),
            f"--url={url}",
            *(f"--{name}={value}" for name, value in options.items()),
        ]


@dataclass(frozen=True)
class Sample:
    """The server at one moment of the measured phase."""

    #: Seconds since the chat started.
    t: float
    rss_kb: int
    state: ServerState


@dataclass(frozen=True)
class SoakRun:
    """Everything one soak measured."""

    settings: Settings
    #: What the driver reported: messages, deliveries, losses, duplicates, latency.
    driver: dict[str, Any]
    #: Wall-clock and CPU seconds of the measured phase (chat, then drain).
    wall_s: float
    server_cpu_s: float
    driver_cpu_s: float
    #: CPU time other processes took on the server's CPU; None unpinned.
    others_cpu_s: float | None
    samples: list[Sample]
    #: The server before any client connected, and once they all disconnected.
    before: ServerState
    after: ServerState
    #: Seconds the server took to come back to ``before`` (or the whole ``settle``).
    settle_s: float
    rss_before_kb: int
    rss_after_kb: int


class Sampler:
    """Reads the server every ``every`` seconds while entered."""

    def __init__(
        self, server: RunningServer, every: float, progress: Callable[[Sample], None]
    ) -> None:
        self.server = server
        self.every = every
        self.progress = progress
        self.samples: list[Sample] = []

    async def _sample(self, started: float) -> None:
        while True:
            t = time.monotonic() - started
            rss = rss_kb(self.server.pid)
            sample = Sample(t, rss, await read_state(self.server.url, self.server.pid))
            self.samples.append(sample)
            self.progress(sample)
            await asyncio.sleep(max(0.0, started + t + self.every - time.monotonic()))

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Sample from now until the context is left."""
        task = asyncio.create_task(self._sample(time.monotonic()))
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def _baseline(server: RunningServer) -> ServerState:
    await read_state(server.url, server.pid)
    await asyncio.sleep(BASELINE_PAUSE)
    return await read_state(server.url, server.pid)


async def _settled(
    server: RunningServer, baseline: ServerState, within: float
) -> tuple[ServerState, float]:
    """The server's state once nothing exceeds ``baseline``, or after ``within`` seconds."""
    started = time.monotonic()
    while True:
        state = await read_state(server.url, server.pid)
        elapsed = time.monotonic() - started
        if not state.grown_since(baseline) or elapsed >= within:
            return state, elapsed
        await asyncio.sleep(SETTLE_POLL)


async def soak(
    settings: Settings, pinning: Pinning, progress: Callable[[Sample], None] = lambda _: None
) -> SoakRun:
    """Run one soak; ``progress`` sees every sample as it is taken."""
    async with running_server(settings.server(), pinning.server) as server:
        before = await _baseline(server)
        rss_before = rss_kb(server.pid)
        sampler = Sampler(server, settings.sample_every, progress)
        run = await drive(
            settings.driver_command(server.url),
            server.pid,
            pinning,
            timeout=settings.duration + settings.ack_timeout + settings.drain + DRIVER_SLACK,
            during=sampler.running,
        )
        after, settle_s = await _settled(server, before, settings.settle)
        rss_after = rss_kb(server.pid)
    return SoakRun(
        settings=settings,
        driver=run.result,
        wall_s=run.wall_s,
        server_cpu_s=run.server_cpu_s,
        driver_cpu_s=run.driver_cpu_s,
        others_cpu_s=run.others_cpu_s,
        samples=sampler.samples,
        before=before,
        after=after,
        settle_s=settle_s,
        rss_before_kb=rss_before,
        rss_after_kb=rss_after,
    )
