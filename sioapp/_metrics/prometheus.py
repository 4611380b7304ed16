"""One app's metrics in Prometheus' text format, in a registry of their own."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.metrics_core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric as Family
from prometheus_client.registry import Collector

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
from sioapp._metrics.gauges import Gauges

__all__ = ["PrometheusMetrics"]

M = TypeVar("M", bound=MetricWrapperBase)


class _Labelled(Generic[M]):
    """A metric's child for each set of label values, looked up once per set."""

    def __init__(self, metric: M) -> None:
        self.metric = metric
        self._children: dict[tuple[str, ...], M] = {}

    def __call__(self, *values: str) -> M:
        child = self._children.get(values)
        if child is None:
            child = self._children[values] = self.metric.labels(*values)
        return child


def _counter(metric: Metric, registry: CollectorRegistry) -> _Labelled[Counter]:
    counter = Counter(metric.prometheus, metric.description, metric.labels, registry=registry)
    return _Labelled(counter)


def _by_namespace(metric: Metric, values: dict[str, int]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(metric.prometheus, metric.description, labels=metric.labels)
    for namespace, value in values.items():
        family.add_metric((namespace,), value)
    return family


class _Read(Collector):
    """The gauges, read from the server at each scrape."""

    def __init__(self, gauges: Gauges) -> None:
        self.gauges = gauges

    def collect(self) -> Iterable[Family]:
        gauges = self.gauges
        yield _by_namespace(CONNECTED_SOCKETS, gauges.connected_sockets())
        yield _by_namespace(ROOMS, gauges.rooms())
        yield GaugeMetricFamily(
            OUTGOING_BUFFER.prometheus,
            OUTGOING_BUFFER.description,
            value=gauges.outgoing_buffer_bytes(),
        )


class PrometheusMetrics:
    """The counters a `MetricsObserver` writes to and the gauges read at each scrape, in a
    `CollectorRegistry` of this app's own, so that several apps in one process do not
    collide."""

    def __init__(self, gauges: Gauges) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self._connections = _counter(CONNECTIONS, self.registry)
        self._disconnections = _counter(DISCONNECTIONS, self.registry)
        self._events = _counter(EVENTS, self.registry)
        self._emitted = _counter(EMITTED_PACKETS, self.registry)
        self._durations = _Labelled(
            Histogram(
                EVENT_DURATION.prometheus,
                EVENT_DURATION.description,
                EVENT_DURATION.labels,
                registry=self.registry,
                buckets=EVENT_DURATION_BUCKETS,
            )
        )
        self.registry.register(_Read(gauges))

    def connection(self, namespace: str, outcome: str) -> None:
        self._connections(namespace, outcome).inc()

    def disconnection(self, namespace: str, reason: str) -> None:
        self._disconnections(namespace, reason).inc()

    def event(self, namespace: str, event: str, outcome: str, seconds: float) -> None:
        self._events(namespace, event, outcome).inc()
        self._durations(namespace, event).observe(seconds)

    def emitted(self, namespace: str, packets: int) -> None:
        self._emitted(namespace).inc(packets)

    def exposition(self, accept: str) -> tuple[bytes, str]:
        """Every metric in the format the ``Accept`` header asks for (Prometheus text, or
        OpenMetrics), and its content type."""
        encode, content_type = choose_encoder(accept)
        return encode(self.registry), content_type
