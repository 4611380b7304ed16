"""The tracing section of the observability guide, run as the page describes it."""

from __future__ import annotations

import asyncio
import importlib
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from .conftest import Connect


def load(name: str) -> Any:
    sys.modules.pop(name, None)
    return importlib.import_module(name)


@pytest.fixture
def example() -> Iterator[tuple[Any, InMemorySpanExporter]]:
    """The guide's traced chat, its spans kept in memory too; its provider shut down last."""
    module = load("docs_src.observability.tracing")
    spans = InMemorySpanExporter()
    module.provider.add_span_processor(SimpleSpanProcessor(spans))
    yield module, spans
    module.provider.shutdown()


def named(spans: InMemorySpanExporter, name: str) -> ReadableSpan:
    (span,) = [span for span in spans.get_finished_spans() if span.name == name]
    return span


async def test_a_client_trace_continues_and_the_handlers_work_is_below_its_event(
    example: tuple[Any, InMemorySpanExporter], served: Any, client: Connect
) -> None:
    module, spans = example
    url = await served(module.app)
    clients = load("docs_src.observability.client")
    own = TracerProvider()  # the client's own tracing
    with own.get_tracer("client").start_as_current_span("open chat") as opening:
        ann = await clients.connect(url, user="ann")
    try:
        said = asyncio.Queue[tuple[Any, ...]]()
        bob = await client(url)
        bob.on("said", lambda *args: said.put_nowait(args))
        for member in (ann, bob):
            assert await member.call("join", "kitchen") is True
        assert await ann.call("say", ("kitchen", "darn, no tea")) is True
        assert await asyncio.wait_for(said.get(), 5) == (ann.get_sid(), "d**n, no tea")
    finally:
        await ann.disconnect()
    (connect,) = [
        span
        for span in spans.get_finished_spans()
        if span.name == "socket.io connect" and span.parent is not None
    ]
    assert connect.parent is not None  # the client's span, come over the network
    assert connect.parent.is_remote
    assert connect.parent.span_id == opening.get_span_context().span_id
    assert connect.context.trace_id == opening.get_span_context().trace_id
    received = named(spans, "socket.io receive say")
    assert received.kind is trace.SpanKind.SERVER
    children = [span for span in spans.get_finished_spans() if span.parent == received.context]
    assert sorted(span.name for span in children) == ["moderate", "socket.io emit said"]
