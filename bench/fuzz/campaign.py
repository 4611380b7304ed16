"""A fuzz campaign: hostile sessions against a live target process, then the verdict.

The target runs in its own process (``bench.fuzz.target``) and logs every record
at WARNING or above; a :class:`Watcher` stays connected throughout. Hypothesis
draws the sessions (seeded, generation only: a failure shows in the logs, not in
one example, so there is nothing to shrink). The campaign fails if the process
died, if any record carries a traceback, if anything else reached its stderr as
a traceback, or if the watcher missed a tick, an ack, or its connection.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as with_seed
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.sync.client import ClientConnection, connect

from bench.fuzz.frames import Session, describe, polling_body, sessions
from bench.fuzz.watcher import Watcher, WatcherReport

HOST = "127.0.0.1"
PATH = "/socket.io/?EIO=4"
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

    @property
    def missed_ticks(self) -> int:
        first = self.watcher.first_tick
        return self.ticks_sent - self.watcher.next_tick if first is not None else self.ticks_sent

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
    """Plays sessions against the target, one after the other."""

    def __init__(self, url: str, http: httpx.Client) -> None:
        self.ws_url = url.replace("http", "ws", 1) + PATH
        self.http = http

    def play(self, session: Session) -> None:
        try:
            if session.kind == "websocket":
                self._websocket(session, "&transport=websocket")
            elif session.kind == "polling":
                self._polling(session)
            elif session.kind == "upgrade":
                sid = self._handshake()
                self._websocket(session, f"&transport=websocket&sid={sid}", opened=True)
            else:
                assert session.request is not None
                request = session.request
                self.http.request(
                    request.method, f"/socket.io/?{request.query}", content=request.body
                )
        except (ConnectionClosed, InvalidHandshake, TimeoutError, OSError, httpx.HTTPError):
            pass  # the server may refuse or drop a hostile client at any point

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
                _drain(ws)

    def _polling(self, session: Session) -> None:
        sid = self._handshake()
        url = f"{PATH}&transport=polling&sid={sid}"
        self.http.post(url, content=polling_body(session.frames))
        if session.listen:
            with contextlib.suppress(httpx.TimeoutException):
                self.http.get(url, timeout=0.05)
        else:
            self.http.post(url, content=b"1")  # leave


def _drain(ws: ClientConnection, quiet: float = 0.02, most: int = 8) -> None:
    for _ in range(most):
        try:
            ws.recv(timeout=quiet)
        except TimeoutError:
            return


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
            attacker = Attacker(target.url, http)
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
