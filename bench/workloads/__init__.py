"""The workloads ``python -m bench`` can run, by name, in the order a full run takes them."""

from bench.workloads import broadcast, connect, echo, idle
from bench.workloads.base import Setting, Workload

WORKLOADS: dict[str, Workload] = {
    workload.name: workload
    for workload in (echo.WORKLOAD, broadcast.WORKLOAD, idle.WORKLOAD, connect.WORKLOAD)
}

__all__ = ["WORKLOADS", "Setting", "Workload"]
