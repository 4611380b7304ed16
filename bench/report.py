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
from bench.servers import BASELINE

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


@dataclass(frozen=True)
class Ratio:
    """A server against the baseline: > 1 is better than the baseline."""

    server: str
    baseline: str
    throughput: float
    capacity: float


def summarise(measurements: list[Measurement]) -> list[Summary]:
    """One summary per server, in the order servers first appear."""
    by_server: dict[str, list[Measurement]] = {}
    for measurement in measurements:
        by_server.setdefault(measurement.server, []).append(measurement)

    def median(runs: list[Measurement], field: str) -> float:
        return float(statistics.median(float(getattr(run, field)) for run in runs))

    def others(runs: list[Measurement]) -> float | None:
        values = [run.others_busy for run in runs if run.others_busy is not None]
        return statistics.median(values) if values else None

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
            others_busy=others(runs),
        )
        for server, runs in by_server.items()
    ]


def ratios(summaries: list[Summary]) -> list[Ratio]:
    """Throughput (ops/s) and capacity (ops per busy core-second) of each server over the
    baseline's; empty when the baseline was not run."""
    base = next((s for s in summaries if s.server == BASELINE), None)
    if base is None:
        return []
    return [
        Ratio(
            server=s.server,
            baseline=base.server,
            throughput=s.ops_per_s / base.ops_per_s,
            capacity=base.cpu_us_per_op / s.cpu_us_per_op,
        )
        for s in summaries
        if s is not base
    ]


def render(unit: str, summaries: list[Summary], compared: list[Ratio]) -> str:
    """The table of medians and the ratio lines."""
    headers = (
        "server",
        f"{unit}s/s",
        "p50 ms",
        "p99 ms",
        f"CPU µs/{unit}",
        f"{unit}s/core-s",
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
    out.extend(
        f"{r.server}/{r.baseline}: throughput {r.throughput:.2f}, "
        f"capacity (CPU per {unit}) {r.capacity:.2f}"
        for r in compared
    )
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
