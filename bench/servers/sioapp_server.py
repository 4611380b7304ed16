"""sioapp: the same handlers, declared with pydantic models, served as ``sioapp run`` does.

``--instrument`` prices observability: ``metrics`` serves Prometheus metrics
(``SioApp(metrics_url=...)``); ``tracing`` instruments the app with the
OpenTelemetry SDK's tracer provider, spans going through a batch processor to an
exporter that drops them (metrics go to OpenTelemetry's default meter provider,
which drops them too); ``otel`` adds the SDK's meter provider, read periodically
by an exporter that drops what it gets.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    MetricExporter,
    MetricExportResult,
    MetricsData,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from pydantic import BaseModel

from bench.servers import serializer, served_by
from bench.servers.hosting import serve_elsewhere, uvicorn_websockets
from sioapp import Router, SioApp, Socket
from sioapp.cli.discovery import AppTarget
from sioapp.cli.runner import WIRE, RunOptions, serve
from sioapp.telemetry import SioAppInstrumentor

INSTRUMENTS = ("off", "metrics", "tracing", "otel")

router = Router()


class Echo(BaseModel):
    text: str
    seq: int
    tags: list[str]


class Join(BaseModel):
    room: str


@router.emits("news")
class News(BaseModel):
    text: str
    seq: int
    sent: float


class Broadcast(BaseModel):
    room: str
    news: News


@router.on("echo")
async def echo(msg: Echo) -> Echo:
    """Return the validated message as the ack."""
    return msg


@router.on("join")
async def join(msg: Join, socket: Socket) -> bool:
    """Join the room the message names."""
    await socket.join(msg.room)
    return True


@router.on("broadcast")
async def broadcast(msg: Broadcast, app: SioApp) -> bool:
    """Send the news to every member of the room; ack once queued."""
    await app.to(msg.room).emit(msg.news)
    return True


def create_app(metrics_url: str | None = None, *, validate_emits: bool = True) -> SioApp:
    """The benchmark app, serving its metrics at ``metrics_url`` if given."""
    app = SioApp(
        title="sioapp benchmark",
        metrics_url=metrics_url,
        validate_emits=validate_emits,
        serializer="msgpack" if serializer() == "msgpack" else "json",
    )
    app.include_router(router)
    return app


app = create_app()


class _DroppedSpans(SpanExporter):
    """Takes every span and keeps none: the SDK's cost without an exporter's."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


class _DroppedMetrics(MetricExporter):
    """Takes every collection and keeps none."""

    def export(
        self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any
    ) -> MetricExportResult:
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        pass


def traced(app: SioApp, *, metered: bool = False) -> SioApp:
    """``app`` traced with the OpenTelemetry SDK, and ``metered`` with it too, exporting
    nothing."""
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(_DroppedSpans()))
    meter_provider = (
        MeterProvider([PeriodicExportingMetricReader(_DroppedMetrics())]) if metered else None
    )
    SioAppInstrumentor().instrument_app(
        app, tracer_provider=tracer_provider, meter_provider=meter_provider
    )
    return app


def instrumented(instrument: str, *, validate_emits: bool = True) -> SioApp:
    """The app to serve for ``--instrument`` and ``--no-validate-emits``."""
    if not validate_emits:
        return create_app(validate_emits=False)
    if instrument == "metrics":
        return create_app(metrics_url="/metrics")
    if instrument in ("tracing", "otel"):
        return traced(app, metered=instrument == "otel")
    return app


def main() -> int:
    """Serve ``app`` on ``--host``/``--port`` with ``sioapp run``'s settings."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--instrument", choices=INSTRUMENTS, default="off")
    parser.add_argument("--no-validate-emits", dest="validate_emits", action="store_false")
    options = parser.parse_args()
    if options.instrument != "off" and not options.validate_emits:
        parser.error("--no-validate-emits is priced on its own, without --instrument")
    if served_by() == "granian" and (options.instrument != "off" or not options.validate_emits):
        parser.error("granian imports the plain app again: serve these settings otherwise")
    served = instrumented(options.instrument, validate_emits=options.validate_emits)
    if serve_elsewhere(served, "bench.servers.sioapp_server:app", options.host, options.port):
        return 0
    target = AppTarget("bench.servers.sioapp_server", "app", Path.cwd(), served)
    ws = WIRE if served_by() == "sioapp" else uvicorn_websockets()
    run = RunOptions(host=options.host, port=options.port, log_level="warning", ws=ws)
    return serve(target, run)


if __name__ == "__main__":
    raise SystemExit(main())
