"""Hostile input against a live server: a short seeded fuzz campaign, and one known gap.

``python -m bench.fuzz --examples N`` runs the same campaign longer.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from bench.fuzz.campaign import run
from sioapp import Router, SioApp

from .raw import RawClient

SEED = 20261126


@pytest.mark.timeout(120)
def test_hostile_sessions_leave_the_server_serving(tmp_path: Path) -> None:
    report = run(examples=600, seed=SEED, workdir=tmp_path)
    assert report.ok, report.summary()
    assert report.frames > 2000
    assert set(report.kinds) == {"websocket", "polling", "upgrade", "http"}
    assert report.watcher.next_tick - (report.watcher.first_tick or 0) > 100


@pytest.mark.xfail(
    strict=True,
    reason="orjson reads JSON nested up to 1024 levels but writes only 255: a handler "
    "that acks back what it got fails, with a traceback in the log (sioapp/serialization.py)",
)
async def test_nesting_sioapp_reads_it_can_also_ack_back(
    served: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = SioApp()
    router = Router()

    @router.on("echo")
    async def echo(value: Any) -> Any:
        return value

    app.include_router(router)
    raw = await RawClient.open(await served(app))
    await raw.connect()
    nested = "[" * 300 + "]" * 300
    await raw.send(f'421["echo",{nested}]')
    assert await raw.recv() == f"431[{nested}]"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]
    await raw.close()
