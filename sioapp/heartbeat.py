"""The heartbeat of every connection of one engine, on a single timer.

A timer per connection costs more memory than the rest of an idle
connection's Engine.IO state; here one timer ticks every `Heartbeat.tick`
seconds and each tick handles what fell due: PINGs to send, PONG deadlines to
check, and every `WRITER_IDLE` seconds the WebSocket writers idle long enough
to stop. A deadline is late by one tick at most.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from typing import TYPE_CHECKING

from engineio import packet as eio_packet

from sioapp.connection import Connection

if TYPE_CHECKING:
    from sioapp.engine import SioEngine

__all__ = ["WRITER_IDLE", "Heartbeat"]

logger = logging.getLogger("sioapp")

#: Seconds between two looks for idle WebSocket writers to stop (they cost a task each).
WRITER_IDLE = 1.0
#: Ticks per ping interval or ping timeout, whichever is shorter.
_TICKS = 10


class Heartbeat:
    """The PINGs and PONG deadlines of ``engine``'s sessions, as Node's engine.io keeps them:
    a PING ``ping_interval`` after the last PONG, the session closed ``ping_timeout``
    after a PING that got no PONG."""

    def __init__(self, engine: SioEngine) -> None:
        self.engine = engine
        self.tick = min(WRITER_IDLE, engine.ping_interval / _TICKS, engine.ping_timeout / _TICKS)
        self.beats = 0
        #: How many times idle writers were looked for.
        self.sweeps = 0
        self._sweep_every = max(1, round(WRITER_IDLE / self.tick))
        #: beat -> (session id, None for a PING to send or the time of the PING to check)
        self._due: dict[int, list[tuple[str, float | None]]] = {}
        self._epoch = 0.0
        self._timer: asyncio.TimerHandle | None = None

    def start(self) -> None:
        """Tick from now on, if not ticking already."""
        if self._timer is None:
            loop = asyncio.get_running_loop()
            self._epoch = loop.time() - self.beats * self.tick
            self._timer = loop.call_at(self._epoch + (self.beats + 1) * self.tick, self._beat)

    def ping_later(self, sid: str) -> None:
        """PING session ``sid`` after the ping interval."""
        self._add(self.engine.ping_interval, sid, None)

    def _add(self, delay: float, sid: str, sent: float | None) -> None:
        beat = self.beats + max(1, math.ceil(delay / self.tick))
        due = self._due.get(beat)
        if due is None:
            self._due[beat] = [(sid, sent)]
        else:
            due.append((sid, sent))
        self.start()

    def _beat(self) -> None:
        self.beats += 1
        engine = self.engine
        sockets = engine.sockets
        for sid, sent in self._due.pop(self.beats, ()):
            socket = sockets.get(sid)
            if not isinstance(socket, Connection) or socket.closing or socket.closed:
                continue
            if sent is None:
                sent = socket.last_ping = time.time()
                socket.queue.put_nowait(eio_packet.Packet(eio_packet.PING))
                self._add(engine.ping_timeout, sid, sent)
            elif socket.last_ping == sent:
                logger.info("%s: no PONG within %s s, closing", sid, engine.ping_timeout)
                engine.ping_timed_out(sid)
        if self.beats % self._sweep_every == 0:
            self.sweeps += 1
            for socket in sockets.values():
                if isinstance(socket, Connection):
                    socket.retire_idle_writer(self.sweeps)
        if sockets or self._due:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_at(self._epoch + (self.beats + 1) * self.tick, self._beat)
        else:
            self._timer = None
