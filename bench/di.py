"""What dependency injection costs per event: ``python -m bench.di``.

Runs one trivial handler many times through sioapp's per-event resolution, as
the dispatcher does for every event (set the handler context, validate the
payload, resolve each parameter, call, close the event's resources), with
different parameters. No network and no server: the numbers isolate the
injection from the protocol. Each case prints the median CPU microseconds
per event over ``--repeats`` runs (CPU time, so other busy processes disturb
it less than wall-clock time) and the cost above the payload-only handler.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

from dependency_injector import providers
from dependency_injector.wiring import Provide

from sioapp import Container, CurrentUser, Router, SioApp, Socket
from sioapp._di.calling import Handler
from sioapp._di.container import close_event_resources
from sioapp._di.context import HandlerContext, current_context
from sioapp._protocol.handshake import Handshake
from sioapp._transport import TrustedProxies


class User:
    name = "alice"


class Service:
    def __init__(self, socket: Socket) -> None:
        self.socket = socket


async def _session() -> AsyncIterator[object]:
    yield object()


def _sync_session() -> Iterator[object]:
    yield object()


class BenchContainer(Container):
    user_type = User
    store: providers.Singleton[dict[str, object]] = providers.Singleton(dict)
    service = providers.Factory(Service, socket=Container.socket)
    session = providers.ContextLocalResource(_session)
    sync_session = providers.ContextLocalResource(_sync_session)


def _handlers() -> dict[str, Callable[..., Any]]:
    async def payload_only(x: int) -> int:
        return x

    async def framework_socket(x: int, socket: Socket) -> int:
        return x

    async def provide_socket(x: int, socket: Socket = Provide[Container.socket]) -> int:
        return x

    async def singleton(x: int, store: dict[str, Any] = Provide[BenchContainer.store]) -> int:
        return x

    async def factory_with_socket(x: int, svc: Service = Provide[BenchContainer.service]) -> int:
        return x

    async def current_user(x: int, user: CurrentUser) -> int:
        return x

    async def user_type(x: int, user: User) -> int:
        return x

    async def per_event_resource(x: int, session: object = Provide[BenchContainer.session]) -> int:
        return x

    async def sync_resource(x: int, session: object = Provide[BenchContainer.sync_session]) -> int:
        return x

    async def five_markers(
        x: int,
        socket: Socket = Provide[Container.socket],
        user: Any = Provide[Container.user],
        store: dict[str, Any] = Provide[BenchContainer.store],
        svc: Service = Provide[BenchContainer.service],
        session: object = Provide[BenchContainer.session],
    ) -> int:
        return x

    return {
        "payload only": payload_only,
        "Socket (framework type)": framework_socket,
        "Provide[Container.socket]": provide_socket,
        "Singleton": singleton,
        "Factory(socket=Container.socket)": factory_with_socket,
        "CurrentUser": current_user,
        "user_type annotation": user_type,
        "ContextLocalResource (async generator)": per_event_resource,
        "ContextLocalResource (generator)": sync_resource,
        "five markers": five_markers,
    }


def _registered(app: SioApp) -> dict[str, Handler]:
    router = Router()
    for name, fn in _handlers().items():
        router.on(name)(fn)
    app.include_router(router)
    return {name: event.handler for name, event in app.registry["/"].events.items()}


async def _run(app: SioApp, socket: Socket, handler: Handler, events: int) -> float:
    """CPU seconds for ``events`` events through ``handler``."""
    args = [1]
    started = time.process_time()
    for _ in range(events):
        ctx = HandlerContext(app, socket, "bench", (1,))
        token = current_context.set(ctx)
        try:
            await handler.call(ctx, args)
        finally:
            await close_event_resources(app.dispatcher.event_resources)
            current_context.reset(token)
    return time.process_time() - started


async def measure(events: int, repeats: int) -> dict[str, float]:
    """Median CPU µs per event of each case."""
    app = SioApp(title="di benchmark", container=BenchContainer(), docs_url=None)
    handshake = Handshake.from_scope({}, {}, TrustedProxies())
    socket = Socket(app.server, "bench-socket-id-00000", "bench-eio-sid", "/", handshake)
    socket.user = User()
    handlers = _registered(app)
    results: dict[str, float] = {}
    for name, handler in handlers.items():
        await _run(app, socket, handler, events // 10)
        runs = [await _run(app, socket, handler, events) for _ in range(repeats)]
        results[name] = statistics.median(runs) / events * 1e6
    return results


def render(results: dict[str, float]) -> str:
    """A table of CPU µs per event and the cost above the payload-only handler."""
    base = results["payload only"]
    width = max(len(name) for name in results)
    lines = [f"{'handler parameters':<{width}}  CPU µs/event  above payload only"]
    for name, micros in results.items():
        lines.append(f"{name:<{width}}  {micros:12.2f}  {micros - base:+8.2f} µs")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.di", description=__doc__)
    parser.add_argument("--events", type=int, default=20_000, help="events per run")
    parser.add_argument("--repeats", type=int, default=5, help="runs per case; the median counts")
    options = parser.parse_args(argv)
    print(render(asyncio.run(measure(options.events, options.repeats))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
