"""Serving an app with uvicorn, closing a SioApp before its connections on shutdown.

On SIGINT or SIGTERM uvicorn stops listening, closes every connection, then runs
the lifespan shutdown, where a SioApp would find its clients already gone. The
`Server` here closes the SioApp right after listening stops, so clients
get a Socket.IO disconnect and handlers see ``server shutting down`` rather than
``transport close``.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import multiprocessing
import signal
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import FrameType
from typing import Any, Final

import uvicorn
from uvicorn.config import LOG_LEVELS, LOGGING_CONFIG
from uvicorn.server import HANDLED_SIGNALS
from uvicorn.supervisors import ChangeReload

from sioapp._app.app import SioApp
from sioapp._app.cluster import REDIS_URL_ENV
from sioapp.cli.console import UsageProblem
from sioapp.cli.discovery import AppTarget
from sioapp.cli.gc import DEFAULT_GC_THRESHOLD, tuned_gc

__all__ = ["RunOptions", "Server", "check_options", "serve", "serve_asgi", "served_app"]

logger = logging.getLogger("uvicorn.error")

#: How deep to look through ASGI middleware (``.app`` attributes) for the SioApp.
MAX_WRAPPERS = 16
#: Seconds workers get to shut down after SIGTERM before they are killed.
WORKER_GRACE = 30.0
#: Bytes a UTF-8 character may take: a WebSocket text message of ``max_http_buffer_size``
#: characters, which the app accepts, may be four times as many bytes.
UTF8_MAX_BYTES = 4
#: uvicorn's HTTP limits in every server ``sioapp`` starts (docs/guides/deployment.md).
#: httptools would buffer request headers without bound, so h11 parses requests, with
#: Node's default header limit; idle keep-alive connections close after uvicorn's 5 s;
#: requests still open 10 s after the app closed are cancelled.
HTTP_LIMITS: Final[Mapping[str, Any]] = {
    "http": "h11",
    "h11_max_incomplete_event_size": 16 * 1024,
    "timeout_keep_alive": 5,
    "timeout_graceful_shutdown": 10,
}


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


def check_options(options: RunOptions, environ: Mapping[str, str]) -> None:
    """Refuse option combinations that cannot work, before anything is imported."""
    if options.workers < 1:
        raise UsageProblem(f"--workers must be at least 1, not {options.workers}")
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


def served_app(app: Any) -> SioApp | None:
    """The SioApp inside ``app`` and the ASGI middleware wrapped around it, if any."""
    for _ in range(MAX_WRAPPERS):
        if isinstance(app, SioApp):
            return app
        app = getattr(app, "app", None)
    return None


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


def _work(config: uvicorn.Config, listener: socket.socket, gc_threshold: int) -> None:
    """One worker process: its own app, served on the socket the supervisor bound."""
    config.configure_logging()
    Server(config, gc_threshold).run([listener])


def _supervise(config: uvicorn.Config, gc_threshold: int) -> int:
    """Run ``config.workers`` processes on one listening socket until SIGINT or SIGTERM.

    A worker that ends by itself stops the others and the status is 1, so the
    process manager restarts the whole set. Workers still running ``WORKER_GRACE``
    seconds after SIGTERM are killed.
    """
    listener = config.bind_socket()
    stop = threading.Event()
    previous = {
        signum: signal.signal(signum, lambda signum, frame: stop.set())
        for signum in HANDLED_SIGNALS
    }
    spawn = multiprocessing.get_context("spawn")
    workers = [
        spawn.Process(target=_work, args=(config, listener, gc_threshold))
        for _ in range(config.workers)
    ]
    for worker in workers:
        worker.start()
    status = 0
    try:
        while not stop.wait(0.2):
            ended = next((worker for worker in workers if not worker.is_alive()), None)
            if ended is not None:
                logger.error(
                    "worker [%s] exited with status %s; stopping the others",
                    ended.pid,
                    ended.exitcode,
                )
                status = 1
                break
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
        deadline = time.monotonic() + WORKER_GRACE
        for worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))
            if worker.is_alive():
                logger.error("worker [%s] did not stop in time; killing it", worker.pid)
                worker.kill()
                worker.join()
        listener.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return status


def serve(target: AppTarget, options: RunOptions) -> int:
    """Serve ``target`` as ``options`` say until stopped; the process exit status."""
    several = options.reload or options.workers > 1
    config = uvicorn.Config(
        target.import_string if several else target.app,
        host=options.host,
        port=options.port,
        log_level=options.log_level,
        log_config=log_config(options.log_level),
        lifespan="on",
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
    gc_threshold = options.gc_threshold
    if options.reload:
        reloaded = Server(config, gc_threshold)
        ChangeReload(config, target=reloaded.run, sockets=[config.bind_socket()]).run()
        return 0
    if options.workers > 1:
        return _supervise(config, gc_threshold)
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
