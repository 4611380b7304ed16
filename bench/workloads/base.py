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
class Workload:
    """One kind of load, driven by the script ``bench/node/<driver>``."""

    name: str
    description: str
    driver: str
    #: What one operation is, for column headers ("ack", "message", "connect").
    unit: str
    #: The driver's settings, taken from the parsed command line.
    settings: Callable[[argparse.Namespace], dict[str, int]]

    def command(self, url: str, options: argparse.Namespace) -> list[str]:
        """The driver's command line against the server at ``url``."""
        argv = [f"--{key}={value}" for key, value in self.settings(options).items()]
        return ["node", str(NODE_DIR / self.driver), f"--url={url}", *argv]
