"""What a workload is: a Node driver script and the settings it runs with.

Every driver speaks the same line protocol (bench/node/lib/driver.mjs) and
reports ``operations``, ``seconds``, ``errors`` and ``latency_ms``, so the
runner measures and reports any workload the same way.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

from bench.paths import NODE_DIR


@dataclass(frozen=True)
class Setting:
    """One command-line option of a workload, passed to its driver as ``--<key>``."""

    flag: str
    key: str
    default: int
    help: str

    @property
    def dest(self) -> str:
        """The attribute of the parsed command line holding the value."""
        return self.flag.removeprefix("--").replace("-", "_")


@dataclass(frozen=True)
class Workload:
    """One kind of load, driven by the script ``bench/node/<driver>``."""

    name: str
    description: str
    driver: str
    #: What one operation is, for column headers ("ack", "delivery", "connect").
    unit: str
    #: The plural of ``unit``.
    units: str
    #: The driver's settings; the command line offers each one.
    options: tuple[Setting, ...]
    #: How many connections the driver holds open at most, given its settings.
    peak_connections: Callable[[dict[str, int]], int]
    #: Whether the runner reads the server's memory before and after the measured phase.
    measures_memory: bool = False

    def settings(self, options: argparse.Namespace) -> dict[str, int]:
        """The driver's settings, taken from the parsed command line."""
        return {setting.key: getattr(options, setting.dest) for setting in self.options}

    def command(self, url: str, options: argparse.Namespace, serializer: str = "json") -> list[str]:
        """The driver's command line against the server at ``url``, whose clients speak
        ``serializer`` (``json``, or ``msgpack`` with socket.io-msgpack-parser)."""
        argv = [f"--{key}={value}" for key, value in self.settings(options).items()]
        if serializer != "json":
            argv.append(f"--serializer={serializer}")
        return ["node", str(NODE_DIR / self.driver), f"--url={url}", *argv]
