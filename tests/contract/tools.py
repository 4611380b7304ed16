"""What the contract tests need from outside Python: Node with this folder's packages,
and Debian's headless Chromium driven by playwright."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE / "node_modules"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def node_or_skip(*packages: str) -> str:
    """The ``node`` executable, once ``packages`` are installed in tests/contract."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    missing = [name for name in packages if not (NODE_MODULES / name / "package.json").is_file()]
    if missing:
        pytest.skip(
            f"{', '.join(missing)} missing from tests/contract/node_modules: "
            "run `npm ci --prefix tests/contract`"
        )
    return node


def run(*command: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``command``, printing its output so that a failing test shows it."""
    result = subprocess.run(
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    print(result.stdout, result.stderr, sep="\n")
    return result


def chromium_or_skip() -> str:
    """Debian's Chromium, for playwright's ``executable_path``."""
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is not installed (Debian package chromium)")
    return str(CHROMIUM)
