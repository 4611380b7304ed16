"""The metrics of an app, named once for Prometheus and for OpenTelemetry.

An OpenTelemetry exporter to Prometheus turns each OpenTelemetry name into the
Prometheus one (``sioapp.events`` into ``sioapp_events_total``), so both give
the same series under the same names.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CONNECTED_SOCKETS",
    "CONNECTIONS",
    "DISCONNECTIONS",
    "EMITTED_PACKETS",
    "EVENTS",
    "EVENT_DURATION",
    "EVENT_DURATION_BUCKETS",
    "OUTGOING_BUFFER",
    "ROOMS",
    "Metric",
]


@dataclass(frozen=True, slots=True)
class Metric:
    """One metric: its OpenTelemetry ``name`` and ``unit``, its Prometheus name (counters
    without the ``_total`` that prometheus-client adds), what it counts, its labels."""

    name: str
    prometheus: str
    unit: str
    description: str
    labels: tuple[str, ...] = ()


#: Upper bounds of the event duration buckets, in seconds: most handlers take well under
#: a millisecond, a slow one seconds.
EVENT_DURATION_BUCKETS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)

CONNECTED_SOCKETS = Metric(
    "sioapp.connected_sockets",
    "sioapp_connected_sockets",
    "{socket}",
    "Sockets connected to this server, by namespace.",
    ("namespace",),
)
CONNECTIONS = Metric(
    "sioapp.connections",
    "sioapp_connections",
    "{connection}",
    "Connections to a namespace, by outcome: ok, or refused by connection middleware.",
    ("namespace", "outcome"),
)
DISCONNECTIONS = Metric(
    "sioapp.disconnections",
    "sioapp_disconnections",
    "{disconnection}",
    "Sockets that left, by namespace and reason.",
    ("namespace", "reason"),
)
EVENTS = Metric(
    "sioapp.events",
    "sioapp_events",
    "{event}",
    "Events handled, by namespace, event and outcome: ok, or the error code the client got.",
    ("namespace", "event", "outcome"),
)
EVENT_DURATION = Metric(
    "sioapp.event.duration",
    "sioapp_event_duration_seconds",
    "s",
    "Time from an event's arrival to its handler's end, packet middleware and ack included.",
    ("namespace", "event"),
)
EMITTED_PACKETS = Metric(
    "sioapp.emitted_packets",
    "sioapp_emitted_packets",
    "{packet}",
    "Event packets queued for sockets of this server, one per recipient, by namespace.",
    ("namespace",),
)
OUTGOING_BUFFER = Metric(
    "sioapp.outgoing_buffer",
    "sioapp_outgoing_buffer_bytes",
    "By",
    "Bytes queued for the connections of this server and not yet sent.",
)
ROOMS = Metric(
    "sioapp.rooms",
    "sioapp_rooms",
    "{room}",
    "Rooms with members on this server, sockets' own rooms not counted, by namespace.",
    ("namespace",),
)
