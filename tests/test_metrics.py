"""SioApp(metrics_url=...): Prometheus metrics of a real app, scraped over HTTP."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import httpx
import pytest
from fastapi import Depends, Header, HTTPException
from prometheus_client.parser import text_string_to_metric_families

from sioapp import ConnectionRefused, EventError, Router, SioApp, Socket
from sioapp.testing import TestClient, TestServer

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    """Every sample of Prometheus' text format, by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scrape(http: httpx.AsyncClient, url: str = "/metrics") -> Samples:
    """Every sample of the app's metrics."""
    response = await http.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(response.text)


def sample(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def counted(samples: Samples, name: str, **labels: str) -> float:
    """A counter's value; 0 when nothing was counted for these labels yet."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def build(**options: Any) -> SioApp:
    app = SioApp(**{"metrics_url": "/metrics", **options})
    chat = Router()
    admin = Router(namespace="/admin")

    @chat.on("join")
    async def join(room: str, socket: Socket) -> None:
        await socket.join(room)

    @chat.on("leave")
    async def leave(room: str, socket: Socket) -> None:
        await socket.leave(room)

    @chat.on("shout")
    async def shout(room: str, text: str, socket: Socket) -> None:
        await socket.to(room).emit("shout", text)

    @chat.on("fail")
    async def fail() -> None:
        raise EventError("not_allowed", "Not here")

    @chat.on("slow")
    async def slow() -> None:
        await asyncio.sleep(0.03)

    @chat.on("kick")
    async def kick(socket: Socket) -> None:
        await socket.disconnect()

    @admin.use
    async def only_admins(socket: Socket) -> None:
        if socket.handshake.auth.get("token") != "admin":
            raise ConnectionRefused("admins only")

    @admin.on("ping")
    async def ping() -> str:
        return "pong"

    app.include_router(chat)
    app.include_router(admin)
    return app


async def test_metrics_count_sockets_rooms_events_and_packets() -> None:
    app = build()
    async with (
        TestServer(app) as server,
        TestClient(app) as ann,
        TestClient(app) as bob,
        TestClient(app) as cid,
        TestClient(app, namespace="/admin", auth={"token": "admin"}) as root,
    ):
        with pytest.raises(ConnectionRefused):
            async with TestClient(app, namespace="/admin"):
                pass
        for client, room in ((ann, "lobby"), (ann, "games"), (bob, "lobby")):
            await client.call("join", room)
        await ann.call("shout", "lobby", "hello")
        assert await bob.receive("shout") == ["hello"]
        await app.emit("news", "to all three")
        assert await root.call("ping") == "pong"
        assert (await ann.call("fail"))["error"]["code"] == "not_allowed"
        assert (await ann.call("nobody handles this"))["error"]["code"] == "unknown_event"

        samples = await scrape(server.http)
        assert sample(samples, "sioapp_connected_sockets", namespace="/") == 3
        assert sample(samples, "sioapp_connected_sockets", namespace="/admin") == 1
        assert sample(samples, "sioapp_rooms", namespace="/") == 2
        assert sample(samples, "sioapp_rooms", namespace="/admin") == 0
        connections = "sioapp_connections_total"
        assert counted(samples, connections, namespace="/", outcome="ok") == 3
        assert counted(samples, connections, namespace="/admin", outcome="ok") == 1
        assert counted(samples, connections, namespace="/admin", outcome="refused") == 1
        events = "sioapp_events_total"
        assert counted(samples, events, namespace="/", event="join", outcome="ok") == 3
        assert counted(samples, events, namespace="/", event="shout", outcome="ok") == 1
        assert counted(samples, events, namespace="/", event="fail", outcome="not_allowed") == 1
        assert (
            counted(samples, events, namespace="/", event="<unknown>", outcome="unknown_event") == 1
        )
        assert counted(samples, events, namespace="/admin", event="ping", outcome="ok") == 1
        # the shout reached bob alone, the news all three sockets of "/"
        assert counted(samples, "sioapp_emitted_packets_total", namespace="/") == 4
        assert counted(samples, "sioapp_disconnections_total", namespace="/admin") == 0

        await bob.disconnect()
        await cid.emit("kick")
        assert await cid.wait_disconnected() == "io server disconnect"
        await ann.call("leave", "games")
        samples = await scrape(server.http)
        assert sample(samples, "sioapp_connected_sockets", namespace="/") == 1
        assert sample(samples, "sioapp_rooms", namespace="/") == 1
        disconnections = "sioapp_disconnections_total"
        assert (
            counted(samples, disconnections, namespace="/", reason="client namespace disconnect")
            == 1
        )
        assert (
            counted(samples, disconnections, namespace="/", reason="server namespace disconnect")
            == 1
        )


async def test_event_durations_fall_in_their_buckets() -> None:
    app = build()
    async with TestServer(app) as server, TestClient(app) as client:
        await client.call("slow")
        samples = await scrape(server.http)
    histogram = "sioapp_event_duration_seconds"
    assert counted(samples, f"{histogram}_count", namespace="/", event="slow") == 1
    assert counted(samples, f"{histogram}_sum", namespace="/", event="slow") >= 0.03
    buckets = {"le": "0.025", "namespace": "/", "event": "slow"}
    assert counted(samples, f"{histogram}_bucket", **buckets) == 0
    assert counted(samples, f"{histogram}_bucket", **{**buckets, "le": "+Inf"}) == 1


async def test_event_names_from_clients_add_no_labels() -> None:
    app = build()
    async with TestServer(app) as server, TestClient(app) as client:
        for index in range(200):
            reply = await client.call(f"made-up event {index} " + "x" * 1000)
            assert reply["error"]["code"] == "unknown_event"
        response = await server.http.get("/metrics")
    samples = parse(response.text)
    labels = {dict(key)["event"] for name, key in samples if name == "sioapp_events_total"}
    assert labels == {"<unknown>"}
    unknown = {"namespace": "/", "event": "<unknown>", "outcome": "unknown_event"}
    assert counted(samples, "sioapp_events_total", **unknown) == 200
    assert len(response.content) < 10_000


async def test_the_outgoing_buffer_counts_what_a_client_has_not_taken() -> None:
    app = build()
    async with TestServer(app) as server:
        http = server.http
        polling = {"EIO": "4", "transport": "polling"}
        opened = await http.get("/socket.io/", params=polling)
        sid = opened.text[opened.text.index('"sid":"') + 7 :][:20]
        session = {**polling, "sid": sid}
        assert (await http.post("/socket.io/", params=session, content="40")).text == "ok"
        # the CONNECT reply waits for the next poll, and so does the news
        await app.emit("news", "x" * 10_000)
        waiting = sample(await scrape(http), "sioapp_outgoing_buffer_bytes")
        assert 10_000 < waiting < 10_100
        assert "x" * 10_000 in (await http.get("/socket.io/", params=session)).text
        assert sample(await scrape(http), "sioapp_outgoing_buffer_bytes") == 0


async def test_openmetrics_when_the_scraper_asks_for_it() -> None:
    app = build()
    async with TestServer(app) as server, TestClient(app):
        response = await server.http.get(
            "/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
        )
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert 'sioapp_connected_sockets{namespace="/"} 1.0' in response.text
    assert response.text.endswith("# EOF\n")


async def test_metrics_are_off_by_default() -> None:
    app = SioApp()
    assert not app.observers  # the server pays one truth test per step, nothing more
    async with TestServer(app) as server:
        assert (await server.http.get("/metrics")).status_code == 404


async def test_metrics_dependencies_guard_the_metrics() -> None:
    def scraper(authorization: str = Header("")) -> None:
        if authorization != "Bearer scrape":
            raise HTTPException(401, "who are you?")

    app = build(metrics_dependencies=[Depends(scraper)])

    @app.fastapi.get("/health")
    async def health() -> str:
        return "fine"

    async with TestServer(app) as server:
        assert (await server.http.get("/metrics")).status_code == 401
        guarded = {"Authorization": "Bearer scrape"}
        assert (await server.http.get("/metrics", headers=guarded)).status_code == 200
        assert (await server.http.get("/health")).json() == "fine"  # the metrics' only


async def test_apps_in_one_process_keep_their_own_metrics() -> None:
    first, second = build(), build(metrics_url="/internal/metrics")
    async with (
        TestServer(first) as one,
        TestServer(second) as two,
        TestClient(first) as ann,
        TestClient(second) as bob,
    ):
        await ann.call("join", "a")
        await bob.call("join", "b")
        await bob.call("join", "c")
        counts = await scrape(one.http), await scrape(two.http, "/internal/metrics")
    events = [
        counted(samples, "sioapp_events_total", namespace="/", event="join", outcome="ok")
        for samples in counts
    ]
    assert events == [1, 2]


def test_metrics_need_prometheus_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "prometheus_client", None)  # as if not installed
    with pytest.raises(ImportError, match=r"pip install 'sioapp\[metrics\]'"):
        SioApp(metrics_url="/metrics")


def test_metrics_url_must_be_a_path() -> None:
    with pytest.raises(ValueError, match="metrics_url must be a path"):
        SioApp(metrics_url="/")
