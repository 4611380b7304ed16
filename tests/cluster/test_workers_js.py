"""100 socket.io-client clients against ``sioapp run --workers``, alone and behind HAProxy.

tests/js/workers.mjs connects them (socket.io-client's default transports, or
long-polling only), checks that each is connected and settled on its transport,
then broadcasts from every worker, asks for acks both ways and collects the
acks of every client across workers through Redis.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from sioapp.cli.routing import tag
from sioapp.testing import free_port

from ..node import requires_node, run_script
from ..test_cli_run import probe, spawn, stopped  # noqa: F401 (fixtures)
from .conftest import REPO
from .test_workers import RECOVERING_APP, WORKERS, start  # noqa: F401 (fixtures)

pytestmark = [*requires_node, pytest.mark.slow, pytest.mark.timeout(150)]

HAPROXY_CONFIG = REPO / "docs_src" / "deployment" / "haproxy.cfg"
#: Debian installs it in /usr/sbin, which a user's PATH may leave out.
HAPROXY = shutil.which("haproxy", path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin"]))
CLIENTS = 100
SCRIPT_TIMEOUT = 90.0
TRANSPORTS = pytest.mark.parametrize(
    "transport", ["websocket", "polling"], ids=["default transports", "polling only"]
)


def assert_served(checks: dict[str, Any], transport: str, workers: int) -> None:
    """Every client served, by ``workers`` workers taking new sessions in turn."""
    assert checks["connected"] == {"clients": CLIENTS, "failures": 0}
    assert checks["transports"] == {transport: CLIENTS}
    spread = sorted(checks["workers"].values())
    assert len(spread) == workers, checks["workers"]
    assert spread[-1] - spread[0] <= 1, checks["workers"]
    assert checks["heard everyone"] == CLIENTS  # a broadcast from each worker reached all
    assert checks["echoes"] == CLIENTS
    assert checks["survey"] == CLIENTS  # the acks of every client, on every worker
    assert checks["dropped"] == []


@TRANSPORTS
@pytest.mark.usefixtures("probe")
async def test_every_client_is_served_by_one_worker(start: Any, transport: str) -> None:  # noqa: F811
    workers = start()

    checks = await run_script("workers.mjs", workers.url, transport, SCRIPT_TIMEOUT)

    assert_served(checks, transport, WORKERS)
    ids = checks["engine ids"]
    assert {sid[:2] for sid in ids} == {tag(worker) for worker in range(WORKERS)}
    assert sorted(Counter(sid[:2] for sid in ids).values()) == sorted(checks["workers"].values())
    assert "400 Bad Request" not in workers.child.output()
    assert await stopped(workers.child, signal.SIGTERM) == 0, workers.child.output()


@pytest.mark.skipif(HAPROXY is None, reason="needs haproxy: apt-get install haproxy")
@TRANSPORTS
@pytest.mark.usefixtures("probe")
async def test_haproxy_keeps_each_session_on_its_machine(
    start: Any,  # noqa: F811
    spawn: Any,  # noqa: F811
    transport: str,
) -> None:
    machines = [start(workers=2) for _ in range(2)]
    front = free_port()
    addresses = {
        "SIOAPP_FRONT": f"127.0.0.1:{front}",
        "SIOAPP_MACHINE_1": f"127.0.0.1:{machines[0].port}",
        "SIOAPP_MACHINE_2": f"127.0.0.1:{machines[1].port}",
    }
    assert HAPROXY is not None
    haproxy = spawn([HAPROXY, "-db", "-f", str(HAPROXY_CONFIG)], **addresses)
    haproxy.wait_for_port(front)

    checks = await run_script("workers.mjs", f"http://127.0.0.1:{front}", transport, SCRIPT_TIMEOUT)

    assert_served(checks, transport, 4)
    for machine in machines:
        assert "400 Bad Request" not in machine.child.output()


#: The clients of tests/js/workers-recovery.mjs.
RECOVERING_CLIENTS = 12


@pytest.mark.parametrize("transport", ["default", "polling"])
async def test_the_clients_of_a_killed_worker_are_recovered_by_the_others(
    start: Any,  # noqa: F811
    tmp_path: Path,
    transport: str,
) -> None:
    (tmp_path / "recovering.py").write_text(RECOVERING_APP)
    workers = start("recovering:app")

    checks = await run_script("workers-recovery.mjs", workers.url, transport, SCRIPT_TIMEOUT)

    victims = checks["victims"]
    assert victims >= 1
    assert checks["recovered"] == checks["same ids"] == checks["kept"] == victims
    assert checks["heard once"] == RECOVERING_CLIENTS  # what they missed, replayed once
    output = workers.child.output()
    kept = re.search(r"server \w+ is gone from Redis.*: (\d+) of its sessions kept", output)
    assert kept is not None and int(kept[1]) == victims, output
    assert await stopped(workers.child, signal.SIGTERM) == 0, workers.child.output()
