"""The observer that counts, whatever the numbers are written to: Prometheus metrics or
OpenTelemetry instruments."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sioapp._protocol.observers import Finish, Observer, Sent
from sioapp._protocol.reasons import DisconnectReason
from sioapp._protocol.socket import Socket
from sioapp._runtime.registry import NamespaceRegistry

__all__ = ["UNKNOWN_EVENT_LABEL", "MetricsObserver", "Recorder", "event_label"]

#: The one label of every event no handler is registered for: clients cannot add labels.
UNKNOWN_EVENT_LABEL = "<unknown>"


def event_label(registry: Mapping[str, NamespaceRegistry], namespace: str, event: str) -> str:
    """``event`` as a label: its name when ``namespace`` has a handler for it, else
    `UNKNOWN_EVENT_LABEL`."""
    handlers = registry.get(namespace)
    return event if handlers is not None and event in handlers.events else UNKNOWN_EVENT_LABEL


class Recorder(Protocol):
    """Where `MetricsObserver` writes what it counts."""

    def connection(self, namespace: str, outcome: str) -> None:
        """A connection to ``namespace`` ended its middleware with ``outcome``."""

    def disconnection(self, namespace: str, reason: str) -> None:
        """A socket of ``namespace`` left for ``reason``."""

    def event(self, namespace: str, event: str, outcome: str, seconds: float) -> None:
        """An event was handled with ``outcome`` in ``seconds``."""

    def emitted(self, namespace: str, packets: int) -> None:
        """An event was queued for ``packets`` sockets of this server."""


class MetricsObserver(Observer):
    """Counts connections, disconnections, events and emitted packets into ``recorder``,
    with bounded labels: an event no handler of ``registry`` takes is `UNKNOWN_EVENT_LABEL`."""

    def __init__(self, registry: Mapping[str, NamespaceRegistry], recorder: Recorder) -> None:
        self.registry = registry
        self.recorder = recorder

    def connecting(self, socket: Socket) -> Finish:
        namespace, connection = socket.nsp, self.recorder.connection

        def finish(outcome: str, error: BaseException | None) -> None:
            connection(namespace, outcome)

        return finish

    def socket_disconnected(self, socket: Socket, reason: DisconnectReason) -> None:
        self.recorder.disconnection(socket.nsp, reason.value)

    def event_received(self, socket: Socket, event: str, args: Sequence[Any]) -> Finish:
        started = time.perf_counter()
        namespace, record = socket.nsp, self.recorder.event
        label = event_label(self.registry, namespace, event)

        def finish(outcome: str, error: BaseException | None) -> None:
            record(namespace, label, outcome, time.perf_counter() - started)

        return finish

    def emitting(self, namespace: str, data: Sequence[Any]) -> Sent:
        emitted = self.recorder.emitted

        def sent(sids: Sequence[str]) -> None:
            if sids:
                emitted(namespace, len(sids))

        return sent
