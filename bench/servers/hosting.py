"""Serving a Python server's ASGI app with what ``--server`` chose (`bench.servers.served_by`).

``sioapp`` and uvicorn's WebSocket implementations are served by uvicorn in this
process; hypercorn in this process too; granian imports the app again in a worker
process of its own, which the benchmark measures with this one.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bench.servers import served_by

#: uvicorn's ``ws`` setting for each of its WebSocket implementations `SERVED_BY` names.
UVICORN_WEBSOCKETS = ("websockets-sansio", "websockets", "wsproto")


def serve_elsewhere(app: Any, target: str, host: str, port: int) -> bool:
    """Serve ``app`` (importable as ``target``, ``module:name``) with hypercorn or granian
    if that was chosen, until stopped; False when uvicorn is to serve it."""
    served = served_by()
    if served == "hypercorn":
        from hypercorn.asyncio import serve
        from hypercorn.config import Config

        config = Config()
        config.bind = [f"{host}:{port}"]
        config.loglevel = "WARNING"
        asyncio.run(serve(app, config))
        return True
    if served == "granian":
        from granian import Granian
        from granian.constants import Interfaces
        from granian.log import LogLevels

        asgi, warning = Interfaces.ASGI, LogLevels.warning
        Granian(target, address=host, port=port, interface=asgi, log_level=warning).serve()
        return True
    return False


def uvicorn_websockets() -> str:
    """uvicorn's ``ws`` setting: the chosen implementation, or uvicorn's default."""
    served = served_by()
    return served if served in UVICORN_WEBSOCKETS else "auto"
