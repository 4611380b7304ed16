"""Serving an app's metrics to Prometheus beside its REST routes."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence

from fastapi import FastAPI, Request, Response, params

from sioapp._metrics.gauges import Gauges, Measured, served
from sioapp._metrics.observer import MetricsObserver

__all__ = ["mount_metrics"]


def mount_metrics(
    fastapi: FastAPI,
    app: Measured,
    metrics_url: str,
    dependencies: Sequence[params.Depends] = (),
) -> None:
    """Count what ``app`` does and serve it at ``metrics_url`` in Prometheus' text format
    (OpenMetrics when the scraper asks for it), behind the FastAPI ``dependencies``."""
    path = "/" + metrics_url.strip("/")
    if path == "/":
        raise ValueError(f"metrics_url must be a path such as '/metrics', not {metrics_url!r}")
    if importlib.util.find_spec("prometheus_client") is None:
        raise ImportError(
            "metrics_url needs prometheus-client: pip install 'sioapp[metrics]'",
            name="prometheus_client",
        )
    from sioapp._metrics.prometheus import PrometheusMetrics  # prometheus-client is optional

    metrics = PrometheusMetrics(Gauges(app))
    app.observers.add(MetricsObserver(served(app), metrics))

    @fastapi.get(path, include_in_schema=False, dependencies=list(dependencies))
    async def scrape(request: Request) -> Response:
        body, content_type = metrics.exposition(request.headers.get("accept", ""))
        return Response(body, headers={"Content-Type": content_type})
