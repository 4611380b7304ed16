"""``sioapp run --workers N``: every session stays on one worker, whatever the client does.

Real processes: a redis-server and ``sioapp run`` serving the probe app of
tests/test_cli_run.py, reached by python-socketio clients and by plain HTTP/1.1
connections kept alive. socket.io-client and HAProxy: test_workers_js.py.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import socketio

from bench.workers import spread
from sioapp._app.cluster import REDIS_URL_ENV
from sioapp.cli.routing import tag
from sioapp.testing import free_port

from ..test_cli_run import (  # noqa: F401 (fixtures)
    START_TIMEOUT,
    Served,
    probe,
    sioapp_command,
    spawn,
    stopped,
)
from .conftest import RedisServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

WORKERS = 3
POLL = "/socket.io/?EIO=4&transport=polling"
UNKNOWN_SID = b'{"code":1,"message":"Session ID unknown"}'

FLAKY_APP = """\
from pathlib import Path

from sioapp import SioApp

if Path("broken").exists():
    raise RuntimeError("the database is gone")
app = SioApp()
"""


@dataclass
class Workers:
    """A running ``sioapp run --workers N``."""

    child: Served
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def line(self, pattern: str, count: int = 1) -> re.Match[str]:
        """The ``count``-th match of ``pattern`` in the output, once it is printed."""
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            matches = list(re.finditer(pattern, self.child.output()))
            if len(matches) >= count:
                return matches[count - 1]
            assert time.monotonic() < deadline, f"no {pattern!r}:\n{self.child.output()}"
            await asyncio.sleep(0.05)


@pytest.fixture
def start(spawn: Any, redis_server: RedisServer) -> Any:  # noqa: F811
    """``start(app, workers)``: ``sioapp run APP --workers N`` on a free port, serving,
    with Redis."""

    def run(app: str = "probe:app", workers: int = WORKERS) -> Workers:
        if not redis_server.running:
            redis_server.start()
        port = free_port()
        command = sioapp_command("run", app, "--port", str(port), "--workers", str(workers))
        child = spawn([*command, "--redis-url", redis_server.url], **{REDIS_URL_ENV: ""})
        child.wait_for_port(port)  # the port opens once every worker has started
        return Workers(child, port)

    return run


@pytest.mark.usefixtures("probe")
async def test_a_thousand_new_sessions_spread_evenly(start: Any) -> None:
    workers = start()

    counts = await spread(workers.port, 1000, WORKERS)

    print(f"1000 new sessions over {WORKERS} workers: {counts}")
    assert sum(counts) == 1000
    assert max(counts) - min(counts) <= 1, counts


def request(
    connection: http.client.HTTPConnection, method: str, sid: str, body: bytes = b""
) -> Any:
    connection.request(method, f"{POLL}&sid={sid}", body=body or None)
    response = connection.getresponse()
    return response.status, response.read()


def handshake(connection: http.client.HTTPConnection) -> str:
    connection.request("GET", POLL)
    sid: str = json.loads(connection.getresponse().read()[1:])["sid"]
    return sid


@pytest.mark.usefixtures("probe")
def test_a_kept_alive_connection_reaches_every_session_on_its_worker(start: Any) -> None:
    workers = start()
    shared = http.client.HTTPConnection("127.0.0.1", workers.port, timeout=10)
    others = [http.client.HTTPConnection("127.0.0.1", workers.port, timeout=10) for _ in range(2)]
    sids = [handshake(shared), *(handshake(other) for other in others)]
    assert sorted(sid[:2] for sid in sids) == [tag(n) for n in range(WORKERS)]  # one each
    assert shared.sock is not None
    local_address = shared.sock.getsockname()

    # One TCP connection carries requests for the three sessions, in turn, twice.
    for sid in [*sids, *sids]:
        assert request(shared, "POST", sid, b"6") == (200, b"ok")  # a NOOP packet
    for sid in sids:  # larger than what a worker reads at once: 300 kB of NOOP packets
        assert request(shared, "POST", sid, b"\x1e".join([b"6"] * 150_000)) == (200, b"ok")
    for sid in sids:
        status, body = request(shared, "POST", sid, b"40")
        assert (status, body) == (200, b"ok")
        status, body = request(shared, "GET", sid)
        assert status == 200 and body.startswith(b"40{"), body  # the namespace CONNECT
    assert shared.sock is not None and shared.sock.getsockname() == local_address

    # A session no worker holds, on any worker or none, gets Engine.IO's error.
    worker_of = {tag(n): n for n in range(WORKERS)}
    forged = [tag((worker_of[sid[:2]] + 1) % WORKERS) + sid[2:] for sid in sids]
    for sid in [*forged, "__" + "A" * 18, "short"]:
        assert request(shared, "GET", sid) == (400, UNKNOWN_SID), sid
        fresh = http.client.HTTPConnection("127.0.0.1", workers.port, timeout=10)
        assert request(fresh, "POST", sid, b"6") == (400, UNKNOWN_SID), sid
        fresh.close()
    assert shared.sock is not None and shared.sock.getsockname() == local_address
    for connection in [shared, *others]:
        connection.close()


async def connected_client(url: str) -> tuple[socketio.AsyncClient, asyncio.Queue[str], int]:
    """A client on the default transports, reconnecting as shipped: the queue of its
    connects and disconnects, and the pid of its worker."""
    client = socketio.AsyncClient()
    events: asyncio.Queue[str] = asyncio.Queue()
    client.on("connect", lambda: events.put_nowait("connect"))
    client.on("disconnect", lambda reason: events.put_nowait(f"disconnect: {reason}"))
    await client.connect(url, wait_timeout=10)
    assert await events.get() == "connect"
    pid, _ = await client.call("whoami", timeout=10)
    return client, events, pid


@pytest.mark.usefixtures("probe")
async def test_a_dead_worker_takes_only_its_sessions_and_is_restarted(start: Any) -> None:
    workers = start()
    clients = [await connected_client(workers.url) for _ in range(2 * WORKERS)]
    victim = clients[0][2]
    (slot,) = {
        m[1] for m in re.finditer(rf"worker (\d+) \[{victim}\] ready", workers.child.output())
    }

    os.kill(victim, signal.SIGKILL)

    await workers.line(rf"worker {slot} \[{victim}\] was killed by SIGKILL; restarting it in")
    for client, events, pid in clients:
        if pid != victim:
            continue
        assert (await asyncio.wait_for(events.get(), 10)).startswith("disconnect")
        assert await asyncio.wait_for(events.get(), 10) == "connect"  # to another worker
        new_pid, _ = await client.call("whoami", timeout=10)
        assert new_pid != victim
    restarted = int((await workers.line(rf"worker {slot} \[(\d+)\] ready", 2))[1])
    others = [(client, events) for client, events, pid in clients if pid != victim]
    assert all(events.empty() for _, events in others)  # nobody else noticed
    for client, _ in others:
        assert await client.call("echo", "still here", timeout=10) == "still here"

    newcomers = [await connected_client(workers.url) for _ in range(WORKERS)]
    assert restarted in {pid for _, _, pid in newcomers}  # back in the turn
    assert await stopped(workers.child, signal.SIGTERM) == 0, workers.child.output()
    for client, _, _ in [*clients, *newcomers]:
        await client.disconnect()


async def test_a_worker_that_keeps_dying_stops_the_set(start: Any, tmp_path: Path) -> None:
    (tmp_path / "flaky.py").write_text(FLAKY_APP)
    workers = start("flaky:app", 2)
    victim = int((await workers.line(r"worker 0 \[(\d+)\] ready"))[1])
    (tmp_path / "broken").touch()  # from now on, the app cannot start

    os.kill(victim, signal.SIGKILL)

    status = await asyncio.to_thread(workers.child.process.wait, 60)
    output = workers.child.output()
    assert status == 1, output
    pauses = re.findall(
        r"worker 0 \[\d+\] (?:was killed by SIGKILL|exited with status 1); "
        r"restarting it in ([\d.]+) s",
        output,
    )
    assert pauses == ["0.5", "1.0", "2.0", "4.0"], output
    assert "5 times in a row within 30 s of starting; stopping every worker" in output
    assert output.count("Finished server process") == 1  # worker 1 stopped gracefully


#: Recovery on: ``app`` keeps sessions 2 minutes, ``brief`` 1 second and writes each
#: expired one to expired.txt.
RECOVERING_APP = """\
import json
import os
from pathlib import Path

from redis.asyncio import Redis

from sioapp import ConnectionStateRecovery, ExpiredSession, Router, SioApp, Socket

router = Router()


@router.on("settle")
async def settle(name: str, socket: Socket) -> int:
    await socket.join("lobby")
    socket.data["name"] = name
    return os.getpid()


@router.on("checkpointed")
async def checkpointed() -> int:
    \"\"\"How many live sessions Redis holds a checkpoint of, settled.\"\"\"
    redis = Redis.from_url(os.environ["SIOAPP_REDIS_URL"])
    try:
        sessions = [
            json.loads(raw)
            async for key in redis.scan_iter("socketio#live#*")
            for raw in (await redis.hgetall(key)).values()
        ]
    finally:
        await redis.aclose()
    return sum(
        session["rooms"] == ["lobby"] and "name" in session["data"] for session in sessions
    )


@router.on("status")
async def status(socket: Socket) -> dict[str, object]:
    return {
        "pid": os.getpid(),
        "recovered": socket.recovered,
        "rooms": sorted(room for room in socket.rooms if room != socket.id),
        "name": socket.data.get("name"),
    }


@router.on("shout")
async def shout(text: str) -> None:
    await app.emit("heard", text)


app = SioApp(connection_state_recovery=ConnectionStateRecovery(max_disconnection_duration=120))
app.include_router(router)
brief = SioApp(connection_state_recovery=ConnectionStateRecovery(max_disconnection_duration=1))
brief.include_router(router)


@brief.on_session_expired
def expired(session: ExpiredSession) -> None:
    with Path("expired.txt").open("a") as file:
        file.write(f"{os.getpid()} {session.id} {session.data['name']}\\n")
"""


async def test_the_sessions_of_a_killed_worker_nobody_resumes_expire_on_another(
    start: Any, tmp_path: Path
) -> None:
    """A worker killed without a word leaves checkpoints: once it has been gone from
    Redis a while, another worker keeps them, and reports each one expired in time."""
    (tmp_path / "recovering.py").write_text(RECOVERING_APP)
    workers = start("recovering:brief")
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(workers.url, transports=["websocket"], wait_timeout=10)
    victim = await client.call("settle", "ann", timeout=10)
    deadline = time.monotonic() + 10
    while not await client.call("checkpointed", timeout=10):
        assert time.monotonic() < deadline, "the session was never checkpointed"
        await asyncio.sleep(0.05)
    sid = client.get_sid("/")

    os.kill(victim, signal.SIGKILL)

    await workers.line(r"is gone from Redis: 1 of its sessions kept for recovery")
    expired = tmp_path / "expired.txt"
    deadline = time.monotonic() + 10
    while not expired.exists() or not expired.read_text().endswith("\n"):
        assert time.monotonic() < deadline, "the session was never reported expired"
        await asyncio.sleep(0.05)
    reporter, reported_sid, name = expired.read_text().split()
    assert (reported_sid, name) == (sid, "ann")
    assert int(reporter) != victim
    await client.disconnect()
    assert await stopped(workers.child, signal.SIGTERM) == 0, workers.child.output()
