"""The well-behaved client that stays connected through a whole fuzz campaign.

It joins the watch room, so the target's ticker sends it ``tick`` 0, 1, 2...;
it checks each arrives once and in order, and now and then asks for an echo
with an ack and checks the answer. Its thread reads and answers pings itself.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from bench.fuzz.target import WATCH_ROOM

ECHO_EVERY = 25  # ticks


@dataclass
class WatcherReport:
    """What the well-behaved client saw."""

    #: The first tick received (it joined after the ticker started), and the next one due.
    first_tick: int | None = None
    next_tick: int = 0
    acks: int = 0
    echoes_sent: int = 0
    #: ``chat`` events other clients sent to the watch room (the fuzz clients may).
    chats: int = 0
    problems: list[str] = field(default_factory=list)
    closed: bool = False


class Watcher:
    """A raw Socket.IO client on its own thread; :meth:`stop` returns its report."""

    def __init__(self, url: str) -> None:
        self.url = url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        self.report = WatcherReport()
        self._pending: dict[int, str] = {}
        self._stopping = threading.Event()
        self._joined = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fuzz-watcher", daemon=True)

    def start(self, timeout: float = 5.0) -> None:
        self._thread.start()
        if not self._joined.wait(timeout):
            raise RuntimeError(f"the watcher could not join: {self.report.problems}")

    def wait_for_ticks(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while (self.report.next_tick < count or self._pending) and time.monotonic() < deadline:
            time.sleep(0.01)

    def stop(self) -> WatcherReport:
        self._stopping.set()
        self._thread.join(10)
        return self.report

    def _run(self) -> None:
        try:
            # WebSocket keepalive pings draw from `random`, which Hypothesis watches: Engine.IO
            # pings are enough.
            with connect(self.url, compression=None, max_size=None, ping_interval=None) as ws:
                self._join(ws)
                while not self._stopping.is_set():
                    try:
                        frame = ws.recv(timeout=0.05)
                    except TimeoutError:
                        continue
                    self._receive(ws, frame)
        except ConnectionClosed as exc:
            self.report.closed = True
            self.report.problems.append(f"connection closed: {exc}")
        except Exception as exc:  # the report must say it, whatever it is
            self.report.problems.append(f"watcher failed: {exc!r}")

    def _join(self, ws: ClientConnection) -> None:
        assert str(ws.recv()).startswith("0")
        ws.send('40{"watcher":true}')
        assert str(ws.recv()).startswith("40{")
        ws.send(f'420["join","{WATCH_ROOM}"]')
        while True:
            frame = ws.recv()
            if isinstance(frame, str) and frame.startswith("430"):
                break
            self._receive(ws, frame)
        self._joined.set()

    def _receive(self, ws: ClientConnection, frame: str | bytes) -> None:
        report = self.report
        if frame == "2":
            ws.send("3")
        elif isinstance(frame, str) and frame.startswith('42["tick",'):
            seq = json.loads(frame[2:])[1]
            if report.first_tick is None:
                report.first_tick = report.next_tick = seq
            if seq != report.next_tick:
                report.problems.append(f"tick {seq} arrived, {report.next_tick} expected")
            report.next_tick = seq + 1
            if report.next_tick % ECHO_EVERY == 0:
                self._echo(ws)
        elif isinstance(frame, str) and frame.startswith('42["chat",'):
            report.chats += 1
        elif isinstance(frame, str) and frame.startswith("43"):
            ack_id, _, body = frame[2:].partition("[")
            expected = self._pending.pop(int(ack_id), None)
            if expected is None or json.loads("[" + body) != [json.loads(expected)]:
                report.problems.append(f"unexpected ack {frame[:100]!r}")
            report.acks += 1
        else:
            report.problems.append(f"unexpected frame {frame[:100]!r}")

    def _echo(self, ws: ClientConnection) -> None:
        ack_id = 1000 + self.report.echoes_sent
        value = json.dumps({"seq": self.report.echoes_sent, "text": "still here é ✓"})
        self._pending[ack_id] = value
        self.report.echoes_sent += 1
        ws.send(f'42{ack_id}["echo",{value}]')
