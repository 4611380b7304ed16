"""Connects: connect-disconnect cycles, to price a connection's whole life on the server."""

from __future__ import annotations

from bench.workloads.base import Setting, Workload

WORKLOAD = Workload(
    name="connect",
    description=(
        "connects: parallel loops open a connection, wait for the namespace CONNECT, "
        "disconnect and start over"
    ),
    driver="connect.mjs",
    unit="connect",
    units="connects",
    options=(
        Setting("--connects", "connects", 1000, "connect: measured connect-disconnect cycles"),
        Setting("--connect-concurrency", "concurrency", 10, "connect: cycles in parallel"),
        Setting("--connect-warmup", "warmup", 50, "connect: unmeasured cycles first"),
    ),
    peak_connections=lambda settings: settings["concurrency"],
)
