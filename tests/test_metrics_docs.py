"""The metrics section of the observability guide, run as the page describes it."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from .conftest import Connect

EXAMPLES = Path(__file__).resolve().parents[1] / "docs_src" / "observability"


def load(name: str) -> Any:
    sys.modules.pop(name, None)
    return importlib.import_module(name)


async def test_metrics_are_served_to_the_scraper_with_the_token(
    monkeypatch: pytest.MonkeyPatch, served: Any, client: Connect
) -> None:
    monkeypatch.setenv("SCRAPE_TOKEN", "s3cret")
    url = await served(load("docs_src.observability.metrics").app)
    ann, bob = await client(url), await client(url)
    for member in (ann, bob):
        assert await member.call("join", "kitchen") is True
    assert await ann.call("say", ("kitchen", "tea?")) is True
    job = yaml.safe_load((EXAMPLES / "prometheus.yml").read_text())["scrape_configs"][0]
    async with httpx.AsyncClient(base_url=url) as http:
        assert (await http.get(job["metrics_path"])).status_code == 401
        wrong = {"Authorization": "Bearer guess"}
        assert (await http.get(job["metrics_path"], headers=wrong)).status_code == 401
        right = {"Authorization": "Bearer s3cret"}
        response = await http.get(job["metrics_path"], headers=right)
    assert response.status_code == 200
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }

    def value(name: str, **labels: str) -> float:
        return samples[(name, tuple(sorted(labels.items())))]

    assert value("sioapp_connected_sockets", namespace="/") == 2
    assert value("sioapp_rooms", namespace="/") == 1
    assert value("sioapp_events_total", namespace="/", event="join", outcome="ok") == 2
    assert value("sioapp_events_total", namespace="/", event="say", outcome="ok") == 1
    assert value("sioapp_emitted_packets_total", namespace="/") == 1  # bob's "said"
