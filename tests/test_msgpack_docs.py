"""The msgpack guide's example: the app, and its JavaScript client under Node."""

from __future__ import annotations

import asyncio
import importlib
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from sioapp.testing import TestClient

from .node import JS_DIR, NODE, SCRIPT_TIMEOUT, requires_node

EXAMPLE = Path(__file__).resolve().parents[1] / "docs_src" / "msgpack"


def load() -> Any:
    sys.modules.pop("docs_src.msgpack.app", None)
    return importlib.import_module("docs_src.msgpack.app")


async def test_uploads_are_validated_acked_and_broadcast_as_bytes() -> None:
    app = load().app
    async with TestClient(app) as ann, TestClient(app) as bob:
        photo = {"name": "cat.png", "data": b"\x89PNG", "width": 1, "height": 1}
        assert await ann.call("upload", photo) == {"name": "cat.png", "size": 4}
        assert await bob.receive("uploaded") == ["cat.png", b"\x89PNG"]
        refused = await ann.call("upload", {**photo, "data": "not bytes", "width": 1.5})
        assert [detail["loc"] for detail in refused["error"]["details"]] == [["photo", "width"]]


@requires_node[0]
@requires_node[1]
@requires_node[2]
@pytest.mark.node
async def test_the_javascript_client_of_the_guide(served: Any, tmp_path: Path) -> None:
    url = await served(load().app)
    shutil.copy(EXAMPLE / "client.mjs", tmp_path)
    (tmp_path / "node_modules").symlink_to(JS_DIR / "node_modules")
    assert NODE is not None
    process = await asyncio.create_subprocess_exec(
        NODE, "client.mjs", url, cwd=tmp_path, stdout=asyncio.subprocess.PIPE
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), SCRIPT_TIMEOUT)
    assert process.returncode == 0
    assert stdout.decode().splitlines() == [
        "{ name: 'cat.png', size: 4 }",
        "[ 'photo.name', 'photo.width', 'photo.height' ]",
    ]
