"""``python -m bench.soak``: one soak run, its report, bench/results/soak.json."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
from collections.abc import Sequence
from dataclasses import fields

from bench.npm import ensure_node_modules
from bench.paths import REPO_ROOT, RESULTS_DIR
from bench.procstat import Pinning, open_files_limit
from bench.report import environment
from bench.soak.report import failures, render, write_json
from bench.soak.runner import Sample, Settings, soak

#: Files the server opens besides its clients' connections (modules, pipes, listener).
SPARE_FILES = 256
#: Seconds between two progress lines.
PROGRESS_EVERY = 30.0

_HELP = {
    "clients": "connections, each a member of one room",
    "rooms": "rooms; client i is in room i %% ROOMS",
    "rate": "chat messages each client says per second",
    "duration": "seconds of chat",
    "warmup": "seconds at the start left out of the RSS slope",
    "sample_every": "seconds between two samples of the server",
    "ack_timeout": "seconds a sender waits for each ack",
    "drain": "seconds without deliveries after which the driver stops waiting",
    "settle": "seconds the server gets to release everything after the clients left",
    "ping_interval": "seconds between two Engine.IO PINGs to each client",
    "recovery_log": "events the log of connection state recovery keeps; 0 turns it off",
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak",
        description="Chat through one sioapp server with many clients; count lost and "
        "duplicated messages, sample its memory, check it lets go of everything after. "
        "Exits 1 when the run fails.",
    )
    for field in fields(Settings):
        parser.add_argument(
            f"--{field.name.replace('_', '-')}",
            type=type(field.default),
            default=field.default,
            help=f"{_HELP[field.name]} (default: {field.default:g})",
        )
    parser.add_argument(
        "--max-rss-slope",
        type=float,
        help="fail when the RSS grows faster than this many KiB/min after the warm-up",
    )
    return parser


def _check(settings: Settings) -> None:
    if settings.clients < 2 or not 1 <= settings.rooms <= settings.clients // 2:
        raise SystemExit("bench.soak: every room needs two members or more")
    times = (settings.sample_every, settings.ack_timeout, settings.drain, settings.ping_interval)
    if min(settings.rate, *times) <= 0:
        raise SystemExit("bench.soak: rates and times must be positive")
    if settings.duration < settings.sample_every:
        raise SystemExit("bench.soak: --duration must cover one sample at least")
    if settings.clients + SPARE_FILES > open_files_limit():
        raise SystemExit(
            f"bench.soak: {settings.clients} clients need more open files than the hard "
            f"limit of {open_files_limit()}; raise it (ulimit -Hn) or use fewer clients"
        )
    if shutil.which("node") is None:
        raise SystemExit("bench.soak: node is not on PATH; the driver runs on Node.js 18+")


class Progress:
    """Prints a sample every ``every`` seconds of the run."""

    def __init__(self, every: float) -> None:
        self.every = every
        self.due = 0.0

    def __call__(self, sample: Sample) -> None:
        if sample.t < self.due:
            return
        while self.due <= sample.t:
            self.due += self.every
        print(
            f"{sample.t:6.0f} s  RSS {sample.rss_kb / 1024:7.1f} MiB  tasks "
            f"{sample.state.tasks:5}  sockets {sample.state.sockets:5}",
            flush=True,
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Run one soak, print its report, write its JSON; 1 when it failed."""
    options = _parser().parse_args(argv)
    settings = Settings(**{field.name: getattr(options, field.name) for field in fields(Settings)})
    _check(settings)
    ensure_node_modules()
    pinning = Pinning.plan()
    print(f"soak: {settings}\nserver CPUs {pinning.server}, driver CPUs {pinning.driver}")
    run = asyncio.run(soak(settings, pinning, Progress(PROGRESS_EVERY)))
    print(render(run, options.max_rss_slope))
    path = RESULTS_DIR / "soak.json"
    write_json(path, run, environment(pinning), options.max_rss_slope)
    print(f"results: {path.relative_to(REPO_ROOT)}")
    return 1 if failures(run, options.max_rss_slope) else 0


if __name__ == "__main__":
    sys.exit(main())
