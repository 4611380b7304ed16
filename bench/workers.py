"""What ``sioapp run --workers N`` gains: ``python -m bench.workers``.

Serves the sioapp benchmark app (``bench/servers/sioapp_server.py``) with
``sioapp run`` three ways, then drives the ``echo`` and ``broadcast`` workloads
of ``python -m bench`` against each, over several rounds in alternating order:

* ``1 process``: one process, rooms in memory (the default);
* ``1 process + Redis``: one process joined to a throwaway redis-server;
* ``N workers + Redis``: ``--workers N`` on one listening socket, through Redis.

The kernel spreads connections over the workers, so a broadcast reaches the
members on the other workers through Redis. Nothing is pinned: the workers,
Redis and the load driver share every CPU, as they would on one machine. The
report gives the driver's wall-clock throughput (medians) and the CPU time of
every server process together per operation, and the ratios to ``1 process``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.cli import add_settings
from bench.cluster import redis_server
from bench.npm import ensure_node_modules
from bench.processes import HOST, drive, free_port, listening
from bench.procstat import Pinning, cpu_seconds
from bench.workloads import WORKLOADS

APP = "bench.servers.sioapp_server:app"
UNPINNED = Pinning(server=None, driver=None)


@dataclass(frozen=True)
class Setup:
    """One way of serving the app."""

    name: str
    workers: int
    redis: bool


@dataclass
class Figures:
    """One workload's runs on one setup."""

    rates: list[float]
    cpu_us: list[float]


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of ``pid`` and of its live descendants (the workers of a supervisor)."""
    total = cpu_seconds(pid)
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            total += tree_cpu_seconds(int(child))
    return total


@asynccontextmanager
async def served(setup: Setup, redis_url: str) -> AsyncIterator[tuple[int, str]]:
    """``sioapp run`` serving the app as ``setup`` says; yields its pid and URL."""
    port = free_port()
    command = [sys.executable, "-m", "sioapp.cli", "run", APP, "--host", HOST]
    command += ["--port", str(port), "--log-level", "warning", "--workers", str(setup.workers)]
    if setup.redis:
        command += ["--redis-url", redis_url]
    async with listening(command, port, None) as pid:
        await asyncio.sleep(1.0 if setup.workers > 1 else 0.2)  # every worker listening
        yield pid, f"http://{HOST}:{port}"


async def measure(args: argparse.Namespace) -> dict[str, dict[str, Figures]]:
    """Every workload on every setup, ``args.rounds`` times in alternating order."""
    setups = [
        Setup("1 process", 1, redis=False),
        Setup("1 process + Redis", 1, redis=True),
        Setup(f"{args.workers} workers + Redis", args.workers, redis=True),
    ]
    figures = {w: {s.name: Figures([], []) for s in setups} for w in args.workloads}
    async with redis_server() as redis_url:
        for round_ in range(args.rounds):
            order = setups if round_ % 2 == 0 else setups[::-1]
            for setup in order:
                for name in args.workloads:
                    workload = WORKLOADS[name]
                    async with served(setup, redis_url) as (pid, url):
                        cpu_before = tree_cpu_seconds(pid)
                        run = await drive(workload.command(url, args), pid, UNPINNED, 300.0)
                        cpu = tree_cpu_seconds(pid) - cpu_before
                    operations = run.result["operations"]
                    if run.result.get("errors"):
                        raise RuntimeError(f"{name} on {setup.name}: {run.result}")
                    rate = operations / run.result["seconds"]
                    figures[name][setup.name].rates.append(rate)
                    figures[name][setup.name].cpu_us.append(cpu / operations * 1e6)
                    print(
                        f"round {round_ + 1} {name:9} {setup.name:20} "
                        f"{rate:9.0f} {workload.units}/s",
                        flush=True,
                    )
    return figures


def report(figures: dict[str, dict[str, Figures]]) -> str:
    """Medians per workload and setup, and the ratios to the first setup."""
    lines = []
    for name, by_setup in figures.items():
        workload = WORKLOADS[name]
        lines.append(
            f"\n{name}: {workload.units}/s (median), "
            f"server CPU µs/{workload.unit} (all its processes)"
        )
        baseline = statistics.median(next(iter(by_setup.values())).rates)
        for setup, runs in by_setup.items():
            rate = statistics.median(runs.rates)
            cpu = statistics.median(runs.cpu_us)
            lines.append(
                f"  {setup:22} {rate:9.0f}/s  {cpu:7.1f} µs  throughput x{rate / baseline:.2f}"
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.workers", description=__doc__.split("\n\n")[0] if __doc__ else ""
    )
    parser.add_argument("--workers", type=int, default=2, help="workers to compare (default: 2)")
    parser.add_argument("--rounds", type=int, default=3, help="runs per setup (default: 3)")
    parser.add_argument(
        "--workloads",
        nargs="+",
        default=["echo", "broadcast"],
        choices=["echo", "broadcast"],
        help="workloads to run (default: echo broadcast)",
    )
    add_settings(parser)
    args = parser.parse_args(argv)
    ensure_node_modules()
    print(report(asyncio.run(measure(args))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
