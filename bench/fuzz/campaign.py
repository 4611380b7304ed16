"""A fuzz campaign: hostile sessions against a live target process, then the verdict.

The target runs in its own process (``bench.fuzz.target``) and logs every record
at WARNING or above; a :class:`Watcher` stays connected throughout. Hypothesis
draws the sessions (seeded, generation only: a failure shows in the logs, not in
one example, so there is nothing to shrink). The campaign fails if the process
died, if any record carries a traceback, if anything else reached its stderr as
a traceback, or if the watcher missed a tick, an ack, or its connection; and
unless every attack got a bounded outcome: no error reply longer than
`MAX_ERROR_REPLY`, no request from a foreign origin served, every stalled POST
ended by the server, nothing left held once the clients are gone, and the
target's peak memory under `MAX_PEAK_RSS_MIB`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as with_seed
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.sync.client import ClientConnection, connect

from bench.fuzz.frames import Session, describe, polling_body, sessions
from bench.fuzz.target import MAX_PAYLOAD, ORIGIN
from bench.fuzz.watcher import Watcher, WatcherReport

HOST = "127.0.0.1"
PATH = "/socket.io/?EIO=4"
#: Bytes an error reply may take, whatever the client sent.
MAX_ERROR_REPLY = 1_000
#: The target's peak resident memory, MiB: hostile clients must not make it hoard.
MAX_PEAK_RSS_MIB = 300
#: Stalled POSTs the attacker holds open at once.
MAX_STALLED = 50
#: Seconds the target takes to end a session that stopped answering (ping 2 s + timeout 2 s),
#: with room to spare.
SESSION_END = 12.0
#: The hostile clients' WebSocket library complains when the server drops them: silenced.
_CLIENT_LOGGER = logging.getLogger("bench.fuzz.attacker")
_CLIENT_LOGGER.disabled = True
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class FuzzReport:
    """What was sent and what came of it."""

    examples: int = 0
    frames: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    server_alive: bool = False
    ticks_sent: int = 0
    watcher: WatcherReport = field(default_factory=WatcherReport)
    #: Log records at ERROR or above that carry a traceback: each one is a failure.
    tracebacks: list[dict[str, Any]] = field(default_factory=list)
    #: Log records by logger and level (expected: hostile input is logged, without traceback).
    records: Counter[str] = field(default_factory=Counter)
    stderr_tracebacks: list[str] = field(default_factory=list)
    recent: list[dict[str, Any]] = field(default_factory=list)
    #: The longest error reply (ack or ``exception`` event) any hostile client got.
    largest_error_reply: int = 0
    #: Requests with a foreign Origin that were served.
    foreign_served: int = 0
    #: Stalled POSTs held to the end, and those the server ended by itself.
    stalled: int = 0
    stalled_ended: int = 0
    #: Engine.IO sessions the target held once every hostile client had gone.
    held_after: int | None = None
    peak_rss_mib: float = 0.0

    @property
    def missed_ticks(self) -> int:
        first = self.watcher.first_tick
        return self.ticks_sent - self.watcher.next_tick if first is not None else self.ticks_sent

    @property
    def bounded(self) -> bool:
        """Whether every attack got a bounded outcome."""
        return (
            self.largest_error_reply <= MAX_ERROR_REPLY
            and self.foreign_served == 0
            and self.stalled_ended == self.stalled
            and self.held_after == 1  # the watcher's
            and self.peak_rss_mib <= MAX_PEAK_RSS_MIB
        )

    @property
    def ok(self) -> bool:
        return (
            self.server_alive
            and not self.tracebacks
            and not self.stderr_tracebacks
            and not self.watcher.problems
            and self.watcher.first_tick is not None
            and self.missed_ticks == 0
            and self.watcher.acks == self.watcher.echoes_sent > 0
            and self.bounded
        )

    def summary(self) -> str:
        watcher = self.watcher
        received = watcher.next_tick - (watcher.first_tick or 0)
        lines = [
            f"{self.examples} sessions, {self.frames} frames in {self.seconds:.1f} s "
            f"({', '.join(f'{kind} {n}' for kind, n in sorted(self.kinds.items()))})",
            f"server alive: {self.server_alive}",
            f"records with a traceback: {len(self.tracebacks)}; "
            f"tracebacks on stderr: {len(self.stderr_tracebacks)}",
            "records: " + ", ".join(f"{key} {n}" for key, n in self.records.most_common()),
            f"watcher: {received} ticks received of {self.ticks_sent - (watcher.first_tick or 0)}"
            f" sent since it joined, {watcher.acks}/{watcher.echoes_sent} echo acks, "
            f"{watcher.chats} chats from fuzz clients, problems: {watcher.problems or 'none'}",
            f"bounds: largest error reply {self.largest_error_reply} B "
            f"(at most {MAX_ERROR_REPLY}), foreign-origin requests served {self.foreign_served}, "
            f"stalled POSTs ended by the server {self.stalled_ended}/{self.stalled}, "
            f"sessions held afterwards {self.held_after} (the watcher's), "
            f"peak RSS {self.peak_rss_mib:.0f} MiB (at most {MAX_PEAK_RSS_MIB})",
            f"verdict: {'PASS' if self.ok else 'FAIL'}",
        ]
        for record in self.tracebacks[:5]:
            lines.append(f"--- {record['logger']} {record['level']}: {record['message']}")
            lines.append(str(record["traceback"])[-2000:])
        if self.tracebacks:
            lines.append("sessions sent just before the first failure may show in 'recent'")
        return "\n".join(lines)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


class Target:
    """The target app in its own process."""

    def __init__(self, workdir: Path) -> None:
        self.port = _free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.log = workdir / "records.jsonl"
        self.stderr = workdir / "stderr.txt"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> None:
        command = [sys.executable, "-m", "bench.fuzz.target", "--port", str(self.port)]
        with self.stderr.open("wb") as stderr:
            self.process = subprocess.Popen(
                [*command, "--log", str(self.log)],
                cwd=REPO_ROOT,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the target exited with {self.process.returncode}: "
                    f"{self.stderr.read_text()[-2000:]} {self.records()[-3:]}"
                )
            try:
                with socket.create_connection((HOST, self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the target did not start listening")

    def alive(self, http: httpx.Client) -> bool:
        if self.process is None or self.process.poll() is not None:
            return False
        try:
            return http.get("/asyncapi.json", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def peak_rss_mib(self) -> float:
        """The process's peak resident memory (VmHWM), MiB."""
        if self.process is None:
            return 0.0
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def records(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line]


class Attacker:
    """Plays sessions against the target, one after the other, and notes what came back."""

    def __init__(self, url: str, http: httpx.Client, report: FuzzReport) -> None:
        self.ws_url = url.replace("http", "ws", 1) + PATH
        self.http = http
        self.report = report
        self.stalled: list[socket.socket] = []

    def play(self, session: Session) -> None:
        try:
            if session.kind == "websocket":
                self._websocket(session, "&transport=websocket")
            elif session.kind == "polling":
                self._polling(session)
            elif session.kind == "upgrade":
                sid = self._handshake()
                self._websocket(session, f"&transport=websocket&sid={sid}", opened=True)
            elif session.kind == "stall":
                self._stall(session.frames[0])
            else:
                self._request(session)
        except (ConnectionClosed, InvalidHandshake, TimeoutError, OSError, httpx.HTTPError):
            pass  # the server may refuse or drop a hostile client at any point

    def _request(self, session: Session) -> None:
        assert session.request is not None
        request = session.request
        headers = {"Origin": request.origin} if request.origin else {}
        response = self.http.request(
            request.method, f"/socket.io/?{request.query}", content=request.body, headers=headers
        )
        if request.origin not in (None, ORIGIN) and response.status_code < 400:
            self.report.foreign_served += 1

    def _stall(self, start: str | bytes) -> None:
        """A POST that announces a whole payload and sends only its ``start``, held open."""
        sid = self._handshake()
        held = socket.create_connection((HOST, int(self.http.base_url.port or 80)), timeout=5)
        held.sendall(
            f"POST {PATH}&transport=polling&sid={sid} HTTP/1.1\r\nHost: {HOST}\r\n"
            f"Content-Length: {MAX_PAYLOAD}\r\n\r\n".encode()
            + (start if isinstance(start, bytes) else start.encode())
        )
        self.stalled.append(held)
        if len(self.stalled) > MAX_STALLED:
            self.stalled.pop(0).close()

    def release_stalled(self) -> None:
        """Wait for the server to end each stalled POST still held (its session ends)."""
        self.report.stalled = len(self.stalled)
        deadline = time.monotonic() + SESSION_END
        for held in self.stalled:
            held.settimeout(max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(OSError):
                held.recv(1024)  # the answer, or the end of the connection
                self.report.stalled_ended += 1
            held.close()
        self.stalled.clear()

    def _note(self, frame: str | bytes) -> None:
        if isinstance(frame, str) and '"error"' in frame:
            self.report.largest_error_reply = max(self.report.largest_error_reply, len(frame))

    def _handshake(self) -> str:
        response = self.http.get(f"{PATH}&transport=polling")
        return str(json.loads(response.text[1:])["sid"])

    def _websocket(self, session: Session, query: str, opened: bool = False) -> None:
        with connect(
            self.ws_url + query,
            compression=None,
            max_size=None,
            open_timeout=5,
            close_timeout=1,
            ping_interval=None,  # its keepalive pings draw from `random`, which Hypothesis owns
            logger=_CLIENT_LOGGER,
        ) as ws:
            if not opened:
                ws.recv(timeout=5)  # OPEN
            for frame in session.frames:
                ws.send(frame)
            if session.listen:
                _drain(ws, self._note)

    def _polling(self, session: Session) -> None:
        sid = self._handshake()
        url = f"{PATH}&transport=polling&sid={sid}"
        self.http.post(url, content=polling_body(session.frames))
        if session.listen:
            with contextlib.suppress(httpx.TimeoutException):
                for frame in self.http.get(url, timeout=0.05).text.split("\x1e"):
                    self._note(frame)
        else:
            self.http.post(url, content=b"1")  # leave


def _drain(
    ws: ClientConnection, note: Callable[[str | bytes], None], quiet: float = 0.02, most: int = 8
) -> None:
    for _ in range(most):
        try:
            note(ws.recv(timeout=quiet))
        except TimeoutError:
            return


def _settled(http: httpx.Client) -> int:
    """The sessions the target holds once the hostile clients' sessions had time to end."""
    deadline = time.monotonic() + SESSION_END
    while True:
        held = int(http.get("/fuzz/held").json()["sessions"])
        if held <= 1 or time.monotonic() > deadline:
            return held
        time.sleep(0.1)


def run(examples: int, seed: int = 0, workdir: Path | None = None) -> FuzzReport:
    """Send ``examples`` hostile sessions drawn with ``seed``; the report says how it went."""
    with tempfile.TemporaryDirectory(prefix="sioapp-fuzz-") as scratch:
        return _run(examples, seed, workdir or Path(scratch))


def _run(examples: int, seed: int, workdir: Path) -> FuzzReport:
    report = FuzzReport()
    target = Target(workdir)
    target.start()
    try:
        with httpx.Client(base_url=target.url, timeout=5) as http:
            watcher = Watcher(target.url)
            watcher.start()
            attacker = Attacker(target.url, http, report)
            started = time.monotonic()

            @settings(
                max_examples=examples,
                phases=[Phase.generate],
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(sessions())
            def attack(session: Session) -> None:
                report.examples += 1
                report.frames += len(session.frames) or 1
                report.kinds[session.kind] += 1
                report.recent = [*report.recent[-4:], describe(session)]
                attacker.play(session)

            with_seed(seed)(attack)()
            report.seconds = time.monotonic() - started
            attacker.release_stalled()
            report.held_after = _settled(http)
            report.peak_rss_mib = target.peak_rss_mib()
            report.ticks_sent = http.post("/fuzz/stop").json()["ticks"]
            watcher.wait_for_ticks(report.ticks_sent, timeout=10)
            report.watcher = watcher.stop()
            report.server_alive = target.alive(http)
    finally:
        target.stop()
    for record in target.records():
        report.records[f"{record['logger']} {record['level']}"] += 1
        if record["traceback"] and record["level"] in ("ERROR", "CRITICAL"):
            report.tracebacks.append(record)
    stderr = target.stderr.read_text(errors="replace") if target.stderr.exists() else ""
    report.stderr_tracebacks = [
        chunk[:2000] for chunk in stderr.split("Traceback (most recent call last):")[1:]
    ]
    return report
