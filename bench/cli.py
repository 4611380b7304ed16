"""Command line of ``python -m bench``."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import time
from collections.abc import Sequence

from bench import report
from bench.npm import ensure_node_modules
from bench.paths import RESULTS_DIR
from bench.procstat import Pinning, open_files_limit
from bench.runner import run_rounds
from bench.servers import DEFAULT_SERVERS, SERIALIZERS, SERVED_BY, SERVERS
from bench.workloads import WORKLOADS, Workload

#: Files a server or driver opens besides its connections (modules, pipes, listeners).
SPARE_FILES = 256


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Serve each workload from each server kind and compare them.",
    )
    parser.add_argument(
        "--workloads",
        nargs="+",
        default=list(WORKLOADS),
        choices=list(WORKLOADS),
        metavar="WORKLOAD",
        help=f"workloads to run, among {', '.join(WORKLOADS)} (default: all, in this order)",
    )
    parser.add_argument(
        "--servers",
        nargs="+",
        default=list(DEFAULT_SERVERS),
        choices=list(SERVERS),
        metavar="SERVER",
        help=f"server kinds to run, among {', '.join(SERVERS)} "
        f"(default: {' '.join(DEFAULT_SERVERS)})",
    )
    parser.add_argument(
        "--serializer",
        nargs="+",
        default=["json"],
        choices=SERIALIZERS,
        metavar="SERIALIZER",
        help="what every server speaks, json and/or msgpack (socket.io-msgpack-parser); "
        "each server runs once per serializer, side by side (default: json)",
    )
    parser.add_argument(
        "--server",
        default="sioapp",
        choices=SERVED_BY,
        help="what serves the Python servers: sioapp run's default (sioapp's own WebSocket "
        "wire for sioapp, plain uvicorn for raw python-socketio), uvicorn with one of its "
        "WebSocket implementations, hypercorn or granian, through ASGI (default: sioapp)",
    )
    add_run_options(parser, per="server")
    return parser


def add_run_options(parser: argparse.ArgumentParser, *, per: str) -> None:
    """``--rounds`` (runs ``per`` server kind or setup), ``--timeout`` and every workload's
    settings."""
    parser.add_argument("--rounds", type=int, default=3, help=f"runs per {per} (default: 3)")
    parser.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="seconds a driver phase may take before the run fails (default: 120)",
    )
    add_settings(parser)


def add_settings(parser: argparse.ArgumentParser) -> None:
    """One option per setting of every workload."""
    for workload in WORKLOADS.values():
        for setting in workload.options:
            parser.add_argument(
                setting.flag,
                dest=setting.dest,
                type=int,
                default=setting.default,
                help=f"{setting.help} (default: {setting.default})",
            )


def check(workload: Workload, options: argparse.Namespace) -> None:
    """Exit with a message when the settings cannot run ``workload``."""
    settings = workload.settings(options)
    if any(value < (0 if key == "warmup" else 1) for key, value in settings.items()):
        raise SystemExit(
            f"bench: {workload.name} settings must be positive (warm-ups may be 0): {settings}"
        )
    needed = workload.peak_connections(settings) + SPARE_FILES
    if needed > open_files_limit():
        raise SystemExit(
            f"bench: {workload.name} needs about {needed} open files per process, but the "
            f"hard limit is {open_files_limit()}; raise it (ulimit -Hn) or use fewer connections"
        )


def _run(workload: Workload, options: argparse.Namespace, pinning: Pinning) -> None:
    servers = [
        SERVERS[name].speaking(serializer).serving(options.server)
        for serializer in dict.fromkeys(options.serializer)
        for name in dict.fromkeys(options.servers)
    ]
    print(f"\n{workload.name}: {workload.description}")
    print(
        f"settings: {workload.settings(options)}, rounds: {options.rounds}, "
        f"WebSockets served by: {options.server}",
        flush=True,
    )
    measurements = asyncio.run(run_rounds(workload, servers, options, pinning))
    summaries = report.summarise(measurements)
    compared = report.ratios(summaries)
    print(f"\n{workload.name}, medians of {options.rounds} rounds:")
    print(report.render(workload.unit, workload.units, summaries, compared))
    path = RESULTS_DIR / f"{workload.name}.json"
    report.write_json(
        path,
        workload=workload.name,
        unit=workload.unit,
        settings={**workload.settings(options), "rounds": options.rounds, "server": options.server},
        env=report.environment(pinning),
        measurements=measurements,
        summaries=summaries,
        compared=compared,
    )
    print(f"raw results: {path.relative_to(RESULTS_DIR.parent.parent)}", flush=True)


def prepare(workloads: list[Workload], options: argparse.Namespace) -> Pinning:
    """Check the rounds and each workload's settings, find Node and its packages; the
    CPUs of the servers and of the drivers (printed)."""
    if options.rounds < 1:
        raise SystemExit("bench: --rounds must be at least 1")
    for workload in workloads:
        check(workload, options)
    if shutil.which("node") is None:
        raise SystemExit("bench: node is not on PATH; the load drivers run on Node.js 18+")
    ensure_node_modules()
    pinning = Pinning.plan()
    print(f"server CPUs {pinning.server}, driver CPUs {pinning.driver}")
    return pinning


def main(argv: Sequence[str] | None = None) -> int:
    """Run the workloads, print their medians, write bench/results/<workload>.json."""
    options = _parser().parse_args(argv)
    workloads = [WORKLOADS[name] for name in dict.fromkeys(options.workloads)]
    pinning = prepare(workloads, options)
    started = time.monotonic()
    for workload in workloads:
        _run(workload, options, pinning)
    print(f"\n{len(workloads)} workload(s) in {time.monotonic() - started:.0f} s")
    return 0
