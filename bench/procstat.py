"""CPU time and memory of a process from /proc, and how servers and drivers are started:
which CPUs they are pinned to, how many files they may open."""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of every thread of ``pid`` so far (clock-tick resolution)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name (field 2) may contain spaces; the fields after it are plain numbers.
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / CLOCK_TICKS


def rss_kb(pid: int) -> int:
    """Resident memory of ``pid`` right now, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS in /proc/{pid}/status")


def descendants(pid: int) -> list[int]:
    """The live processes ``pid`` started, and theirs (the workers of a supervisor)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *descendants(int(child))]
    return found


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of ``pid`` and of its live descendants."""
    return sum(cpu_seconds(each) for each in (pid, *descendants(pid)))


def tree_rss_kb(pid: int) -> int:
    """Resident memory of ``pid`` and of its live descendants, in KiB."""
    return sum(rss_kb(each) for each in (pid, *descendants(pid)))


def busy_seconds(cpus: frozenset[int]) -> float:
    """Non-idle time of ``cpus`` so far, whoever used it (from /proc/stat)."""
    total = 0
    for line in Path("/proc/stat").read_text().splitlines():
        name, *fields = line.split()
        if name.startswith("cpu") and name[3:].isdigit() and int(name[3:]) in cpus:
            user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
            total += user + nice + system + irq + softirq + steal
    return total / CLOCK_TICKS


@dataclass(frozen=True)
class Pinning:
    """CPU sets for the server and the load driver; None leaves the scheduler free."""

    server: frozenset[int] | None
    driver: frozenset[int] | None

    @classmethod
    def plan(cls) -> Pinning:
        """Server on the first available CPU, driver on the second, when there are two."""
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2:
            return cls(server=None, driver=None)
        return cls(server=frozenset({cpus[0]}), driver=frozenset({cpus[1]}))


#: Linux's default ceiling (fs.nr_open) when the hard limit says "unlimited".
_NR_OPEN = 1 << 20


def open_files_limit() -> int:
    """How many files a process started by the benchmark may open (the hard limit)."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return _NR_OPEN if hard == resource.RLIM_INFINITY else hard


def prepare_child(cpus: frozenset[int] | None) -> None:
    """In a child before it runs: pin it (and the threads it will start) to ``cpus`` and
    raise its open-files limit to the hard limit, for workloads with many connections."""
    if cpus is not None:
        os.sched_setaffinity(0, cpus)
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (open_files_limit(), hard))
