"""Rounds of one workload against every server kind, one measurement per run."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from bench.processes import DriverRun, drive, running_server
from bench.procstat import Pinning
from bench.servers import ServerKind
from bench.workloads import Workload


@dataclass(frozen=True)
class Measurement:
    """One run of a workload against a fresh server process.

    An operation is one unit of the workload (an ack for ``echo``, a delivery for
    ``broadcast``...). The memory fields are None unless the workload measures memory.
    """

    workload: str
    server: str
    round: int
    operations: int
    seconds: float
    ops_per_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    server_cpu_s: float
    cpu_us_per_op: float
    ops_per_core_s: float
    server_busy: float
    driver_busy: float
    #: Share of the server's CPU taken by other processes and the kernel; None unpinned.
    others_busy: float | None
    rss_before_kb: int | None
    rss_after_kb: int | None
    #: Growth of the server's resident memory per operation, in KiB.
    rss_kb_per_op: float | None
    #: Mean bytes of the Engine.IO messages the driver sent and received while measured
    #: (WebSocket frame payloads); None unless the driver counts them.
    payload_bytes_per_message: float | None = None

    @classmethod
    def of(cls, workload: Workload, server: str, round_: int, run: DriverRun) -> Measurement:
        result = run.result
        operations, seconds = int(result["operations"]), float(result["seconds"])
        latency = result["latency_ms"]
        before, after = run.server_rss_kb if workload.measures_memory else (None, None)
        growth = None if before is None or after is None else (after - before) / operations
        messages = result.get("messages")
        payload = result["payload_bytes"] / messages if messages else None
        return cls(
            workload=workload.name,
            server=server,
            round=round_,
            operations=operations,
            seconds=seconds,
            ops_per_s=operations / seconds,
            p50_ms=latency["p50"],
            p90_ms=latency["p90"],
            p99_ms=latency["p99"],
            max_ms=latency["max"],
            server_cpu_s=run.server_cpu_s,
            cpu_us_per_op=run.server_cpu_s / operations * 1e6,
            ops_per_core_s=operations / run.server_cpu_s,
            server_busy=run.server_cpu_s / run.wall_s,
            driver_busy=run.driver_cpu_s / run.wall_s,
            others_busy=None if run.others_cpu_s is None else run.others_cpu_s / run.wall_s,
            rss_before_kb=before,
            rss_after_kb=after,
            rss_kb_per_op=growth,
            payload_bytes_per_message=payload,
        )


def _others(busy: float | None) -> str:
    return "" if busy is None else f", others on its CPU {busy:4.0%}"


def _memory(measurement: Measurement, unit: str) -> str:
    per_op = measurement.rss_kb_per_op
    return "" if per_op is None else f", {per_op:5.1f} KiB RSS/{unit}"


def _payload(measurement: Measurement) -> str:
    per_message = measurement.payload_bytes_per_message
    return "" if per_message is None else f", {per_message:5.1f} B/message"


def _order(servers: list[ServerKind], round_: int) -> list[ServerKind]:
    """The servers rotated by one place per round, so none always runs first."""
    shift = round_ % len(servers)
    return servers[shift:] + servers[:shift]


async def run_rounds(
    workload: Workload,
    servers: list[ServerKind],
    options: argparse.Namespace,
    pinning: Pinning,
) -> list[Measurement]:
    """``options.rounds`` rounds, each running every server once on a fresh process."""
    measurements: list[Measurement] = []
    for round_ in range(options.rounds):
        for kind in _order(servers, round_):
            async with running_server(kind, pinning.server) as server:
                run = await drive(
                    workload.command(server.url, options, kind.serializer),
                    server.pid,
                    pinning,
                    options.timeout,
                )
            if run.result["errors"]:
                raise RuntimeError(
                    f"{kind.name}: {run.result['errors']} wrong replies, "
                    f"first: {run.result.get('first_error')!r}"
                )
            if run.server_cpu_s <= 0:
                raise RuntimeError(
                    f"{kind.name}: the run used less than one clock tick of server CPU; "
                    "raise --acks"
                )
            measurement = Measurement.of(workload, kind.name, round_ + 1, run)
            measurements.append(measurement)
            print(
                f"round {round_ + 1}/{options.rounds} {kind.name:>7}: "
                f"{measurement.ops_per_s:8.0f} {workload.units}/s, "
                f"{measurement.cpu_us_per_op:6.1f} µs CPU/{workload.unit}, "
                f"server busy {measurement.server_busy:4.0%}"
                + _memory(measurement, workload.unit)
                + _payload(measurement)
                + _others(measurement.others_busy),
                flush=True,
            )
    return measurements
