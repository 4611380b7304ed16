"""Serve an ASGI app the way every Python server of the benchmark is served."""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn


def serve(app: Any) -> None:
    """Run ``app`` under uvicorn on ``--host``/``--port`` until SIGINT or SIGTERM."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    options = parser.parse_args()
    uvicorn.run(
        app,
        host=options.host,
        port=options.port,
        ws_per_message_deflate=False,
        log_level="warning",
        access_log=False,
    )
