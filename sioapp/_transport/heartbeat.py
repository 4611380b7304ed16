"""The heartbeat of every session of one engine, on a single timer.

A timer per session costs more memory than the rest of an idle session's
state; here one timer ticks every `Heartbeat.tick` seconds and each tick
handles what fell due: PINGs to send, PONG deadlines to check, and every
`WRITER_IDLE` seconds the WebSocket writers idle long enough to stop. A
deadline is late by one tick at most. It is the engine's only liveness check.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Mapping

from sioapp._transport.packets import PING
from sioapp._transport.session import Session

__all__ = ["WRITER_IDLE", "Heartbeat"]

#: Seconds between two looks for idle WebSocket writers to stop (they cost a task each).
WRITER_IDLE = 1.0
#: Ticks per ping interval or ping timeout, whichever is shorter.
_TICKS = 10


class Heartbeat:
    """The PINGs and PONG deadlines of ``sessions``, as Node's engine.io keeps them: a PING
    ``interval`` seconds after the last PONG, ``timed_out(sid)`` ``timeout`` seconds after
    a PING that got no PONG."""

    def __init__(
        self,
        sessions: Mapping[str, Session],
        interval: float,
        timeout: float,
        timed_out: Callable[[str], None],
    ) -> None:
        self.sessions = sessions
        self.interval = interval
        self.timeout = timeout
        self.timed_out = timed_out
        self.tick = min(WRITER_IDLE, interval / _TICKS, timeout / _TICKS)
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

    def stop(self) -> None:
        """Stop ticking; `start` resumes."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def ping_later(self, sid: str) -> None:
        """PING session ``sid`` after the ping interval."""
        self._add(self.interval, sid, None)

    def pong(self, session: Session) -> None:
        """``session`` answered its PING: the next one is due after the interval."""
        if session.last_ping is not None:
            session.last_ping = None
            self.ping_later(session.sid)

    def overdue(self, session: Session) -> bool:
        """Whether ``session`` has left a PING unanswered for most of the ping timeout.

        A WebSocket that drops at that moment (uvicorn's own keepalive may notice a
        dead peer first) died of a ping timeout.
        """
        sent = session.last_ping
        return sent is not None and time.time() - sent >= self.timeout / 2

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
        sessions = self.sessions
        for sid, sent in self._due.pop(self.beats, ()):
            session = sessions.get(sid)
            if session is None or session.closed:
                continue
            if sent is None:
                sent = session.last_ping = time.time()
                session.queue.put(PING)
                self._add(self.timeout, sid, sent)
            elif session.last_ping == sent:
                self.timed_out(sid)
        if self.beats % self._sweep_every == 0:
            self.sweeps += 1
            for session in sessions.values():
                if session.writer is not None:
                    session.retire_idle_writer(self.sweeps)
        if sessions or self._due:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_at(self._epoch + (self.beats + 1) * self.tick, self._beat)
        else:
            self._timer = None
