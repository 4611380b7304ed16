"""Running the scripts of ``tests/js/`` (socket.io-client under Node.js) from pytest."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

JS_DIR = Path(__file__).parent / "js"
NODE = shutil.which("node")
SCRIPT_TIMEOUT = 16.0

#: Marks a module's tests ``node``, and skips them where Node or the client package is missing.
requires_node = [
    pytest.mark.skipif(NODE is None, reason="node is not on PATH"),
    pytest.mark.skipif(
        not (JS_DIR / "node_modules" / "socket.io-client").is_dir(),
        reason="tests/js/node_modules is missing: run `npm ci --prefix tests/js`",
    ),
    pytest.mark.node,
]


async def run_script(
    script: str, url: str, transport: str, timeout: float = SCRIPT_TIMEOUT
) -> dict[str, Any]:
    """Run ``tests/js/<script> <url> <transport>``; its checks by name.

    The script gives up by itself after ``timeout`` less a second.
    """
    assert NODE is not None
    process = await asyncio.create_subprocess_exec(
        NODE,
        str(JS_DIR / script),
        url,
        transport,
        cwd=JS_DIR,
        env={**os.environ, "WATCHDOG_MS": str(int((timeout - 1) * 1000))},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        pytest.fail(f"node {script} ({transport}) did not finish within {timeout} s")
    output = stdout.decode()
    assert process.returncode == 0, (
        f"node {script} ({transport}) exited with {process.returncode}\n"
        f"stdout:\n{output}\nstderr:\n{stderr.decode()}"
    )
    checks: dict[str, Any] = {}
    for line in output.splitlines():
        item = json.loads(line)
        checks[item["check"]] = item["value"]
    return checks
