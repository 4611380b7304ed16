"""Other ASGI servers serve a SioApp through plain ASGI: hypercorn and granian.

Each serves the app of ``tests/js_app.py`` in its own process; socket.io-client
under Node.js connects over WebSocket only, over long-polling only, and with its
default options (long-polling, then the upgrade), and sends events both ways.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sioapp.testing import free_port

from .node import requires_node, run_script

REPO = Path(__file__).parent.parent
#: The app's factory: each server builds a fresh app.
FACTORY = "tests.js_app:served_app"
START_TIMEOUT = 20.0
HANDSHAKE = "/socket.io/?EIO=4&transport=polling"

pytestmark = [*requires_node, pytest.mark.slow, pytest.mark.node]


def _command(server: str, port: int) -> list[str]:
    if server == "hypercorn":
        pytest.importorskip("hypercorn")
        return [sys.executable, "-m", "hypercorn", "--bind", f"127.0.0.1:{port}", f"{FACTORY}()"]
    granian = shutil.which("granian")
    if granian is None:
        pytest.skip("granian is not installed")
    options = ["--interface", "asgi", "--factory", "--host", "127.0.0.1", "--port", str(port)]
    return [granian, *options, FACTORY]


def _wait_until_serving(process: subprocess.Popen[str], port: int, server: str) -> None:
    """Return once the app answers an Engine.IO handshake: its startup has run."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        assert process.poll() is None, process.communicate()[1]
        try:
            response = httpx.get(f"http://127.0.0.1:{port}{HANDSHAKE}", timeout=1.0)
            if response.status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"{server} never served the app"
        time.sleep(0.05)


@pytest.fixture(params=["hypercorn", "granian"])
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The app served by the server the test is parametrized with."""
    port = free_port()
    with subprocess.Popen(
        _command(request.param, port),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            _wait_until_serving(process, port, request.param)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.mark.parametrize("transport", ["websocket", "polling", "default"])
async def test_events_and_acks_through_plain_asgi(url: str, transport: str) -> None:
    checks = await run_script("events.mjs", url, transport)
    sid = checks["id"]
    assert checks["join_promise"] == {"room": "garden", "members": 1, "user": "bob"}
    assert checks["empty_room"]["error"]["code"] == "validation_error"
    assert checks["server_asks"] == 42
    assert checks["still_connected"] == {"connected": True, "id": sid}


async def test_the_default_client_upgrades(url: str) -> None:
    checks = await run_script("upgrade.mjs", url, "default")
    assert checks["opened_on"] == "polling"
    assert checks["upgraded"] == {"transport": "websocket", "same_id": True}
