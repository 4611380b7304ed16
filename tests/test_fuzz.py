"""Hostile input against a live server: a short seeded fuzz campaign, and deep nesting.

``python -m bench.fuzz --examples N`` runs the same campaign longer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.fuzz.campaign import MAX_ERROR_REPLY, run
from sioapp import DisconnectReason, Router, SioApp
from sioapp._protocol.codec import MAX_NESTING

from .raw import RawClient

SEED = 20261126


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_hostile_sessions_leave_the_server_serving(tmp_path: Path) -> None:
    report = run(examples=600, seed=SEED, workdir=tmp_path)
    assert report.ok, report.summary()
    assert report.frames > 2000
    assert set(report.kinds) == {"websocket", "polling", "upgrade", "http", "stall"}
    assert report.watcher.next_tick - (report.watcher.first_tick or 0) > 100
    # The hardening attacks were played, and each got a bounded outcome.
    assert report.stalled > 0 and report.stalled_ended == report.stalled
    assert 0 < report.largest_error_reply <= MAX_ERROR_REPLY
    assert report.foreign_served == 0 and report.held_after == 1


async def test_nesting_is_limited_to_what_can_be_sent_back(
    served: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = SioApp()
    router = Router()
    reasons: list[DisconnectReason] = []

    @router.on("echo")
    async def echo(value: Any) -> Any:
        return value

    @router.on_disconnect
    async def gone(reason: DisconnectReason) -> None:
        reasons.append(reason)

    app.include_router(router)
    url = await served(app)
    raw = await RawClient.open(url)
    await raw.connect()
    deepest = "[" * (MAX_NESTING - 1) + "]" * (MAX_NESTING - 1)  # inside the event's array
    await raw.send(f'421["echo",{deepest}]')
    assert await raw.recv() == f"431[{deepest}]"
    too_deep = "[" * MAX_NESTING + "]" * MAX_NESTING
    await raw.send(f'422["echo",{too_deep}]')
    assert await raw.closed()
    assert reasons == [DisconnectReason.PARSE_ERROR]
    assert "JSON nested deeper than 254 levels" in caplog.text
    assert not [r for r in caplog.records if r.exc_info]
    await raw.close()

    other = await RawClient.open(url)
    await other.connect()
    await other.send('421["echo","still here"]')
    assert await other.recv() == '431["still here"]'
    await other.close()
