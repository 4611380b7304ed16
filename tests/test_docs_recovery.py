"""The connection state recovery guide's example, run as the page describes it."""

from __future__ import annotations

import importlib
import sys
from typing import Any

from .conftest import Connect
from .test_recovery import Returning


def load() -> Any:
    sys.modules.pop("docs_src.recovery.app", None)
    return importlib.import_module("docs_src.recovery.app")


async def test_a_returning_user_keeps_rooms_and_missed_messages(
    served: Any, client: Connect
) -> None:
    module = load()
    url = await served(module.app)
    ann = Returning(url, {"user": "ann"})
    sid, _ = await ann.connect()
    assert await ann.call("join", "kitchen") == [True]
    await ann.raw.close()
    bob = await client(url, auth={"user": "bob"})
    await bob.call("join", "kitchen")
    await bob.call("say", ("kitchen", "who took the last biscuit?"))
    assert (await ann.connect())[0] == sid
    assert await ann.events(1) == [["said", "bob", "who took the last biscuit?"]]


async def test_a_session_is_resumed_only_by_its_user(served: Any) -> None:
    module = load()
    url = await served(module.app)
    ann = Returning(url, {"user": "ann"})
    sid, _ = await ann.connect()
    await ann.raw.close()
    eve = Returning(url, {"user": "eve"})
    assert (await eve.connect(pid=ann.pid))[0] != sid
    assert (await ann.connect())[0] == sid
