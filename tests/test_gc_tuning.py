"""``sioapp run``, which owns the process, tunes the garbage collector; the library does not."""

from __future__ import annotations

import asyncio
import gc

import pytest
import uvicorn

from sioapp import SioApp
from sioapp.cli.console import UsageProblem
from sioapp.cli.gc import DEFAULT_GC_THRESHOLD
from sioapp.cli.runner import RunOptions, Server, check_options
from sioapp.testing import free_port, serve


@pytest.fixture(autouse=True)
def python_defaults() -> None:
    assert gc.get_freeze_count() == 0, "something else tuned the collector"
    assert gc.get_threshold()[0] != DEFAULT_GC_THRESHOLD


async def test_an_app_served_by_someone_else_leaves_the_collector_alone() -> None:
    before = gc.get_threshold()
    async with serve(SioApp(docs_url=None)):
        assert gc.get_threshold() == before
        assert gc.get_freeze_count() == 0


@pytest.mark.parametrize("threshold", [DEFAULT_GC_THRESHOLD, 50_000, 0])
async def test_sioapp_runs_server_tunes_it_while_serving(threshold: int) -> None:
    before = gc.get_threshold()
    config = uvicorn.Config(SioApp(docs_url=None), port=free_port(), log_level="warning")
    server = Server(config, threshold)
    server.config.install_signal_handlers = False  # type: ignore[attr-defined]
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(10):
        while not server.started:
            await asyncio.sleep(0.01)
    if threshold:
        assert gc.get_threshold() == (threshold, *before[1:])
        assert gc.get_freeze_count() > 0
    else:
        assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    server.should_exit = True
    await task
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_the_threshold_may_not_be_negative() -> None:
    with pytest.raises(UsageProblem, match="gc-threshold"):
        check_options(RunOptions(gc_threshold=-1), {})


def test_sioapp_no_longer_takes_a_threshold() -> None:
    with pytest.raises(TypeError, match="gc_threshold"):
        SioApp(gc_threshold=1000)
