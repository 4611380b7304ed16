"""A user's ``mypy --strict`` checks calls into sioapp: the package ships ``py.typed``."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

#: Every line marked ``# wrong`` must be reported, and nothing else.
WRONG = """\
from sioapp import Router, SioApp, Socket

app = SioApp(title=1)  # wrong
router = Router()


@router.on(42)  # wrong
async def hello(socket: Socket) -> None:
    await socket.emit()  # wrong
"""

RIGHT = """\
from sioapp import Router, SioApp, Socket

app = SioApp(title="Typed")
router = Router()


@router.on("hello")
async def hello(name: str, socket: Socket) -> str:
    await socket.emit("greeting", name)
    return name


app.include_router(router)
"""

ERROR = re.compile(r"^(?P<file>[^:\s]+):(?P<line>\d+): error:", re.MULTILINE)


def marked_lines(source: str) -> set[int]:
    return {number for number, line in enumerate(source.splitlines(), 1) if "# wrong" in line}


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_mypy_strict_reports_wrong_calls_and_only_them(tmp_path: Path) -> None:
    (tmp_path / "wrong.py").write_text(WRONG)
    (tmp_path / "right.py").write_text(RIGHT)

    # Run outside the repository: sioapp is found as installed, as in a user's project.
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "wrong.py", "right.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    reported = {(match["file"], int(match["line"])) for match in ERROR.finditer(result.stdout)}
    expected = {("wrong.py", line) for line in marked_lines(WRONG)}
    assert reported == expected, result.stdout + result.stderr
    assert result.returncode == 1
