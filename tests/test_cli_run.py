"""``sioapp run`` and ``sioapp docs serve`` as real processes, stopped with real signals."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio

from sioapp._app.cluster import REDIS_URL_ENV
from sioapp.testing import free_port

START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
#: Seconds the server may take to drop a client whose request headers never end.
CLOSE_TIMEOUT = 10.0
#: A request whose last header never ends.
ENDLESS_HEAD = b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: "
#: How much of that header the client sends at most: far beyond any sane limit.
ENDLESS_HEAD_BYTES = 1024 * 1024
CHUNK = 1024

PROBE_APP = '''\
"""Echoes, broadcasts and writes every disconnect reason to $PROBE_REASONS."""

import asyncio
import os
from pathlib import Path

from sioapp import DisconnectReason, Router, SioApp

router = Router()
REASONS = Path(os.environ["PROBE_REASONS"])


@router.on("echo")
async def echo(value: str) -> str:
    return value


@router.on("nap")
async def nap(seconds: float) -> str:
    await asyncio.sleep(seconds)
    return f"rested {seconds}"


@router.on("whoami")
async def whoami() -> list[str | int | None]:
    return [os.getpid(), os.environ.get("SIOAPP_REDIS_URL")]


@router.on("shout")
async def shout(text: str) -> None:
    await app.emit("heard", text)


@router.on("survey")
async def survey(question: str) -> int:
    """Ask every client, whichever process holds it; how many answered."""
    answers = await app.timeout(5).emit_with_ack("question", question)
    return len(answers.responses)


@router.on_disconnect
async def gone(reason: DisconnectReason) -> None:
    with REASONS.open("a") as reasons:
        reasons.write(reason.value + "\\n")


app = SioApp(title="Probe", cookie="io")  # the io cookie names each session, for balancers
app.include_router(router)
'''


BROKEN_APP = """\
from dependency_injector import providers

from sioapp import Container, SioApp


def connect_database() -> None:
    raise RuntimeError("no database")


class AppContainer(Container):
    database = providers.Resource(connect_database)


app = SioApp(container=AppContainer())
"""


class Served:
    """A child process whose output goes to a log file."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                args, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_port(self, port: int) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"exited with {self.process.returncode}:\n{self.output()}")
            with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
            time.sleep(0.05)
        raise AssertionError(f"nothing listens on {port}:\n{self.output()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Any]:
    """``spawn(args, env=...)``: a child process in ``tmp_path``, killed after the test."""
    children: list[Served] = []
    reasons = tmp_path / "reasons.txt"

    def start(args: list[str], **env: str) -> Served:
        child = Served(
            args,
            cwd=tmp_path,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "PROBE_REASONS": str(reasons), **env},
            log=tmp_path / f"process-{len(children)}.log",
        )
        children.append(child)
        return child

    yield start
    for child in children:
        child.stop()


@pytest.fixture
def probe(tmp_path: Path) -> Path:
    """The probe app as ``tmp_path/probe.py``; returns the reasons file its handlers write."""
    (tmp_path / "probe.py").write_text(PROBE_APP)
    return tmp_path / "reasons.txt"


def sioapp_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "sioapp.cli", *args]


async def connected(
    url: str, transport: str = "websocket"
) -> tuple[socketio.AsyncClient, asyncio.Queue[str]]:
    """A client and the queue of the reasons it was disconnected for."""
    client = socketio.AsyncClient(reconnection=False)
    reasons: asyncio.Queue[str] = asyncio.Queue()

    @client.event
    async def disconnect(reason: str) -> None:
        reasons.put_nowait(reason)

    await client.connect(url, transports=[transport], wait_timeout=5)
    return client, reasons


def dropped_endless_head(port: int) -> bool:
    """Send a request head that does not end until the server closes the connection;
    whether it did within CLOSE_TIMEOUT."""
    with socket.create_connection(("127.0.0.1", port), timeout=CLOSE_TIMEOUT) as raw:
        try:
            raw.sendall(ENDLESS_HEAD)
            for _ in range(ENDLESS_HEAD_BYTES // CHUNK):
                raw.sendall(b"x" * CHUNK)
            while raw.recv(CHUNK):  # the server's refusal, if it comes before the close
                pass
        except TimeoutError:
            return False
        except (BrokenPipeError, ConnectionResetError):
            pass
    return True


async def stopped(child: Served, signum: int) -> int:
    """Send ``signum`` and return the exit status, which must come within STOP_TIMEOUT."""
    child.process.send_signal(signum)
    started = time.monotonic()
    while child.process.poll() is None:
        assert time.monotonic() - started < STOP_TIMEOUT, child.output()
        await asyncio.sleep(0.05)
    return child.process.returncode


@pytest.mark.parametrize(
    ("signum", "configured"),
    [(signal.SIGTERM, False), (signal.SIGINT, True)],
    ids=["SIGTERM, APP argument", "SIGINT, APP in pyproject.toml"],
)
async def test_run_serves_and_stops_gracefully(
    spawn: Any, probe: Path, tmp_path: Path, signum: int, configured: bool
) -> None:
    port = free_port()
    if configured:
        (tmp_path / "pyproject.toml").write_text('[tool.sioapp]\napp = "probe:app"\n')
    target = [] if configured else ["probe:app"]
    child = spawn(sioapp_command("run", *target, "--port", str(port)), **{REDIS_URL_ENV: ""})
    child.wait_for_port(port)
    client, reasons = await connected(f"http://127.0.0.1:{port}")

    assert await client.call("echo", "hello", timeout=5) == "hello"
    assert await client.call("whoami", timeout=5) == [child.process.pid, ""]
    naps: asyncio.Queue[str] = asyncio.Queue()
    await client.emit("nap", 0.5, callback=naps.put_nowait)
    await asyncio.sleep(0.1)  # the handler is running when the signal comes
    status = await stopped(child, signum)

    assert status == 0, child.output()
    assert naps.get_nowait() == "rested 0.5"  # an event in flight is answered before leaving
    assert await asyncio.wait_for(reasons.get(), 5) == client.reason.SERVER_DISCONNECT
    assert probe.read_text().splitlines() == ["server shutting down"]
    assert "Traceback" not in child.output()
    await client.disconnect()


@pytest.mark.parametrize("ws", ["websockets-sansio", "wsproto"])
async def test_run_serves_websockets_through_uvicorn_when_asked(
    spawn: Any, probe: Path, ws: str
) -> None:
    port = free_port()
    command = sioapp_command("run", "probe:app", "--port", str(port), "--ws", ws)
    child = spawn(command, **{REDIS_URL_ENV: ""})
    child.wait_for_port(port)
    client, _ = await connected(f"http://127.0.0.1:{port}")
    assert await client.call("echo", "hello", timeout=5) == "hello"
    await client.disconnect()
    assert await stopped(child, signal.SIGTERM) == 0, child.output()


async def test_reload_serves_the_new_code_and_disconnects_cleanly(
    spawn: Any, probe: Path, tmp_path: Path
) -> None:
    port = free_port()
    child = spawn(sioapp_command("run", "probe:app", "--port", str(port), "--reload"))
    child.wait_for_port(port)
    url = f"http://127.0.0.1:{port}"
    client, reasons = await connected(url)
    assert await client.call("echo", "before", timeout=10) == "before"

    source = tmp_path / "probe.py"
    source.write_text(source.read_text().replace("return value", "return value.upper()"))

    assert await asyncio.wait_for(reasons.get(), START_TIMEOUT) == client.reason.SERVER_DISCONNECT
    deadline = time.monotonic() + START_TIMEOUT
    while True:  # the new server process takes a moment to accept connections
        try:
            reloaded, _ = await connected(url)
            break
        except socketio.exceptions.ConnectionError:
            assert time.monotonic() < deadline, child.output()
            await asyncio.sleep(0.1)
    assert await reloaded.call("echo", "after", timeout=10) == "AFTER"
    assert await stopped(child, signal.SIGTERM) == 0, child.output()
    assert probe.read_text().splitlines() == ["server shutting down"] * 2
    await reloaded.disconnect()
    await client.disconnect()


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
@pytest.mark.redis
async def test_workers_share_rooms_through_redis_and_stop_together(spawn: Any, probe: Path) -> None:
    redis_port, port = free_port(), free_port()
    redis = spawn(
        [
            *("redis-server", "--port", str(redis_port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no"),
        ]
    )
    redis.wait_for_port(redis_port)
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    command = sioapp_command("run", "probe:app", "--port", str(port), "--workers", "2")
    child = spawn([*command, "--redis-url", redis_url], **{REDIS_URL_ENV: ""})
    child.wait_for_port(port)

    clients: dict[int, tuple[socketio.AsyncClient, asyncio.Queue[str]]] = {}
    for _ in range(2):  # new sessions go to the workers in turn
        client, reasons = await connected(f"http://127.0.0.1:{port}")
        pid, seen_url = await client.call("whoami", timeout=5)
        assert seen_url == redis_url
        clients[pid] = (client, reasons)
    assert len(clients) == 2, "both connections went to the same worker"
    assert child.process.pid not in clients
    (first, _), (second, second_reasons) = clients.values()
    heard: asyncio.Queue[str] = asyncio.Queue()
    second.on("heard", heard.put_nowait)

    await first.emit("shout", "across workers")

    assert await asyncio.wait_for(heard.get(), 5) == "across workers"
    assert await stopped(child, signal.SIGTERM) == 0, child.output()
    assert await asyncio.wait_for(second_reasons.get(), 5) == second.reason.SERVER_DISCONNECT
    assert probe.read_text().splitlines().count("server shutting down") == 2
    for client, _ in clients.values():
        await client.disconnect()


async def test_a_worker_that_fails_to_start_stops_the_others(spawn: Any, tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text(BROKEN_APP)
    # The app fails before it would reach Redis, so nothing needs to listen there.
    command = sioapp_command("run", "broken:app", "--port", str(free_port()), "--workers", "2")
    child = spawn([*command, "--redis-url", f"redis://127.0.0.1:{free_port()}/0"])

    assert child.process.wait(START_TIMEOUT * 2) == 1, child.output()
    assert "no database" in child.output()
    assert "exited with status 3 before it started serving; stopping the others" in child.output()


async def test_docs_serve_shows_the_contract(spawn: Any, probe: Path) -> None:
    port = free_port()
    child = spawn(sioapp_command("docs", "serve", "probe:app", "--port", str(port)))
    child.wait_for_port(port)

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        page = await http.get("/")
        document = (await http.get("/asyncapi.json")).json()
        yaml_document = await http.get("/asyncapi.yaml")

    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert "Probe" in page.text
    assert document["info"]["title"] == "Probe"
    assert "asyncapi: 3.0.0" in yaml_document.text
    assert await stopped(child, signal.SIGTERM) == 0, child.output()


@pytest.mark.parametrize(("level", "shown"), [("info", True), ("warning", False)])
def test_run_shows_sioapp_records_as_uvicorn_does(
    spawn: Any, probe: Path, level: str, shown: bool
) -> None:
    port = free_port()
    child = spawn(sioapp_command("run", "probe:app", "--port", str(port), "--log-level", level))
    # The app logs it at startup, which uvicorn completes before it listens.
    child.wait_for_port(port)

    startup = "INFO:     Socket.IO at /socket.io/ accepts the same origin only"
    assert (startup in child.output()) is shown, child.output()


async def test_run_drops_a_client_whose_headers_never_end(spawn: Any, probe: Path) -> None:
    port = free_port()
    child = spawn(sioapp_command("run", "probe:app", "--port", str(port)))
    child.wait_for_port(port)

    assert await asyncio.to_thread(dropped_endless_head, port), child.output()
    assert "Invalid HTTP request received." in child.output()
    for transport in ("polling", "websocket"):  # others are still served
        client, _ = await connected(f"http://127.0.0.1:{port}", transport)
        assert await client.call("echo", transport, timeout=5) == transport
        await client.disconnect()
