"""Serve an ASGI app the way every Python server of the benchmark is served."""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn

from bench.servers.hosting import serve_elsewhere, uvicorn_websockets


def serve(app: Any, target: str) -> None:
    """Run ``app`` (importable as ``target``) on ``--host``/``--port`` until SIGINT or
    SIGTERM: under uvicorn, or what ``--server`` chose."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    options = parser.parse_args()
    if serve_elsewhere(app, target, options.host, options.port):
        return
    uvicorn.run(
        app,
        host=options.host,
        port=options.port,
        ws=uvicorn_websockets(),  # python-socketio has no wire of its own
        ws_per_message_deflate=False,
        log_level="warning",
        access_log=False,
    )
