"""Echo with ack: each connection makes sequential round trips of a small typed message."""

from __future__ import annotations

from bench.workloads.base import Setting, Workload

WORKLOAD = Workload(
    name="echo",
    description="echo with ack: each connection sends one event at a time and awaits its ack",
    driver="echo.mjs",
    unit="ack",
    units="acks",
    options=(
        Setting("--connections", "connections", 50, "echo: client connections"),
        Setting("--acks", "acks", 400, "echo: measured acks per connection"),
        Setting("--warmup", "warmup", 20, "echo: unmeasured acks per connection first"),
    ),
    peak_connections=lambda settings: settings["connections"],
)
