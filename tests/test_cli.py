"""The ``sioapp`` command in process: new, docs, events, errors and refused options."""

from __future__ import annotations

import ast
import json
import sys
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner, Result

import sioapp
from sioapp._app.cluster import REDIS_URL_ENV
from sioapp.cli.main import app
from sioapp.cli.scaffold import Template, templates_root

PROBE_APP = '''\
"""A small app for the command line tests."""

from pydantic import BaseModel

from sioapp import Router, SioApp


class Ping(BaseModel):
    n: int


router = Router()


@router.emits("tick")
class Tick(BaseModel):
    """Sent every second."""

    at: float


@router.on("ping")
async def ping(req: Ping) -> Ping:
    """Answer with n + 1."""
    return Ping(n=req.n + 1)


@router.on("pair")
async def pair(left: str, right: int = 0) -> tuple[str, int]:
    return left, right


app = SioApp(title="Probe", version="9.9.9")
app.include_router(router)
'''

Invoke = Callable[..., Result]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty current directory; modules imported from it are forgotten afterwards."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delenv(REDIS_URL_ENV, raising=False)
    yield tmp_path
    for name, module in list(sys.modules.items()):
        if Path(getattr(module, "__file__", None) or "/").is_relative_to(tmp_path):
            del sys.modules[name]


@pytest.fixture
def sioapp_cli() -> Invoke:
    """``sioapp_cli("events", "app:app")``: the command run in process."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(app, list(args), input=input)

    return invoke


def one_error_line(result: Result) -> str:
    """The single line a failing command printed on stderr."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.output
    return lines[0]


# ---- help and version -------------------------------------------------------


def test_version_and_help(sioapp_cli: Invoke) -> None:
    assert sioapp_cli("--version").stdout.strip() == f"sioapp {sioapp.__version__}"
    result = sioapp_cli("--help")
    assert result.exit_code == 0
    for command in ("new", "run", "docs", "events"):
        assert command in result.stdout


def test_docs_help_tells_about_docs_serve(sioapp_cli: Invoke) -> None:
    result = sioapp_cli("docs", "--help")
    assert result.exit_code == 0
    assert "sioapp docs serve" in result.stdout
    serve_help = sioapp_cli("docs", "serve", "--help")
    assert serve_help.exit_code == 0
    assert "sioapp docs serve" in serve_help.stdout
    assert "--port" in serve_help.stdout


# ---- new ----------------------------------------------------------------------


def test_the_template_enum_matches_the_shipped_folders() -> None:
    shipped = {path.name for path in templates_root().iterdir() if path.is_dir()}
    assert shipped == {template.value for template in Template}


@pytest.mark.parametrize("template", list(Template))
@pytest.mark.slow
def test_new_renders_a_project(project: Path, sioapp_cli: Invoke, template: Template) -> None:
    result = sioapp_cli("new", "my-chat", "--template", template.value, "--no-input")

    assert result.exit_code == 0, result.output
    root = project / "my-chat"
    assert (root / "my_chat" / "app.py").is_file()
    assert (root / "my_chat" / "container.py").is_file()
    assert not list(root.rglob("*.jinja"))
    assert not list(root.rglob("__package__"))
    pyproject = (root / "pyproject.toml").read_text()
    assert 'name = "my-chat"' in pyproject
    assert 'app = "my_chat.app:app"' in pyproject
    assert "sioapp>=" in pyproject
    assert 'title="My Chat",' in (root / "my_chat" / "app.py").read_text()
    assert "class AppContainer(Container)" in (root / "my_chat" / "container.py").read_text()
    assert json.loads((root / "asyncapi.json").read_text())["info"]["title"] == "My Chat"
    assert not list(root.rglob("__pycache__"))  # writing the contract left no bytecode
    assert "{{" not in "".join(path.read_text() for path in root.rglob("*") if path.is_file())


@pytest.mark.slow
def test_new_asks_for_the_title_and_template(project: Path, sioapp_cli: Invoke) -> None:
    result = sioapp_cli("new", "demo", input="Demo Chat\nsomething\nchat\n")

    assert result.exit_code == 0, result.output
    assert "choose one of minimal, chat" in result.output  # the wrong answer was asked again
    assert 'title="Demo Chat"' in (project / "demo" / "demo" / "app.py").read_text()
    assert (project / "demo" / "tests" / "test_chat.py").is_file()


@pytest.mark.slow
def test_titles_are_quoted_in_code_and_configuration(project: Path, sioapp_cli: Invoke) -> None:
    title = 'Say "hi" \\ from C:\\chat'
    assert sioapp_cli("new", "demo", input=f"{title}\nchat\n").exit_code == 0

    source = (project / "demo" / "demo" / "app.py").read_text()
    call = next(
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "SioApp"
    )
    assert ast.literal_eval(next(k.value for k in call.keywords if k.arg == "title")) == title
    pyproject = tomllib.loads((project / "demo" / "pyproject.toml").read_text())
    assert pyproject["project"]["description"].startswith(title)


@pytest.mark.slow
def test_new_writes_into_dir(tmp_path: Path, sioapp_cli: Invoke) -> None:
    result = sioapp_cli("new", "demo", "--no-input", "--dir", str(tmp_path / "projects"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "projects" / "demo" / "demo" / "events.py").is_file()


@pytest.mark.slow
def test_new_fills_an_existing_empty_directory(project: Path, sioapp_cli: Invoke) -> None:
    (project / "demo").mkdir()
    assert sioapp_cli("new", "demo", "--no-input").exit_code == 0
    assert (project / "demo" / "pyproject.toml").is_file()


def test_new_refuses_a_non_empty_directory(project: Path, sioapp_cli: Invoke) -> None:
    (project / "demo").mkdir()
    (project / "demo" / "notes.txt").write_text("mine")

    result = sioapp_cli("new", "demo", "--no-input")

    assert result.exit_code == 1
    assert "already exists and is not empty" in one_error_line(result)
    assert [path.name for path in (project / "demo").iterdir()] == ["notes.txt"]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("1chat", "not a valid project name"),
        ("my chat", "not a valid project name"),
        ("chat!", "not a valid project name"),
        ("class", "not a valid project name"),
        ("_chat", "not a valid project name"),
        ("chat-", "not a valid project name"),
        ("café", "not a valid project name"),
        ("json", "would shadow the module 'json'"),
        ("sioapp", "would shadow the module 'sioapp'"),
        ("tests", "would shadow the module 'tests'"),
    ],
)
def test_new_refuses_invalid_names(
    project: Path, sioapp_cli: Invoke, name: str, reason: str
) -> None:
    result = sioapp_cli("new", name, "--no-input")

    assert result.exit_code == 2
    assert reason in one_error_line(result)
    assert list(project.iterdir()) == []


def test_new_refuses_an_unknown_template(project: Path, sioapp_cli: Invoke) -> None:
    result = sioapp_cli("new", "demo", "--template", "blog", "--no-input")
    assert result.exit_code == 2
    assert list(project.iterdir()) == []


# ---- docs and events ----------------------------------------------------------


def test_docs_writes_asyncapi_json_to_stdout(project: Path, sioapp_cli: Invoke) -> None:
    (project / "app.py").write_text(PROBE_APP)

    result = sioapp_cli("docs")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["asyncapi"] == "3.0.0"
    assert (document["info"]["title"], document["info"]["version"]) == ("Probe", "9.9.9")
    messages = document["channels"]["root"]["messages"].values()
    assert {"ping", "pair", "tick"} <= {message.get("name") for message in messages}


@pytest.mark.parametrize(
    ("fmt", "check"),
    [
        ("yaml", lambda text: yaml.safe_load(text)["info"]["title"] == "Probe"),
        ("html", lambda text: text.lstrip().lower().startswith("<!doctype html>")),
        ("ts", lambda text: "ClientToServerEvents" in text and "ServerToClientEvents" in text),
    ],
)
def test_docs_writes_each_format_to_a_file(
    project: Path, sioapp_cli: Invoke, fmt: str, check: Callable[[str], bool]
) -> None:
    (project / "app.py").write_text(PROBE_APP)

    result = sioapp_cli("docs", "app:app", "--format", fmt, "-o", "out.txt")

    assert result.exit_code == 0, result.output
    assert "Wrote out.txt" in result.stdout
    assert check((project / "out.txt").read_text())


def test_docs_reports_an_unwritable_output(project: Path, sioapp_cli: Invoke) -> None:
    (project / "app.py").write_text(PROBE_APP)
    result = sioapp_cli("docs", "-o", str(project / "missing" / "out.json"))
    assert result.exit_code == 1
    assert "cannot write" in one_error_line(result)


def test_events_lists_every_event(
    project: Path, sioapp_cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    (project / "app.py").write_text(PROBE_APP)

    result = sioapp_cli("events")

    assert result.exit_code == 0, result.output
    rows = {
        tuple(cell.strip() for cell in line.split("│")[1:-1])
        for line in result.stdout.splitlines()
        if line.startswith("│")
    }
    assert ("/", "ping", "→ server", "req: Ping", "Ping", "Answer with n + 1.") in rows
    assert ("/", "pair", "→ server", "left: str, right: int = …", "tuple[str, int]", "") in rows
    assert ("/", "tick", "→ client", "Tick", "—", "Sent every second.") in rows


# ---- errors -------------------------------------------------------------------


def test_no_app_found(project: Path, sioapp_cli: Invoke) -> None:
    result = sioapp_cli("events")
    assert result.exit_code == 1
    assert "no app found in" in one_error_line(result)


def test_an_import_error_is_one_line_with_its_place(project: Path, sioapp_cli: Invoke) -> None:
    (project / "app.py").write_text("import sioapp\n\nvalue = 1 / 0\n")

    result = sioapp_cli("events")

    assert result.exit_code == 1
    line = one_error_line(result)
    assert "error while importing 'app': ZeroDivisionError: division by zero" in line
    assert f"{project / 'app.py'}:3" in line


def test_a_syntax_error_names_its_line(project: Path, sioapp_cli: Invoke) -> None:
    (project / "main.py").write_text("app = (\n")
    line = one_error_line(sioapp_cli("docs"))
    assert "SyntaxError" in line
    assert f"{project / 'main.py'}:1" in line


def test_debug_shows_the_traceback(project: Path, sioapp_cli: Invoke) -> None:
    (project / "app.py").write_text("value = 1 / 0\n")

    result = sioapp_cli("--debug", "events")

    assert result.exit_code == 1
    assert isinstance(result.exception, Exception)
    assert isinstance(result.exception.__cause__, ZeroDivisionError)


def test_a_bad_option_is_a_usage_error(sioapp_cli: Invoke) -> None:
    result = sioapp_cli("docs", "--format", "pdf")
    assert result.exit_code == 2
    assert "pdf" in result.output


# ---- run: what is refused before anything starts ------------------------------


def test_several_workers_need_redis(project: Path, sioapp_cli: Invoke) -> None:
    (project / "app.py").write_text(PROBE_APP)

    result = sioapp_cli("run", "--workers", "3")

    assert result.exit_code == 2
    line = one_error_line(result)
    assert "--workers 3 needs Redis" in line
    assert "rooms, broadcasts and acks would split" in line
    assert REDIS_URL_ENV in line


def test_reload_runs_one_process(project: Path, sioapp_cli: Invoke) -> None:
    result = sioapp_cli("run", "--reload", "--workers", "2", "--redis-url", "redis://x")
    assert result.exit_code == 2
    assert "--reload runs a single process" in one_error_line(result)


def test_workers_must_be_positive(project: Path, sioapp_cli: Invoke) -> None:
    result = sioapp_cli("run", "--workers", "0")
    assert result.exit_code == 2
    assert "at least 1" in one_error_line(result)


def test_run_reports_a_missing_app(project: Path, sioapp_cli: Invoke) -> None:
    result = sioapp_cli("run", "nowhere:app")
    assert result.exit_code == 1
    assert "cannot find module 'nowhere'" in one_error_line(result)
