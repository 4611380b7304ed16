"""SioAppInstrumentor: spans and metrics of a real app, through the OpenTelemetry SDK's
in-memory exporter and reader."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from prometheus_client.parser import text_string_to_metric_families

from sioapp import ConnectionRefused, EventError, Router, SioApp, Socket
from sioapp.telemetry import SioAppInstrumentor
from sioapp.testing import TestClient, TestServer

TRACE_ID = 0x4BF92F3577B34DA6A3CE929D0E0E4736
PARENT_ID = 0x00F067AA0BA902B7
TRACEPARENT = f"00-{TRACE_ID:032x}-{PARENT_ID:016x}-01"


class Telemetry:
    """An SDK tracer provider writing to memory, and an SDK meter provider read in memory."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    def instrument(self, app: SioApp) -> None:
        SioAppInstrumentor().instrument_app(
            app, tracer_provider=self.tracer_provider, meter_provider=self.meter_provider
        )

    def spans(self, name: str | None = None) -> list[ReadableSpan]:
        return [
            span for span in self.exporter.get_finished_spans() if name is None or span.name == name
        ]

    def span(self, name: str) -> ReadableSpan:
        (span,) = self.spans(name)
        return span

    def metrics(self) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        """Every data point: a sum's value, a histogram's count."""
        points: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
        data = self.reader.get_metrics_data()
        assert data is not None
        for resource in data.resource_metrics:
            for scope in resource.scope_metrics:
                assert scope.scope.name == "sioapp.telemetry"
                for metric in scope.metrics:
                    for point in metric.data.data_points:
                        value = (
                            point.count if isinstance(point, HistogramDataPoint) else point.value
                        )
                        attributes = frozenset((k, str(v)) for k, v in point.attributes.items())
                        points[(metric.name, attributes)] = float(value)
        return points


@pytest.fixture
def telemetry() -> Iterator[Telemetry]:
    telemetry = Telemetry()
    yield telemetry
    telemetry.tracer_provider.shutdown()
    telemetry.meter_provider.shutdown()


def build(telemetry: Telemetry, **options: Any) -> SioApp:
    app = SioApp(**options)
    tracer = telemetry.tracer_provider.get_tracer("tests")
    chat = Router()

    @app.use
    async def authenticate(socket: Socket) -> None:
        with tracer.start_as_current_span("check token"):
            if socket.handshake.auth.get("token") == "stolen":
                raise ConnectionRefused("who are you?")

    @chat.on("join")
    async def join(room: str, socket: Socket) -> None:
        with tracer.start_as_current_span("load room"):
            await socket.join(room)
        await app.to(room).emit("joined", socket.id)

    @chat.on("double")
    async def double(number: int) -> int:
        return number * 2

    @chat.on("fail")
    async def fail() -> None:
        raise EventError("not_allowed", "Not here")

    @chat.on("crash")
    async def crash() -> None:
        raise RuntimeError("boom")

    app.include_router(chat)
    telemetry.instrument(app)
    return app


def attributes(span: ReadableSpan) -> dict[str, Any]:
    assert span.attributes is not None
    return dict(span.attributes)


async def test_an_event_is_a_span_with_the_handlers_work_and_emits_below_it(
    telemetry: Telemetry,
) -> None:
    app = build(telemetry)
    async with TestClient(app) as bob, TestClient(app) as ann:
        await bob.call("join", "lobby")
        assert await bob.receive("joined") == [bob.sid]
        await ann.call("join", "lobby")
        assert await bob.receive("joined") == [ann.sid]
    (received,) = [
        span
        for span in telemetry.spans("socket.io receive join")
        if attributes(span)["sioapp.socket_id"] == ann.sid
    ]
    assert received.kind is SpanKind.SERVER
    assert received.parent is None  # a trace of its own...
    assert received.status.status_code is StatusCode.UNSET
    assert attributes(received) == {
        "messaging.system": "socket.io",
        "messaging.operation.type": "process",
        "messaging.operation.name": "receive",
        "messaging.destination.name": "/",
        "sioapp.event": "join",
        "sioapp.socket_id": ann.sid,
        "sioapp.outcome": "ok",
    }
    (connect,) = [
        span
        for span in telemetry.spans("socket.io connect")
        if attributes(span)["sioapp.socket_id"] == ann.sid
    ]
    # ...linked to the socket's connection
    assert [link.context.span_id for link in received.links] == [connect.context.span_id]
    children = [span for span in telemetry.spans() if span.parent == received.context]
    assert sorted(span.name for span in children) == ["load room", "socket.io emit joined"]
    (emitted,) = [span for span in children if span.name == "socket.io emit joined"]
    assert emitted.kind is SpanKind.PRODUCER
    assert attributes(emitted) == {
        "messaging.system": "socket.io",
        "messaging.operation.type": "send",
        "messaging.operation.name": "emit",
        "messaging.destination.name": "/",
        "sioapp.event": "joined",
        "sioapp.recipients": 2,
    }


async def test_invalid_payloads_and_crashes_are_errors_the_apps_own_errors_are_not(
    telemetry: Telemetry,
) -> None:
    app = build(telemetry)
    async with TestClient(app) as client:
        assert await client.call("double", 21) == 42
        for event, *args in (("double", "x"), ("crash",), ("fail",), ("no " + "such " * 50,)):
            assert "error" in await client.call(event, *args)
    ok, invalid = telemetry.spans("socket.io receive double")
    assert ok.status.status_code is StatusCode.UNSET
    assert attributes(invalid)["sioapp.outcome"] == "validation_error"
    crashed = telemetry.span("socket.io receive crash")
    for span, outcome, exception in (
        (invalid, "validation_error", "sioapp._protocol.errors.PayloadValidationError"),
        (crashed, "internal_error", "RuntimeError"),
    ):
        assert span.status.status_code is StatusCode.ERROR
        assert attributes(span)["error.type"] == outcome
        assert [event.name for event in span.events] == ["exception"]
        assert span.events[0].attributes is not None
        assert span.events[0].attributes["exception.type"] == exception
    refused = telemetry.span("socket.io receive fail")
    assert refused.status.status_code is StatusCode.UNSET
    assert attributes(refused)["sioapp.outcome"] == "not_allowed"
    assert "error.type" not in attributes(refused)
    unknown = telemetry.span("socket.io receive <unknown>")  # span names stay bounded
    assert attributes(unknown)["sioapp.outcome"] == "unknown_event"
    assert attributes(unknown)["sioapp.event"].endswith("... (253 characters)")


@pytest.mark.parametrize(
    "handshake",
    [
        {"headers": {"traceparent": TRACEPARENT}},
        {"auth": {"traceparent": TRACEPARENT}},  # what a browser's WebSocket can send
        {"headers": {"traceparent": TRACEPARENT}, "auth": {"traceparent": "00-bad"}},
    ],
    ids=["header", "auth", "header first"],
)
async def test_connect_continues_the_trace_of_the_handshake(
    telemetry: Telemetry, handshake: dict[str, Any]
) -> None:
    app = build(telemetry)
    async with TestClient(app, **handshake) as client:
        pass
    connect = telemetry.span("socket.io connect")
    assert connect.kind is SpanKind.SERVER
    assert connect.context.trace_id == TRACE_ID
    assert connect.parent is not None
    assert connect.parent.span_id == PARENT_ID
    assert attributes(connect) == {
        "messaging.system": "socket.io",
        "messaging.operation.name": "connect",
        "messaging.destination.name": "/",
        "sioapp.socket_id": client.sid,
        "sioapp.outcome": "ok",
    }
    middleware = telemetry.span("check token")
    assert middleware.parent is not None
    assert middleware.parent.span_id == connect.context.span_id


@pytest.mark.parametrize(
    "handshake",
    [
        {"auth": {"traceparent": 42, "tracestate": ["not", "text"]}},
        {"auth": {"traceparent": "00-" + "f" * 100_000}},
        {"headers": {"traceparent": "00-00000000000000000000000000000000-0000000000000000-01"}},
    ],
    ids=["not text", "huge", "invalid ids"],
)
async def test_a_bad_trace_context_starts_a_new_trace(
    telemetry: Telemetry, handshake: dict[str, Any]
) -> None:
    app = build(telemetry)
    async with TestClient(app, **handshake) as client:
        assert await client.call("double", 2) == 4
    connect = telemetry.span("socket.io connect")
    assert connect.parent is None
    assert attributes(connect)["sioapp.outcome"] == "ok"


async def test_a_refused_connection_and_a_connection_without_context(
    telemetry: Telemetry,
) -> None:
    app = build(telemetry)
    with pytest.raises(ConnectionRefused):
        async with TestClient(app, auth={"token": "stolen"}):
            pass
    async with TestClient(app):
        pass
    refused, accepted = telemetry.spans("socket.io connect")
    assert attributes(refused)["sioapp.outcome"] == "refused"
    assert refused.status.status_code is StatusCode.UNSET
    assert attributes(accepted)["sioapp.outcome"] == "ok"
    assert refused.parent is None and accepted.parent is None
    (tracing,) = [each for each in app.observers if hasattr(each, "connections")]
    assert tracing.connections == {}  # nothing kept for sockets that left


async def test_an_emit_outside_any_handler_starts_its_own_trace(telemetry: Telemetry) -> None:
    app = build(telemetry)
    async with TestClient(app) as ann, TestClient(app) as bob:
        await app.emit("news", "for everyone")
        assert await ann.receive("news") == await bob.receive("news") == ["for everyone"]
    news = telemetry.span("socket.io emit news")
    assert news.parent is None
    assert attributes(news)["sioapp.recipients"] == 2


async def test_instrumenting_twice_changes_nothing_and_uninstrumenting_stops(
    telemetry: Telemetry, caplog: pytest.LogCaptureFixture
) -> None:
    app = build(telemetry)
    with caplog.at_level(logging.WARNING, logger="sioapp"):
        telemetry.instrument(app)
    assert "instrumented already" in caplog.text
    assert SioAppInstrumentor.is_instrumented(app)
    async with TestClient(app) as client:
        await client.call("double", 1)
        assert len(telemetry.spans("socket.io receive double")) == 1
        SioAppInstrumentor().uninstrument_app(app)
        assert not app.observers
        await client.call("double", 2)
    assert len(telemetry.spans("socket.io receive double")) == 1
    assert not SioAppInstrumentor.is_instrumented(app)
    assert "sioapp.connected_sockets" not in {name for name, _ in telemetry.metrics()}


async def test_opentelemetry_metrics_give_the_numbers_prometheus_gives(
    telemetry: Telemetry,
) -> None:
    app = build(telemetry, metrics_url="/metrics")
    async with TestServer(app) as server:
        with pytest.raises(ConnectionRefused):
            async with TestClient(app, auth={"token": "stolen"}):
                pass
        async with TestClient(app) as ann, TestClient(app) as bob:
            await ann.call("join", "lobby")
            await bob.call("join", "lobby")
            await bob.call("double", "x")
            await bob.call("made up")
        async with TestClient(app) as cid:
            await cid.call("join", "kitchen")
            scraped = (await server.http.get("/metrics")).text
            otel = telemetry.metrics()
    prometheus = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(scraped)
        for sample in family.samples
        if not sample.name.endswith(("_created", "_bucket", "_sum"))
    }
    # each OpenTelemetry name, as an exporter to Prometheus turns it into a Prometheus one
    names = {
        "sioapp_connected_sockets": "sioapp.connected_sockets",
        "sioapp_connections_total": "sioapp.connections",
        "sioapp_disconnections_total": "sioapp.disconnections",
        "sioapp_events_total": "sioapp.events",
        "sioapp_event_duration_seconds_count": "sioapp.event.duration",
        "sioapp_emitted_packets_total": "sioapp.emitted_packets",
        "sioapp_outgoing_buffer_bytes": "sioapp.outgoing_buffer",
        "sioapp_rooms": "sioapp.rooms",
    }
    assert {(names[name], labels): value for (name, labels), value in prometheus.items()} == otel
    unknown = {"namespace": "/", "event": "<unknown>", "outcome": "unknown_event"}
    assert otel[("sioapp.events", frozenset(unknown.items()))] == 1
    assert (
        otel[("sioapp.connections", frozenset({"namespace": "/", "outcome": "refused"}.items()))]
        == 1
    )
    assert otel[("sioapp.connected_sockets", frozenset({("namespace", "/")}))] == 1
    assert otel[("sioapp.rooms", frozenset({("namespace", "/")}))] == 1
