"""``sioapp run --workers N``: one supervisor process, N worker processes, sticky sessions.

Engine.IO's long-polling sends each session's requests over several HTTP
connections, and all of them must reach the process holding the session. So
the supervisor, not the workers, accepts every connection on the port. It reads
the connection's first request line and hands the connection over, with the
bytes read, to the worker named by the line's ``sid`` (`sioapp.cli.routing`);
a connection without one (a new session, a REST call) goes to the next ready
worker in turn. The worker then serves it directly (`sioapp.cli.worker`): the
supervisor costs one read and one hand-over per connection, nothing per request
or per WebSocket frame.

A worker that dies takes only its sessions with it: the supervisor restarts it,
and its clients reconnect to the others meanwhile. A worker that keeps dying
soon after it starts is restarted after longer and longer pauses, and after
`MAX_QUICK_DEATHS` in a row the supervisor stops every worker and exits with
status 1, for the process manager to see. The port opens once every worker has
started; if one fails to start, the others are stopped and the status is 1.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import socket
import time
from multiprocessing.process import BaseProcess
from typing import Final

import uvicorn
from uvicorn.server import HANDLED_SIGNALS

from sioapp.cli import handoff
from sioapp.cli.handoff import Channel
from sioapp.cli.reception import Reception
from sioapp.cli.routing import owner, request_line
from sioapp.cli.worker import work

__all__ = ["supervise"]

logger = logging.getLogger("uvicorn.error")

#: Seconds workers get to shut down after SIGTERM before they are killed.
WORKER_GRACE: Final = 30.0
#: A worker that dies within this many seconds of starting died quickly.
QUICK: Final = 30.0
#: The pause before restarting a worker that died quickly, doubled each time in a row.
RESTART_PAUSE: Final = 0.5
#: Quick deaths in a row after which the supervisor gives up.
MAX_QUICK_DEATHS: Final = 5


def _ended(process: BaseProcess) -> str:
    """How ``process`` ended, in words."""
    code = process.exitcode
    if code is None or code >= 0:
        return f"exited with status {code}"
    try:
        return f"was killed by {signal.Signals(-code).name}"
    except ValueError:
        return f"was killed by signal {-code}"


class Slot:
    """One worker's place: its current process, channel and history."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.process: BaseProcess | None = None
        self.channel: Channel | None = None
        self.ready = False
        self.started = 0.0
        self.quick_deaths = 0
        self.exited = asyncio.Event()  # the current process has ended


class Supervisor:
    """Runs ``config.workers`` workers behind ``listener`` until SIGINT or SIGTERM."""

    def __init__(self, config: uvicorn.Config, gc_threshold: int, listener: socket.socket) -> None:
        self.config = config
        self.gc_threshold = gc_threshold
        self.listener = listener
        self.slots = [Slot(index) for index in range(config.workers)]
        self.status = 0
        self._spawn = multiprocessing.get_context("spawn")
        self._turn = 0
        self._serving = False
        self._stopping = False
        self._stop = asyncio.Event()

    async def run(self) -> int:
        """Serve until stopped; the exit status."""
        loop = asyncio.get_running_loop()
        for signum in HANDLED_SIGNALS:
            loop.add_signal_handler(signum, self._stop.set)
        self._reception = Reception(self.listener, self.route)
        for slot in self.slots:
            self._start(slot)
        await self._stop.wait()
        await self._stop_all()
        return self.status

    # ---- routing -----------------------------------------------------------------

    def route(self, fd: int, head: bytes) -> None:
        """Hand connection ``fd``, whose first bytes are ``head``, to its worker."""
        line = request_line(head)
        named = owner(line, len(self.slots)) if line is not None else None
        slot = self._choose(named)
        if slot is None or slot.channel is None:
            os.close(fd)  # no worker is ready: the client tries again
            return
        slot.channel.send(fd, head)

    def _choose(self, named: int | None) -> Slot | None:
        if named is not None and self.slots[named].ready:
            return self.slots[named]
        ready = [slot for slot in self.slots if slot.ready]
        if not ready:
            return None
        self._turn += 1
        return ready[self._turn % len(ready)]

    def _received(self, slot: Slot, connection: socket.socket | None, head: bytes) -> None:
        if connection is None:
            self._ready(slot)
        else:
            self.route(connection.detach(), head)

    # ---- workers -----------------------------------------------------------------

    def _start(self, slot: Slot) -> None:
        if self._stopping:
            return
        mine, theirs = handoff.pair()
        process = self._spawn.Process(
            target=work,
            args=(self.config, theirs, slot.index, len(self.slots), self.gc_threshold),
            name=f"sioapp-worker-{slot.index}",
        )
        process.start()
        theirs.close()
        slot.process, slot.ready, slot.started = process, False, time.monotonic()
        slot.exited = asyncio.Event()
        slot.channel = Channel(
            mine, lambda conn, head: self._received(slot, conn, head), lambda: None
        )
        asyncio.get_running_loop().add_reader(process.sentinel, self._exited, slot)

    def _ready(self, slot: Slot) -> None:
        assert slot.process is not None
        slot.ready = True
        logger.info("worker %d [%s] ready", slot.index, slot.process.pid)
        if not self._serving and all(slot.ready for slot in self.slots):
            self._serving = True
            self._reception.open(self.config.backlog)
            logger.info("%d workers serving", len(self.slots))

    def _exited(self, slot: Slot) -> None:
        process = slot.process
        assert process is not None
        asyncio.get_running_loop().remove_reader(process.sentinel)
        process.join()
        pid, ended = process.pid, _ended(process)
        process.close()
        if slot.channel is not None:
            slot.channel.close()
        slot.process, slot.channel, slot.ready = None, None, False
        slot.exited.set()
        if self._stopping:
            return
        if not self._serving:
            logger.error(
                "worker %d [%s] %s before it started serving; stopping the others",
                slot.index,
                pid,
                ended,
            )
            self._give_up()
            return
        quick = time.monotonic() - slot.started < QUICK
        slot.quick_deaths = slot.quick_deaths + 1 if quick else 0
        if slot.quick_deaths >= MAX_QUICK_DEATHS:
            logger.error(
                "worker %d [%s] %s, %d times in a row within %.0f s of starting;"
                " stopping every worker",
                slot.index,
                pid,
                ended,
                slot.quick_deaths,
                QUICK,
            )
            self._give_up()
            return
        pause = RESTART_PAUSE * 2 ** (slot.quick_deaths - 1) if slot.quick_deaths else 0.0
        logger.error("worker %d [%s] %s; restarting it in %.1f s", slot.index, pid, ended, pause)
        asyncio.get_running_loop().call_later(pause, self._start, slot)

    def _give_up(self) -> None:
        self.status = 1
        self._stop.set()

    async def _stop_all(self) -> None:
        """Stop accepting, then stop every worker: SIGTERM, and SIGKILL after WORKER_GRACE."""
        self._stopping = True
        self._reception.close()
        running = [(slot, slot.process) for slot in self.slots if slot.process is not None]
        for _, process in running:
            process.terminate()
        deadline = time.monotonic() + WORKER_GRACE
        for slot, process in running:
            try:
                await asyncio.wait_for(slot.exited.wait(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                logger.error("worker [%s] did not stop in time; killing it", process.pid)
                process.kill()
                await slot.exited.wait()


def supervise(config: uvicorn.Config, gc_threshold: int) -> int:
    """Run ``config.workers`` workers behind one port until SIGINT or SIGTERM; the exit
    status."""
    listener = config.bind_socket()
    try:
        return asyncio.run(Supervisor(config, gc_threshold, listener).run())
    finally:
        listener.close()
