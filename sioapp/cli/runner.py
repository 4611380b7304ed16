"""Serving an app with uvicorn as ``sioapp run`` does: its settings, its `Server`, and
``--workers`` behind one supervisor (`sioapp.cli.supervisor`)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import uvicorn
from uvicorn.config import LOG_LEVELS, LOGGING_CONFIG
from uvicorn.supervisors import ChangeReload

from sioapp._app.app import SioApp
from sioapp._app.cluster import REDIS_URL_ENV
from sioapp._transport.uvicorn_wire import websocket_protocol
from sioapp.cli.console import UsageProblem
from sioapp.cli.discovery import AppTarget
from sioapp.cli.gc import DEFAULT_GC_THRESHOLD
from sioapp.cli.routing import LINE_LIMIT, MAX_WORKERS
from sioapp.cli.server import Server, served_app
from sioapp.cli.supervisor import supervise

__all__ = [
    "WIRE",
    "RunOptions",
    "Server",
    "check_options",
    "serve",
    "serve_asgi",
    "served_app",
    "uvicorn_config",
]

#: Bytes a UTF-8 character may take: a WebSocket text message of ``max_http_buffer_size``
#: characters, which the app accepts, may be four times as many bytes.
UTF8_MAX_BYTES = 4
#: uvicorn's HTTP limits in every server ``sioapp`` starts (docs/guides/deployment.md).
#: httptools would buffer request headers without bound, so h11 parses requests, with
#: Node's default header limit; idle keep-alive connections close after uvicorn's 5 s;
#: requests still open 10 s after the app closed are cancelled.
HTTP_LIMITS: Final[Mapping[str, Any]] = {
    "http": "h11",
    "h11_max_incomplete_event_size": LINE_LIMIT,
    "timeout_keep_alive": 5,
    "timeout_graceful_shutdown": 10,
}


#: ``--ws``: sioapp's WebSocket wire, the default; else one of uvicorn's ``ws`` settings.
WIRE = "sioapp"


@dataclass(frozen=True, slots=True)
class RunOptions:
    """What ``sioapp run`` was asked for."""

    host: str = "127.0.0.1"
    port: int = 8000
    reload: bool = False
    workers: int = 1
    redis_url: str | None = None
    log_level: str = "info"
    proxy_headers: bool = False
    #: The garbage collector's first threshold while serving; 0 leaves it alone.
    gc_threshold: int = DEFAULT_GC_THRESHOLD
    #: Who serves WebSockets: `WIRE` (Engine.IO reads and writes them directly), or one of
    #: uvicorn's implementations, through ASGI.
    ws: str = WIRE


def check_options(options: RunOptions, environ: Mapping[str, str]) -> None:
    """Refuse option combinations that cannot work, before anything is imported."""
    if not 1 <= options.workers <= MAX_WORKERS:
        raise UsageProblem(
            f"--workers must be at least 1 and at most {MAX_WORKERS}, not {options.workers}"
        )
    if options.gc_threshold < 0:
        raise UsageProblem(f"--gc-threshold must be 0 or more, not {options.gc_threshold}")
    if options.reload and options.workers > 1:
        raise UsageProblem("--reload runs a single process: drop --workers")
    if options.workers > 1 and not (options.redis_url or environ.get(REDIS_URL_ENV)):
        raise UsageProblem(
            f"--workers {options.workers} needs Redis: each process holds only its own "
            "sockets, so rooms, broadcasts and acks would split between processes; pass "
            f"--redis-url redis://HOST:PORT or set {REDIS_URL_ENV}"
        )


def ws_max_size(app: SioApp) -> int:
    """The largest WebSocket message uvicorn takes for ``app``: every message its
    ``max_http_buffer_size`` (characters or bytes) lets through, so the app refuses
    bigger ones itself, with ``transport error``."""
    return UTF8_MAX_BYTES * int(app.server.eio.max_http_buffer_size)


def log_config(log_level: str) -> dict[str, Any]:
    """uvicorn's logging configuration, with the ``sioapp`` logger shown as uvicorn's are."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["sioapp"] = {
        "handlers": ["default"],
        "level": LOG_LEVELS[log_level],
        "propagate": False,
    }
    return config


def uvicorn_config(target: AppTarget, options: RunOptions) -> uvicorn.Config:
    """uvicorn's configuration for serving ``target`` as ``options`` say."""
    several = options.reload or options.workers > 1
    return uvicorn.Config(
        target.import_string if several else target.app,
        host=options.host,
        port=options.port,
        log_level=options.log_level,
        log_config=log_config(options.log_level),
        lifespan="on",
        ws=websocket_protocol() if options.ws == WIRE else options.ws,
        ws_per_message_deflate=False,  # Socket.IO v4 clients do not use it
        ws_max_size=ws_max_size(target.app),
        ws_ping_interval=None,  # Engine.IO's heartbeat finds dead peers, with "ping timeout"
        ws_ping_timeout=None,
        proxy_headers=options.proxy_headers,  # SioApp(trusted_proxies=...) decides by default
        reload=options.reload,
        reload_dirs=[str(target.root)] if options.reload else None,
        workers=options.workers,
        **HTTP_LIMITS,
    )


def serve(target: AppTarget, options: RunOptions) -> int:
    """Serve ``target`` as ``options`` say until stopped; the process exit status."""
    config = uvicorn_config(target, options)
    gc_threshold = options.gc_threshold
    if options.reload:
        reloaded = Server(config, gc_threshold)
        ChangeReload(config, target=reloaded.run, sockets=[config.bind_socket()]).run()
        return 0
    if options.workers > 1:
        return supervise(config, gc_threshold)
    server = Server(config, gc_threshold)
    server.run()
    return 0 if server.started else 1


def serve_asgi(app: Any, *, host: str, port: int, log_level: str = "info") -> int:
    """Serve any ASGI ``app`` in this process until stopped; the exit status."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        log_config=log_config(log_level),
        **HTTP_LIMITS,
    )
    server = Server(config)
    server.run()
    return 0 if server.started else 1
