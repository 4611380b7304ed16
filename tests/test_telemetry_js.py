"""socket.io-client under Node.js continues its trace into the server, on both transports."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from sioapp import Router, SioApp
from sioapp.telemetry import SioAppInstrumentor

from .node import requires_node, run_script

pytestmark = [*requires_node, pytest.mark.slow]

TRACE_ID = 0x4BF92F3577B34DA6A3CE929D0E0E4736
PARENTS = {"auth": 0x00F067AA0BA902B7, "header": 0xB7AD6B7169203331}


async def test_a_node_clients_trace_continues_in_its_connect_span(
    served: Any, transport: str
) -> None:
    app, router = SioApp(), Router()

    @router.on("double")
    async def double(number: int) -> int:
        return number * 2

    app.include_router(router)
    exporter, provider = InMemorySpanExporter(), TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    SioAppInstrumentor().instrument_app(app, tracer_provider=provider)
    checks = await run_script("tracing.mjs", await served(app), transport)
    spans = exporter.get_finished_spans()
    for way, parent in PARENTS.items():
        socket_id = checks[way]["id"]
        assert checks[way]["doubled"] == 42
        (connect,) = [
            span
            for span in spans
            if span.name == "socket.io connect"
            and span.attributes is not None
            and span.attributes["sioapp.socket_id"] == socket_id
        ]
        assert connect.context.trace_id == TRACE_ID
        assert connect.parent is not None
        assert connect.parent.span_id == parent
        (event,) = [
            span
            for span in spans
            if span.name == "socket.io receive double"
            and span.attributes is not None
            and span.attributes["sioapp.socket_id"] == socket_id
        ]
        assert [link.context.span_id for link in event.links] == [connect.context.span_id]
    provider.shutdown()
