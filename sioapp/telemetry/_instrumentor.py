"""`SioAppInstrumentor`: OpenTelemetry traces and metrics for a SioApp."""

from __future__ import annotations

import logging

from opentelemetry import metrics, trace

from sioapp import __version__
from sioapp._app.app import SioApp
from sioapp._metrics import Gauges, served
from sioapp.telemetry._meters import MeteringObserver, MeterRecorder
from sioapp.telemetry._tracing import TracingObserver

__all__ = ["INSTRUMENTATION_SCOPE", "SioAppInstrumentor"]

logger = logging.getLogger("sioapp")

#: The name of the tracer and the meter, as OpenTelemetry's instrumentation scope.
INSTRUMENTATION_SCOPE = "sioapp.telemetry"


class SioAppInstrumentor:
    """Traces and measures SioApps with OpenTelemetry, as the instrumentors of
    opentelemetry-instrumentation do for other frameworks.

    ``SioAppInstrumentor().instrument_app(app)`` gives each client connecting,
    each event handled and each event emitted a span, and records the metrics of
    ``SioApp(metrics_url=...)`` through OpenTelemetry instruments. Only the
    OpenTelemetry API is used: the app's SDK, its processors and exporters decide
    what is kept and where it goes.
    """

    def instrument_app(
        self,
        app: SioApp,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
    ) -> None:
        """Trace and measure ``app`` from now on, with the global providers unless
        ``tracer_provider`` and ``meter_provider`` are given. An app already
        instrumented is left as it is."""
        if self.is_instrumented(app):
            logger.warning("%s is instrumented already", app.title)
            return
        tracer = trace.get_tracer(INSTRUMENTATION_SCOPE, __version__, tracer_provider)
        meter = metrics.get_meter(INSTRUMENTATION_SCOPE, __version__, meter_provider)
        namespaces = served(app)
        app.observers.add(TracingObserver(tracer, namespaces))
        app.observers.add(MeteringObserver(namespaces, MeterRecorder(meter, Gauges(app))))

    def uninstrument_app(self, app: SioApp) -> None:
        """Stop tracing and measuring ``app``; nothing happens if it is not instrumented."""
        for observer in list(app.observers):
            if isinstance(observer, MeteringObserver):
                observer.recorder.stop()
            if isinstance(observer, MeteringObserver | TracingObserver):
                app.observers.remove(observer)

    @staticmethod
    def is_instrumented(app: SioApp) -> bool:
        """Whether ``app`` is traced and measured by a `SioAppInstrumentor`."""
        return any(isinstance(observer, TracingObserver) for observer in app.observers)
