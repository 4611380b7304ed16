"""The ASGI lifespan protocol, served by running one async context manager."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from starlette.types import Receive, Scope, Send

__all__ = ["serve_lifespan"]

logger = logging.getLogger("sioapp")

Lifetime = Callable[[], AbstractAsyncContextManager[Any]]


async def serve_lifespan(lifetime: Lifetime, scope: Scope, receive: Receive, send: Send) -> None:
    """Enter ``lifetime()`` on ``lifespan.startup`` and leave it on ``lifespan.shutdown``.

    What the context manager yields (a mapping) becomes the lifespan state, as
    in Starlette; a failure on either side is reported with ``.failed``.
    """
    started = False
    await receive()  # lifespan.startup
    try:
        async with lifetime() as state:
            if state is not None:
                scope.setdefault("state", {}).update(state)
            await send({"type": "lifespan.startup.complete"})
            started = True
            await receive()  # lifespan.shutdown
    except BaseException:
        failure = traceback.format_exc()
        kind = "lifespan.shutdown.failed" if started else "lifespan.startup.failed"
        await send({"type": kind, "message": failure})
        raise
    await send({"type": "lifespan.shutdown.complete"})
