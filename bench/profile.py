"""Where a Python server spends its CPU on one workload: ``python -m bench.profile``.

Runs one server kind (sioapp by default) with the workload's driver, as
``python -m bench`` does, and samples the server with py-spy
(``pip install py-spy``) during the measured phase only. Prints the functions
with the most samples, by own time and by time including callees, and writes
the collapsed stacks to ``bench/results/profile-<workload>-<server>.txt``
(the input of flamegraph tools such as speedscope or inferno).

Samples are taken only while the server runs Python code or a call made from
it; time spent waiting in the event loop's ``select`` is left out.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import signal
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from bench.cli import add_settings, check
from bench.npm import ensure_node_modules
from bench.paths import RESULTS_DIR
from bench.processes import drive, running_server
from bench.procstat import Pinning
from bench.servers import SERVERS
from bench.workloads import WORKLOADS

PYTHON_SERVERS = ("sioapp", "raw")
#: The line number of a frame ("name (path:line)"): functions are counted whatever the line.
_LINE = re.compile(r":\d+\)$")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.profile",
        description="Sample a Python server with py-spy while it serves one workload.",
    )
    parser.add_argument("workload", choices=list(WORKLOADS))
    parser.add_argument("--server", default="sioapp", choices=PYTHON_SERVERS)
    parser.add_argument("--rate", type=int, default=500, help="samples per second (default: 500)")
    parser.add_argument("--top", type=int, default=25, help="functions listed (default: 25)")
    parser.add_argument("--timeout", type=float, default=120.0, help=argparse.SUPPRESS)
    add_settings(parser)
    return parser


@asynccontextmanager
async def sampling(pid: int, rate: int, output: Path) -> AsyncIterator[None]:
    """py-spy records ``pid`` into ``output`` (collapsed stacks) while the block runs."""
    recorder = await asyncio.create_subprocess_exec(
        "py-spy",
        "record",
        "--pid",
        str(pid),
        "--rate",
        str(rate),
        "--format",
        "raw",
        "--nonblocking",
        "--output",
        str(output),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    await asyncio.sleep(0.5)  # py-spy reads the interpreter's layout before sampling
    try:
        yield
    finally:
        recorder.send_signal(signal.SIGINT)
        await recorder.wait()


def _function(frame: str) -> str:
    return _LINE.sub(")", frame.strip())


def hot_functions(lines: Iterable[str]) -> tuple[int, Counter[str], Counter[str]]:
    """Total samples, samples per function where it ran itself, and samples per function
    on the stack (each function counted once per sample)."""
    total = 0
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for line in lines:
        stack, _, count_text = line.rstrip().rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = [_function(frame) for frame in stack.split(";")]
        total += count
        own[frames[-1]] += count
        for function in set(frames):
            inclusive[function] += count
    return total, own, inclusive


def _table(title: str, counts: Counter[str], total: int, top: int) -> str:
    rows = [f"{title}:"]
    rows.extend(
        f"  {count / total:6.1%}  {function}" for function, count in counts.most_common(top)
    )
    return "\n".join(rows)


async def _profile(options: argparse.Namespace, output: Path) -> None:
    workload = WORKLOADS[options.workload]
    pinning = Pinning.plan()
    async with running_server(SERVERS[options.server], pinning.server) as server:
        run = await drive(
            workload.command(server.url, options),
            server.pid,
            pinning,
            options.timeout,
            during=lambda: sampling(server.pid, options.rate, output),
        )
    operations = int(run.result["operations"])
    print(
        f"{options.server} on {workload.name}: {operations} {workload.units}, "
        f"{run.server_cpu_s / operations * 1e6:.1f} µs CPU/{workload.unit} (slowed by sampling)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Profile one server on one workload and print its hottest functions."""
    options = _parser().parse_args(argv)
    if shutil.which("py-spy") is None:
        raise SystemExit("bench.profile: py-spy is not on PATH; pip install py-spy")
    check(WORKLOADS[options.workload], options)
    ensure_node_modules()
    output = RESULTS_DIR / f"profile-{options.workload}-{options.server}.txt"
    output.parent.mkdir(parents=True, exist_ok=True)
    asyncio.run(_profile(options, output))
    total, own, inclusive = hot_functions(output.read_text().splitlines())
    if total == 0:
        raise SystemExit("bench.profile: py-spy took no samples")
    print(f"{total} samples\n")
    print(_table("own time", own, total, options.top))
    print()
    print(_table("with callees", inclusive, total, options.top))
    print(f"\ncollapsed stacks: {output.relative_to(RESULTS_DIR.parent.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
