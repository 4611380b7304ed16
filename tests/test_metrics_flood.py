"""A scrape answers while a flood of clients connects to a real server."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from sioapp import SioApp

from .raw import RawClient

CLIENTS = 600
AT_ONCE = 150
#: Seconds any one scrape may take while the flood runs.
SCRAPE_BOUND = 1.0


def connected(text: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "sioapp_connected_sockets" and sample.labels["namespace"] == "/":
                return sample.value
    raise AssertionError("no sioapp_connected_sockets for /")


@pytest.mark.slow
async def test_a_scrape_answers_during_a_connection_flood(served: Any) -> None:
    url = await served(SioApp(metrics_url="/metrics"))
    clients: list[RawClient] = []

    async def arrive() -> None:
        client = await RawClient.open(url)
        clients.append(client)
        await client.connect()

    async def flood() -> None:
        for _ in range(CLIENTS // AT_ONCE):
            await asyncio.gather(*(arrive() for _ in range(AT_ONCE)))

    durations: list[float] = []
    seen: list[float] = []
    try:
        async with httpx.AsyncClient(base_url=url) as http:
            flooding = asyncio.create_task(flood())
            while not flooding.done():
                started = time.perf_counter()
                response = await asyncio.wait_for(http.get("/metrics"), SCRAPE_BOUND)
                durations.append(time.perf_counter() - started)
                seen.append(connected(response.text))
            await flooding
            after = connected((await http.get("/metrics")).text)
    finally:
        await asyncio.gather(*(client.close() for client in clients))
    assert after == CLIENTS
    # the scrapes answered while sockets were arriving, each within the bound
    assert len([count for count in seen if 0 < count < CLIENTS]) >= 2, seen
    assert seen == sorted(seen)
    assert max(durations) < SCRAPE_BOUND
