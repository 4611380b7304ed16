"""Installs the Node packages of bench/node/ when they are missing."""

from __future__ import annotations

import json
import shutil
import subprocess

from bench.paths import NODE_DIR

#: Packages the drivers and the Node reference server import.
REQUIRED = ("socket.io", "socket.io-client", "socket.io-msgpack-parser")


def installed_version(package: str) -> str | None:
    """The version of ``package`` under bench/node/node_modules, or None."""
    manifest = NODE_DIR / "node_modules" / package / "package.json"
    if not manifest.is_file():
        return None
    return str(json.loads(manifest.read_text())["version"])


def ensure_node_modules() -> None:
    """Run ``npm ci`` (or ``npm install`` without a lock) when a package is missing."""
    if all(installed_version(package) for package in REQUIRED):
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("bench: npm is not on PATH; install Node.js 18+ to run the benchmark")
    command = "ci" if (NODE_DIR / "package-lock.json").is_file() else "install"
    print(f"bench: npm {command} in {NODE_DIR}", flush=True)
    subprocess.run(
        [npm, command, "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_DIR, check=True
    )
