"""The example chat's contract through the official JavaScript client."""

from __future__ import annotations

from typing import Any

from example_project.app import app

from .node import requires_node, run_script

pytestmark = requires_node


async def test_example_contract_from_javascript(served: Any, transport: str) -> None:
    checks = await run_script("example.mjs", await served(app), transport)
    ann = checks["ids"]["ann"]
    assert checks["refused"] == {"message": "unknown user", "data": {"code": "unauthorized"}}
    assert checks["whoami"] == {"id": ann, "username": "ann", "rooms": [ann]}
    assert checks["ann joins"] == {"room": "lobby", "members": 1}
    assert checks["bob joins"] == {"room": "lobby", "members": 2}
    assert checks["ann hears"] == [{"room": "lobby", "username": "bob"}]
    assert checks["sent"] == {"ok": True}
    said = [{"room": "lobby", "username": "ann", "text": "hello"}]
    assert checks["chat"] == {"ann": said, "bob": said}
    assert checks["not in room"]["error"]["code"] == "not_in_room"
    too_long = checks["too long"]["error"]
    assert too_long["code"] == "validation_error"
    assert [d["loc"] for d in too_long["details"]] == [["msg", "text"]]
    assert checks["private"] == [ann, "psst"]
    assert checks["online"] == ["ann", "bob"]
    assert checks["bob leaves"] == {"room": "lobby"}
    assert checks["left"] == [{"id": ann}]
