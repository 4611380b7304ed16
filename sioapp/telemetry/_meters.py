"""The numbers of ``SioApp(metrics_url=...)``, through OpenTelemetry instruments."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from opentelemetry.metrics import CallbackOptions, Meter, Observation

from sioapp._metrics import Gauges, MetricsObserver
from sioapp._metrics.catalog import (
    CONNECTED_SOCKETS,
    CONNECTIONS,
    DISCONNECTIONS,
    EMITTED_PACKETS,
    EVENT_DURATION,
    EVENT_DURATION_BUCKETS,
    EVENTS,
    OUTGOING_BUFFER,
    ROOMS,
    Metric,
)

__all__ = ["MeterRecorder", "MeteringObserver"]

Attributes = dict[str, str]


class _Attributes:
    """The attributes of one metric for each set of label values, built once per set."""

    def __init__(self, metric: Metric) -> None:
        self.labels = metric.labels
        self._sets: dict[tuple[str, ...], Attributes] = {}

    def __call__(self, *values: str) -> Attributes:
        attributes = self._sets.get(values)
        if attributes is None:
            attributes = self._sets[values] = dict(zip(self.labels, values, strict=True))
        return attributes


def _by_namespace(values: dict[str, int]) -> list[Observation]:
    return [Observation(value, {"namespace": namespace}) for namespace, value in values.items()]


class MeterRecorder:
    """Writes what a `MetricsObserver` counts to ``meter``'s instruments, and reads
    ``gauges`` when the meter's readers collect, until `stop`."""

    def __init__(self, meter: Meter, gauges: Gauges) -> None:
        self.gauges: Gauges | None = gauges
        self._connections = meter.create_counter(
            CONNECTIONS.name, CONNECTIONS.unit, CONNECTIONS.description
        )
        self._disconnections = meter.create_counter(
            DISCONNECTIONS.name, DISCONNECTIONS.unit, DISCONNECTIONS.description
        )
        self._events = meter.create_counter(EVENTS.name, EVENTS.unit, EVENTS.description)
        self._durations = meter.create_histogram(
            EVENT_DURATION.name,
            EVENT_DURATION.unit,
            EVENT_DURATION.description,
            explicit_bucket_boundaries_advisory=EVENT_DURATION_BUCKETS,
        )
        self._emitted = meter.create_counter(
            EMITTED_PACKETS.name, EMITTED_PACKETS.unit, EMITTED_PACKETS.description
        )
        self._connection = _Attributes(CONNECTIONS)
        self._disconnection = _Attributes(DISCONNECTIONS)
        self._event = _Attributes(EVENTS)
        self._duration = _Attributes(EVENT_DURATION)
        self._namespace = _Attributes(EMITTED_PACKETS)
        for metric, read in (
            (CONNECTED_SOCKETS, lambda gauges: _by_namespace(gauges.connected_sockets())),
            (ROOMS, lambda gauges: _by_namespace(gauges.rooms())),
            (OUTGOING_BUFFER, lambda gauges: [Observation(gauges.outgoing_buffer_bytes())]),
        ):
            meter.create_observable_up_down_counter(
                metric.name, [self._observe(read)], metric.unit, metric.description
            )

    def _observe(
        self, read: Callable[[Gauges], list[Observation]]
    ) -> Callable[[CallbackOptions], Iterable[Observation]]:
        def observe(options: CallbackOptions) -> Iterable[Observation]:
            return [] if self.gauges is None else read(self.gauges)

        return observe

    def stop(self) -> None:
        """Stop reading the gauges (instruments cannot be taken back from a meter)."""
        self.gauges = None

    def connection(self, namespace: str, outcome: str) -> None:
        self._connections.add(1, self._connection(namespace, outcome))

    def disconnection(self, namespace: str, reason: str) -> None:
        self._disconnections.add(1, self._disconnection(namespace, reason))

    def event(self, namespace: str, event: str, outcome: str, seconds: float) -> None:
        self._events.add(1, self._event(namespace, event, outcome))
        self._durations.record(seconds, self._duration(namespace, event))

    def emitted(self, namespace: str, packets: int) -> None:
        self._emitted.add(packets, self._namespace(namespace))


class MeteringObserver(MetricsObserver):
    """A `MetricsObserver` writing to a `MeterRecorder`."""

    recorder: MeterRecorder
