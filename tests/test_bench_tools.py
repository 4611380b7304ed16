"""The benchmark's own arithmetic (ratios to the reference servers, profile summaries) and
its servers under each ``--server`` setting."""

from __future__ import annotations

import argparse
import asyncio
import subprocess
from pathlib import Path

import pytest
import socketio

from bench.profile import hot_functions
from bench.report import Summary, ratios, render
from bench.servers import SERVED_BY, SERVERS
from bench.servers.sioapp_server import create_app
from bench.workloads import WORKLOADS
from sioapp import EmitValidationError
from sioapp.testing import free_port

REPO = Path(__file__).parent.parent


def _summary(server: str, cpu: float, p99: float, rss: float | None = None) -> Summary:
    return Summary(
        server=server,
        runs=3,
        ops_per_s=1e6 / cpu,
        p50_ms=p99 / 2,
        p99_ms=p99,
        cpu_us_per_op=cpu,
        ops_per_core_s=1e6 / cpu,
        server_busy=1.0,
        driver_busy=0.5,
        others_busy=0.0,
        rss_kb_per_op=rss,
    )


def test_every_server_is_compared_with_raw_then_with_node() -> None:
    summaries = [
        _summary("raw", cpu=200, p99=40, rss=40),
        _summary("sioapp", cpu=100, p99=20, rss=20),
        _summary("node", cpu=50, p99=10, rss=25),
    ]
    compared = {(r.server, r.baseline): r for r in ratios(summaries)}
    assert set(compared) == {("sioapp", "raw"), ("node", "raw"), ("sioapp", "node")}
    sioapp_raw = compared[("sioapp", "raw")]
    assert (sioapp_raw.capacity, sioapp_raw.p99, sioapp_raw.memory) == (2.0, 2.0, 2.0)
    assert compared[("sioapp", "node")].capacity == 0.5
    table = render("connection", "connections", summaries, ratios(summaries))
    assert "RSS KiB/connection" in table
    assert "memory per connection 2.00" in table


def test_without_raw_only_node_is_a_reference() -> None:
    compared = ratios([_summary("sioapp", 100, 20), _summary("node", 50, 10)])
    assert [(r.server, r.baseline, r.memory) for r in compared] == [("sioapp", "node", None)]


def test_profiles_count_own_time_and_time_with_callees_once_per_sample() -> None:
    lines = [
        "main (app.py:1);loop (app.py:5);handle (app.py:9) 3",
        "main (app.py:1);loop (app.py:6);loop (app.py:7) 2",
        "",
    ]
    total, own, inclusive = hot_functions(lines)
    assert total == 5
    assert own == {"handle (app.py)": 3, "loop (app.py)": 2}
    assert inclusive["loop (app.py)"] == 5  # recursion counts once per sample
    assert inclusive["main (app.py)"] == 5


def test_each_workload_passes_its_settings_to_its_driver() -> None:
    workload = WORKLOADS["broadcast"]
    options = argparse.Namespace(clients=7, messages=3, broadcast_warmup=0)
    assert workload.settings(options) == {"clients": 7, "messages": 3, "warmup": 0}
    assert workload.peak_connections(workload.settings(options)) == 8
    command = workload.command("http://127.0.0.1:1", options)
    assert command[-4:] == ["--url=http://127.0.0.1:1", "--clients=7", "--messages=3", "--warmup=0"]


async def test_the_unchecked_sioapp_server_skips_what_the_checked_one_refuses() -> None:
    """``sioapp-unchecked`` prices ``validate_emits``: the same app, with it off."""
    assert "--no-validate-emits" in SERVERS["sioapp-unchecked"].argv
    wrong = {"text": "hi", "seq": "not a number", "sent": 0.0}
    with pytest.raises(EmitValidationError, match="news"):
        await create_app().to("room").emit("news", wrong)
    await create_app(validate_emits=False).to("room").emit("news", wrong)


@pytest.mark.slow  # a server process per setting
@pytest.mark.parametrize("kind", ["sioapp", "raw"])
@pytest.mark.parametrize("served_by", SERVED_BY)
async def test_the_python_servers_serve_under_each_server_setting(
    kind: str, served_by: str
) -> None:
    """``python -m bench --server X``: X serves the Python servers."""
    server = SERVERS[kind].serving(served_by)
    port = free_port()
    with subprocess.Popen(
        server.command("127.0.0.1", port),
        cwd=REPO,
        env=server.environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            await _echo_once(port, process)
        finally:
            process.terminate()
            process.wait(timeout=10)


async def _echo_once(port: int, process: subprocess.Popen[str]) -> None:
    """Connect to the server on ``port`` once it listens, and echo one message."""
    client = socketio.AsyncClient(reconnection=False)
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        try:
            await client.connect(f"http://127.0.0.1:{port}", transports=["websocket"])
            break
        except socketio.exceptions.ConnectionError:
            assert process.poll() is None, process.communicate()[1]
            assert asyncio.get_running_loop().time() < deadline, "the server never served"
            await asyncio.sleep(0.1)
    message = {"text": "hi", "seq": 1, "tags": ["a", "b", "c"]}
    assert await client.call("echo", message, timeout=5) == message
    await client.disconnect()
