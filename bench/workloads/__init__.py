"""The workloads ``python -m bench`` can run, by name."""

from bench.workloads import echo
from bench.workloads.base import Workload

WORKLOADS: dict[str, Workload] = {workload.name: workload for workload in (echo.WORKLOAD,)}

__all__ = ["WORKLOADS", "Workload"]
