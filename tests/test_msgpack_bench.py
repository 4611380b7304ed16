"""``python -m bench --serializer json msgpack``: each server kind speaks each serializer,
is compared with the references speaking the same, and with itself speaking JSON."""

from __future__ import annotations

import argparse
import os

from bench.report import Summary, ratios, render
from bench.servers import SERIALIZER_ENV, SERVERS
from bench.workloads import WORKLOADS


def _summary(server: str, cpu: float, payload: float) -> Summary:
    return Summary(
        server=server,
        runs=1,
        ops_per_s=1e6 / cpu,
        p50_ms=1.0,
        p99_ms=2.0,
        cpu_us_per_op=cpu,
        ops_per_core_s=1e6 / cpu,
        server_busy=1.0,
        driver_busy=0.5,
        others_busy=0.0,
        rss_kb_per_op=None,
        payload_bytes_per_message=payload,
    )


def test_each_kind_speaks_msgpack_under_its_own_name() -> None:
    sioapp = SERVERS["sioapp"]
    assert sioapp.speaking("json") is sioapp
    speaking = sioapp.speaking("msgpack")
    assert (speaking.name, speaking.serializer, speaking.argv) == (
        "sioapp+msgpack",
        "msgpack",
        sioapp.argv,
    )
    assert speaking.environment[SERIALIZER_ENV] == "msgpack"
    assert speaking.environment["PATH"] == os.environ["PATH"]


def test_drivers_of_msgpack_servers_use_the_msgpack_parser() -> None:
    options = argparse.Namespace(connections=2, acks=3, warmup=0)
    command = WORKLOADS["echo"].command("http://127.0.0.1:1", options, "msgpack")
    assert command[-1] == "--serializer=msgpack"
    assert "--serializer=msgpack" not in WORKLOADS["echo"].command("http://127.0.0.1:1", options)


def test_msgpack_is_compared_with_its_references_and_with_json() -> None:
    summaries = [
        _summary("raw", cpu=200, payload=80),
        _summary("sioapp", cpu=100, payload=80),
        _summary("raw+msgpack", cpu=160, payload=100),
        _summary("sioapp+msgpack", cpu=80, payload=100),
    ]
    compared = {(r.server, r.baseline): r for r in ratios(summaries)}
    assert set(compared) == {
        ("sioapp", "raw"),
        ("sioapp+msgpack", "raw+msgpack"),
        ("raw+msgpack", "raw"),
        ("sioapp+msgpack", "sioapp"),
    }
    against_json = compared[("sioapp+msgpack", "sioapp")]
    assert (against_json.capacity, against_json.payload) == (1.25, 0.8)
    table = render("ack", "acks", summaries, ratios(summaries))
    assert "payload B/message" in table
    assert "sioapp+msgpack/sioapp: throughput 1.25, capacity (CPU per ack) 1.25" in table
    assert "bytes per message 0.80" in table
