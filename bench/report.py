"""Medians per server, ratios to the baseline, the printed table and the JSON file."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.npm import REQUIRED, installed_version
from bench.procstat import CLOCK_TICKS, Pinning
from bench.runner import Measurement
from bench.servers import REFERENCES

PYTHON_PACKAGES = (
    "sioapp",
    "python-socketio",
    "python-engineio",
    "uvicorn",
    "websockets",
    "uvloop",
    "httptools",
    "pydantic",
    "orjson",
)


@dataclass(frozen=True)
class Summary:
    """Medians over the rounds of one server."""

    server: str
    runs: int
    ops_per_s: float
    p50_ms: float
    p99_ms: float
    cpu_us_per_op: float
    ops_per_core_s: float
    server_busy: float
    driver_busy: float
    others_busy: float | None
    rss_kb_per_op: float | None
    payload_bytes_per_message: float | None = None


@dataclass(frozen=True)
class Ratio:
    """A server against a reference server: > 1 is better than the reference.

    ``p99`` is the reference's p99 latency over this server's, ``memory`` the
    reference's RSS growth per operation over this server's (None unless measured),
    ``payload`` the reference's bytes per message over this server's (None unless
    counted).
    """

    server: str
    baseline: str
    throughput: float
    capacity: float
    p99: float
    memory: float | None
    payload: float | None = None


def summarise(measurements: list[Measurement]) -> list[Summary]:
    """One summary per server, in the order servers first appear."""
    by_server: dict[str, list[Measurement]] = {}
    for measurement in measurements:
        by_server.setdefault(measurement.server, []).append(measurement)

    def median(runs: list[Measurement], field: str) -> float:
        return float(statistics.median(float(getattr(run, field)) for run in runs))

    def optional(runs: list[Measurement], field: str) -> float | None:
        values = [value for run in runs if (value := getattr(run, field)) is not None]
        return float(statistics.median(values)) if values else None

    return [
        Summary(
            server=server,
            runs=len(runs),
            **{
                field: median(runs, field)
                for field in (
                    "ops_per_s",
                    "p50_ms",
                    "p99_ms",
                    "cpu_us_per_op",
                    "ops_per_core_s",
                    "server_busy",
                    "driver_busy",
                )
            },
            others_busy=optional(runs, "others_busy"),
            rss_kb_per_op=optional(runs, "rss_kb_per_op"),
            payload_bytes_per_message=optional(runs, "payload_bytes_per_message"),
        )
        for server, runs in by_server.items()
    ]


def _ratio(s: Summary, base: Summary) -> Ratio:
    memory = None
    if s.rss_kb_per_op is not None and base.rss_kb_per_op is not None and s.rss_kb_per_op > 0:
        memory = base.rss_kb_per_op / s.rss_kb_per_op
    payload = None
    if s.payload_bytes_per_message and base.payload_bytes_per_message is not None:
        payload = base.payload_bytes_per_message / s.payload_bytes_per_message
    return Ratio(
        server=s.server,
        baseline=base.server,
        throughput=s.ops_per_s / base.ops_per_s,
        capacity=base.cpu_us_per_op / s.cpu_us_per_op,
        p99=base.p99_ms / s.p99_ms,
        memory=memory,
        payload=payload,
    )


def ratios(summaries: list[Summary]) -> list[Ratio]:
    """Each server against each reference server that ran and speaks the same serializer:
    raw python-socketio, then Node (a reference is not compared with the ones before it
    again); then each server speaking another serializer than JSON (``sioapp+msgpack``)
    against itself speaking JSON."""
    by_name = {s.server: s for s in summaries}
    compared: list[Ratio] = []
    for index, reference in enumerate(REFERENCES):
        for s in summaries:
            kind, plus, serializer = s.server.partition("+")
            base = by_name.get(reference + plus + serializer)
            if base is not None and s is not base and kind not in REFERENCES[:index]:
                compared.append(_ratio(s, base))
    for s in summaries:
        kind, plus, _ = s.server.partition("+")
        base = by_name.get(kind)
        if plus and base is not None:
            compared.append(_ratio(s, base))
    return compared


def _optional(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _ratio_line(r: Ratio, unit: str) -> str:
    line = (
        f"{r.server}/{r.baseline}: throughput {r.throughput:.2f}, "
        f"capacity (CPU per {unit}) {r.capacity:.2f}, p99 latency {r.p99:.2f}"
    )
    if r.memory is not None:
        line += f", memory per {unit} {r.memory:.2f}"
    return line if r.payload is None else f"{line}, bytes per message {r.payload:.2f}"


def render(unit: str, units: str, summaries: list[Summary], compared: list[Ratio]) -> str:
    """The table of medians and the ratio lines."""
    memory = any(s.rss_kb_per_op is not None for s in summaries)
    payload = any(s.payload_bytes_per_message is not None for s in summaries)
    headers = (
        "server",
        f"{units}/s",
        "p50 ms",
        "p99 ms",
        f"CPU µs/{unit}",
        f"{units}/core-s",
        *((f"RSS KiB/{unit}",) if memory else ()),
        *(("payload B/message",) if payload else ()),
        "server busy",
        "driver busy",
        "others busy",
    )
    rows = [
        (
            s.server,
            f"{s.ops_per_s:,.0f}",
            f"{s.p50_ms:.2f}",
            f"{s.p99_ms:.2f}",
            f"{s.cpu_us_per_op:.1f}",
            f"{s.ops_per_core_s:,.0f}",
            *((_optional(s.rss_kb_per_op),) if memory else ()),
            *((_optional(s.payload_bytes_per_message),) if payload else ()),
            f"{s.server_busy:.0%}",
            f"{s.driver_busy:.0%}",
            "-" if s.others_busy is None else f"{s.others_busy:.0%}",
        )
        for s in summaries
    ]
    widths = [max(len(row[i]) for row in (headers, *rows)) for i in range(len(headers))]

    def line(cells: tuple[str, ...]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True))
        return "  ".join((first, *rest))

    out = [line(headers), line(tuple("-" * width for width in widths)), *map(line, rows)]
    if compared:
        out.append("")
    out.extend(_ratio_line(r, unit) for r in compared)
    return "\n".join(out)


def _cpu_model() -> str:
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor()
    for line in cpuinfo.splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def environment(pinning: Pinning) -> dict[str, Any]:
    """Versions, CPU and pinning the numbers were measured with."""
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True)
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "server_cpus": sorted(pinning.server) if pinning.server is not None else None,
        "driver_cpus": sorted(pinning.driver) if pinning.driver is not None else None,
        "clock_ticks_per_s": CLOCK_TICKS,
        "python_packages": {package: _version(package) for package in PYTHON_PACKAGES},
        "node": node.stdout.strip(),
        "node_packages": {package: installed_version(package) for package in REQUIRED},
    }


def write_json(
    path: Path,
    *,
    workload: str,
    unit: str,
    settings: dict[str, Any],
    env: dict[str, Any],
    measurements: list[Measurement],
    summaries: list[Summary],
    compared: list[Ratio],
) -> None:
    """Every run, the medians and the ratios, as JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "workload": workload,
        "unit": unit,
        "settings": settings,
        "environment": env,
        "runs": [asdict(m) for m in measurements],
        "medians": [asdict(s) for s in summaries],
        "ratios": [asdict(r) for r in compared],
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
