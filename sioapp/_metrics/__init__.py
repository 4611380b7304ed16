"""What an app counts for Prometheus (``SioApp(metrics_url=...)``) and OpenTelemetry.

One observer counts (`MetricsObserver`) into a `Recorder`: Prometheus metrics
here, OpenTelemetry instruments in `sioapp.telemetry`; `Gauges` reads what is
cheaper to read at collection time than to count. prometheus-client is
imported only when metrics are served.
"""

from sioapp._metrics.gauges import Gauges, Measured, served
from sioapp._metrics.observer import UNKNOWN_EVENT_LABEL, MetricsObserver, Recorder, event_label
from sioapp._metrics.route import mount_metrics

__all__ = [
    "UNKNOWN_EVENT_LABEL",
    "Gauges",
    "Measured",
    "MetricsObserver",
    "Recorder",
    "event_label",
    "mount_metrics",
    "served",
]
