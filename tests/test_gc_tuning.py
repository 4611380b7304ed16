"""The garbage collector is tuned while an app serves, and put back when it stops."""

from __future__ import annotations

import gc

import pytest

from sioapp import SioApp
from sioapp.cli.gc import DEFAULT_GC_THRESHOLD
from sioapp.testing import serve


@pytest.fixture(autouse=True)
def python_defaults() -> None:
    assert gc.get_freeze_count() == 0, "another app is serving"
    assert gc.get_threshold()[0] != DEFAULT_GC_THRESHOLD


async def test_startup_objects_are_frozen_and_young_collections_rarer_while_serving() -> None:
    before = gc.get_threshold()
    first, second = SioApp(docs_url=None), SioApp(docs_url=None, gc_threshold=50_000)
    async with serve(first):
        assert gc.get_threshold() == (DEFAULT_GC_THRESHOLD, *before[1:])
        assert gc.get_freeze_count() > 0
        async with serve(second):
            assert gc.get_threshold()[0] == 50_000
        assert gc.get_freeze_count() > 0, "the first app still serves"
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


async def test_none_leaves_the_collector_alone() -> None:
    before = gc.get_threshold()
    async with serve(SioApp(docs_url=None, gc_threshold=None)):
        assert gc.get_threshold() == before
        assert gc.get_freeze_count() == 0


def test_the_threshold_must_be_positive() -> None:
    with pytest.raises(ValueError, match="gc_threshold"):
        SioApp(gc_threshold=0)
