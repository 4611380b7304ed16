"""Command line of ``python -m bench``."""

from __future__ import annotations

import argparse
import asyncio
import shutil
from collections.abc import Sequence

from bench import report
from bench.npm import ensure_node_modules
from bench.paths import RESULTS_DIR
from bench.procstat import Pinning
from bench.runner import run_rounds
from bench.servers import SERVERS
from bench.workloads import WORKLOADS


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Serve one workload from each server kind and compare them.",
    )
    parser.add_argument("workload", nargs="?", default="echo", choices=sorted(WORKLOADS))
    parser.add_argument(
        "--servers",
        nargs="+",
        default=list(SERVERS),
        choices=list(SERVERS),
        metavar="SERVER",
        help=f"server kinds to run, among {', '.join(SERVERS)} (default: all)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="runs per server (default: 3)")
    parser.add_argument(
        "--connections", type=int, default=50, help="client connections (default: 50)"
    )
    parser.add_argument(
        "--acks", type=int, default=400, help="measured acks per connection (default: 400)"
    )
    parser.add_argument(
        "--warmup", type=int, default=20, help="unmeasured acks per connection first (default: 20)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="seconds a driver phase may take before the run fails (default: 120)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print the medians and write bench/results/<workload>.json."""
    options = _parser().parse_args(argv)
    if options.rounds < 1:
        raise SystemExit("bench: --rounds must be at least 1")
    if shutil.which("node") is None:
        raise SystemExit("bench: node is not on PATH; the load drivers run on Node.js 18+")
    ensure_node_modules()
    workload = WORKLOADS[options.workload]
    servers = [SERVERS[name] for name in dict.fromkeys(options.servers)]
    pinning = Pinning.plan()
    print(f"{workload.name}: {workload.description}")
    print(
        f"settings: {workload.settings(options)}, rounds: {options.rounds}, "
        f"server CPUs {pinning.server}, driver CPUs {pinning.driver}",
        flush=True,
    )

    measurements = asyncio.run(run_rounds(workload, servers, options, pinning))
    summaries = report.summarise(measurements)
    compared = report.ratios(summaries)
    print()
    print(f"medians of {options.rounds} rounds:")
    print(report.render(workload.unit, summaries, compared))

    path = RESULTS_DIR / f"{workload.name}.json"
    report.write_json(
        path,
        workload=workload.name,
        unit=workload.unit,
        settings={**workload.settings(options), "rounds": options.rounds},
        env=report.environment(pinning),
        measurements=measurements,
        summaries=summaries,
        compared=compared,
    )
    print(f"\nraw results: {path.relative_to(RESULTS_DIR.parent.parent)}")
    return 0
