"""OpenTelemetry for sioapp apps: a span for each client connecting, each event handled and
each event emitted, and the app's metrics through OpenTelemetry instruments.

```python
from sioapp.telemetry import SioAppInstrumentor

SioAppInstrumentor().instrument_app(app, tracer_provider=None, meter_provider=None)
```

It needs the OpenTelemetry API (``pip install 'sioapp[otel]'``); the app
installs and configures the SDK and its exporters.
"""

from sioapp.telemetry._instrumentor import INSTRUMENTATION_SCOPE, SioAppInstrumentor

__all__ = ["INSTRUMENTATION_SCOPE", "SioAppInstrumentor"]
