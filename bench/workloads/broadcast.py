"""Broadcast: one sender asks the server to emit to a room; every member receives each message."""

from __future__ import annotations

from bench.workloads.base import Setting, Workload

WORKLOAD = Workload(
    name="broadcast",
    description=(
        "broadcast to a room: a sender asks for one broadcast at a time, "
        "every member of the room receives each one"
    ),
    driver="broadcast.mjs",
    unit="delivery",
    units="deliveries",
    options=(
        Setting("--clients", "clients", 500, "broadcast: members of the room"),
        Setting("--messages", "messages", 200, "broadcast: measured broadcasts"),
        Setting("--broadcast-warmup", "warmup", 10, "broadcast: unmeasured broadcasts first"),
    ),
    peak_connections=lambda settings: settings["clients"] + 1,
)
