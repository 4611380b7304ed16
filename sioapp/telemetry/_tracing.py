"""Spans for what the server does: a client connecting, each event handled, each event
emitted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry import context, propagate, trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode, Tracer

from sioapp._metrics import event_label
from sioapp._protocol.errors import ClusterUnavailable, EventError, PayloadValidationError
from sioapp._protocol.events import shown
from sioapp._protocol.handshake import Handshake
from sioapp._protocol.observers import OK, Finish, Observer, Sent
from sioapp._protocol.reasons import DisconnectReason
from sioapp._protocol.socket import Socket
from sioapp._runtime.registry import NamespaceRegistry
from sioapp.telemetry._attributes import (
    CONNECT_SPAN,
    DESTINATION,
    EMIT_SPAN,
    ERROR_TYPE,
    EVENT,
    OPERATION_NAME,
    OPERATION_TYPE,
    OUTCOME,
    RECEIVE_SPAN,
    RECIPIENTS,
    SOCKET_ID,
    SYSTEM,
    SYSTEM_NAME,
)

__all__ = ["TracingObserver", "handshake_carrier"]

#: The context of a span that starts a trace of its own.
_ROOT = Context()


def handshake_carrier(handshake: Handshake) -> dict[str, str]:
    """The trace context a client sent with its handshake, for the app's propagators:
    from the HTTP headers (``traceparent``...), else from ``auth`` fields of the same
    names, which a browser's WebSocket, that sends no headers of its own, can carry."""
    carrier: dict[str, str] = {}
    headers, auth = handshake.headers, handshake.auth
    for field in propagate.get_global_textmap().fields:
        value = headers.get(field)
        if value is None:
            value = auth.get(field)
        if isinstance(value, str):
            carrier[field] = value
    return carrier


def _failed(error: BaseException) -> bool:
    """Whether ``error`` makes a span an error: invalid input, a crash or a cluster that
    cannot be reached, rather than an `EventError` the app chose to raise."""
    return not isinstance(error, EventError) or isinstance(
        error, PayloadValidationError | ClusterUnavailable
    )


def _end(span: Span, outcome: str, error: BaseException | None) -> None:
    span.set_attribute(OUTCOME, outcome)
    if error is not None and _failed(error):
        span.set_attribute(ERROR_TYPE, outcome)
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, outcome))
    span.end()


class TracingObserver(Observer):
    """Traces the server with ``tracer``.

    A connection's span continues the trace its handshake carries; each event
    handled starts a trace of its own, linked to its socket's connection, and is
    the current span while its packet middleware, handler and ack run, so that
    their spans (emits included) are its children. ``registry`` bounds span names.
    """

    def __init__(self, tracer: Tracer, registry: Mapping[str, NamespaceRegistry]) -> None:
        self.tracer = tracer
        self.registry = registry
        #: A link to the connect span of each connected socket, for its events' spans.
        self.connections: dict[str, Link] = {}

    def connecting(self, socket: Socket) -> Finish:
        parent = propagate.extract(handshake_carrier(socket.handshake))
        span = self.tracer.start_span(
            CONNECT_SPAN,
            parent,
            SpanKind.SERVER,
            attributes={
                SYSTEM: SYSTEM_NAME,
                OPERATION_NAME: "connect",
                DESTINATION: socket.nsp,
                SOCKET_ID: socket.id,
            },
        )
        token = context.attach(trace.set_span_in_context(span, parent))

        def finish(outcome: str, error: BaseException | None) -> None:
            context.detach(token)
            if outcome == OK and socket.connected and span.get_span_context().is_valid:
                self.connections[socket.id] = Link(span.get_span_context())
            _end(span, outcome, error)

        return finish

    def socket_disconnected(self, socket: Socket, reason: DisconnectReason) -> None:
        self.connections.pop(socket.id, None)

    def event_received(self, socket: Socket, event: str, args: Sequence[Any]) -> Finish:
        link = self.connections.get(socket.id)
        span = self.tracer.start_span(
            f"{RECEIVE_SPAN} {event_label(self.registry, socket.nsp, event)}",
            _ROOT,
            SpanKind.SERVER,
            attributes={
                SYSTEM: SYSTEM_NAME,
                OPERATION_TYPE: "process",
                OPERATION_NAME: "receive",
                DESTINATION: socket.nsp,
                EVENT: shown(event),
                SOCKET_ID: socket.id,
            },
            links=None if link is None else (link,),
        )
        token = context.attach(trace.set_span_in_context(span, _ROOT))

        def finish(outcome: str, error: BaseException | None) -> None:
            context.detach(token)
            _end(span, outcome, error)

        return finish

    def emitting(self, namespace: str, data: Sequence[Any]) -> Sent:
        name = shown(str(data[0]))
        span = self.tracer.start_span(
            f"{EMIT_SPAN} {name}",
            kind=SpanKind.PRODUCER,
            attributes={
                SYSTEM: SYSTEM_NAME,
                OPERATION_TYPE: "send",
                OPERATION_NAME: "emit",
                DESTINATION: namespace,
                EVENT: name,
            },
        )

        def sent(sids: Sequence[str]) -> None:
            span.set_attribute(RECIPIENTS, len(sids))
            span.end()

        return sent
