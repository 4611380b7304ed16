"""Echo with ack: each connection makes sequential round trips of a small typed message."""

from __future__ import annotations

import argparse

from bench.workloads.base import Workload


def _settings(options: argparse.Namespace) -> dict[str, int]:
    return {"connections": options.connections, "acks": options.acks, "warmup": options.warmup}


WORKLOAD = Workload(
    name="echo",
    description="echo with ack: each connection sends one event at a time and awaits its ack",
    driver="echo.mjs",
    unit="ack",
    settings=_settings,
)
