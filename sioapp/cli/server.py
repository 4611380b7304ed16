"""uvicorn's server, closing a SioApp before its connections on shutdown.

On SIGINT or SIGTERM uvicorn stops listening, closes every connection, then runs
the lifespan shutdown, where a SioApp would find its clients already gone. The
`Server` here closes the SioApp right after listening stops, so clients
get a Socket.IO disconnect and handlers see ``server shutting down`` rather than
``transport close``.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.server import HANDLED_SIGNALS

from sioapp._app.app import SioApp
from sioapp.cli.gc import tuned_gc

__all__ = ["Server", "served_app"]

logger = logging.getLogger("uvicorn.error")

#: How deep to look through ASGI middleware (``.app`` attributes) for the SioApp.
MAX_WRAPPERS = 16


def served_app(app: Any) -> SioApp | None:
    """The SioApp inside ``app`` and the ASGI middleware wrapped around it, if any."""
    for _ in range(MAX_WRAPPERS):
        if isinstance(app, SioApp):
            return app
        app = getattr(app, "app", None)
    return None


def _ignore(signum: int, frame: FrameType | None) -> None:
    """A signal that already stopped the server gracefully: nothing left to do."""


class Server(uvicorn.Server):
    """uvicorn's server, closing a SioApp before uvicorn closes connections, with the
    garbage collector tuned (`tuned_gc`) once the app has started, unless
    ``gc_threshold`` is 0."""

    def __init__(self, config: uvicorn.Config, gc_threshold: int = 0) -> None:
        super().__init__(config)
        self.gc_threshold = gc_threshold
        self._tuning = contextlib.ExitStack()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.gc_threshold and self.started:
            self._tuning.enter_context(tuned_gc(self.gc_threshold))

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._tuning.close()
        app = served_app(self.config.loaded_app)
        if app is not None:
            for listener in self.servers:
                listener.close()
            try:
                await app.close()
            except Exception:
                logger.exception("closing the app failed; closing its connections anyway")
        await super().shutdown(sockets)

    def run(self, sockets: list[socket.socket] | None = None) -> None:
        """Serve until SIGINT or SIGTERM, then return normally.

        uvicorn raises the stopping signal again once it has shut down; ignoring
        it here makes a graceful stop end the process with status 0.
        """
        previous = {signum: signal.signal(signum, _ignore) for signum in HANDLED_SIGNALS}
        try:
            super().run(sockets)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
