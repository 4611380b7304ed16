"""Idle connections: what each open, silent connection costs the server in memory."""

from __future__ import annotations

from bench.workloads.base import Setting, Workload

WORKLOAD = Workload(
    name="idle",
    description="idle connections: open many connections to the main namespace and hold them",
    driver="idle.mjs",
    unit="connection",
    units="connections",
    options=(
        Setting("--idle-connections", "connections", 2000, "idle: connections held open"),
        Setting("--idle-warmup", "warmup", 20, "idle: connections opened before measuring"),
    ),
    peak_connections=lambda settings: settings["connections"] + settings["warmup"],
    measures_memory=True,
)
