"""``sioapp new`` for real: each template installs with pip and its own tests pass.

Projects are installed into a virtual environment that sees this interpreter's
packages, so sioapp and the test tools come from here and nothing is left behind.
"""

from __future__ import annotations

import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sioapp.cli.main import app
from sioapp.cli.scaffold import Template, templates_root

REPO = Path(__file__).resolve().parents[1]
TIMEOUT = 180
#: pip without dependencies or an isolated build: hatchling comes from sioapp's dev extra.
OFFLINE = ("-q", "--no-deps", "--no-build-isolation")
#: Run by the wheel's interpreter: where its templates are, and how many files `new` wrote.
SHOW_TEMPLATES = """
from pathlib import Path
from sioapp.cli.scaffold import Project, Template, render, templates_root
print(templates_root())
print(len(render(Template.MINIMAL, Project.named("shipped"), Path("."))))
"""


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a command; fail the test with its output when it fails."""
    result = subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result


def pip_install(python: Path) -> tuple[str | Path, ...]:
    return (python, "-m", "pip", "install", *OFFLINE)


def make_venv(root: Path) -> Path:
    """A virtual environment layered over this interpreter's packages; its interpreter.

    A ``.pth`` file adds this interpreter's site directories (those of a virtual
    environment too, which ``--system-site-packages`` would miss) after the new
    environment's own, so what is installed there comes first.
    """
    run(sys.executable, "-m", "venv", "--without-pip", root, cwd=root.parent)
    inner = sysconfig.get_path("purelib", "venv", vars={"base": root, "platbase": root})
    lines = (f"import site; site.addsitedir({outer!r})\n" for outer in site.getsitepackages())
    (Path(inner) / "outer-site-packages.pth").write_text("".join(lines))
    return root / "bin" / "python"


@pytest.mark.timeout(TIMEOUT)
@pytest.mark.parametrize("template", list(Template))
@pytest.mark.slow
def test_a_new_project_installs_and_passes_its_own_tests(
    in_tmp_path: Path, template: Template
) -> None:
    cli = CliRunner()
    name = f"demo-{template.value}"
    created = cli.invoke(app, ["new", name, "--template", template.value, "--no-input"])
    assert created.exit_code == 0, created.output
    project = in_tmp_path / name
    python = make_venv(in_tmp_path / "venv")

    run(*pip_install(python), "-e", project, cwd=in_tmp_path)
    tests = run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=project)
    lint = run(sys.executable, "-m", "ruff", "check", "--no-cache", ".", cwd=project)
    formatted = run(
        sys.executable, "-m", "ruff", "format", "--check", "--no-cache", ".", cwd=project
    )

    assert " passed" in tests.stdout and "failed" not in tests.stdout, tests.stdout
    assert "All checks passed" in lint.stdout
    assert "already formatted" in formatted.stdout
    # The project names its app in pyproject.toml, so `sioapp events` needs no APP;
    # an app.py that discovery would try first must not be reached.
    (project / "app.py").write_text("raise SystemExit('discovery went past pyproject.toml')\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(project)
        events = cli.invoke(app, ["events"])
    assert events.exit_code == 0, events.output
    assert ("hello" if template is Template.MINIMAL else "join") in events.stdout


@pytest.mark.timeout(TIMEOUT)
@pytest.mark.slow
def test_the_wheel_ships_the_templates_and_the_typing_marker(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    run(sys.executable, "-m", "pip", "wheel", *OFFLINE, "-w", dist, REPO, cwd=tmp_path)
    (wheel,) = dist.glob("sioapp-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {
        name.removeprefix("sioapp/_templates/")
        for name in names
        if name.startswith("sioapp/_templates/")
    }
    sources = {
        path.relative_to(REPO / "templates").as_posix()
        for path in (REPO / "templates").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert shipped == sources
    assert "sioapp/py.typed" in names  # type checkers read sioapp's annotations

    # Installed from the wheel, sioapp renders projects from the templates inside it.
    python = make_venv(tmp_path / "venv")
    run(*pip_install(python), wheel, cwd=tmp_path)
    root, written = run(python, "-c", SHOW_TEMPLATES, cwd=tmp_path).stdout.splitlines()

    assert Path(root).is_relative_to(tmp_path / "venv")
    assert int(written) == sum(1 for path in sources if path.startswith("minimal/"))
    assert (tmp_path / "shipped" / "shipped" / "app.py").is_file()


def test_an_editable_install_reads_the_source_templates() -> None:
    assert templates_root() == REPO / "templates"
