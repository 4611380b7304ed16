"""``sioapp diff OLD NEW`` end to end: files in JSON and YAML, apps, formats, exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from sioapp.cli.main import app as cli

APP = '''\
"""Version {version} of a small chat."""

from pydantic import BaseModel, Field

from sioapp import Router, SioApp

router = Router()


class Join(BaseModel):
    room: str = Field(max_length={room_length})
{extra_field}

@router.emits("said")
class Said(BaseModel):
    text: str


@router.on("join")
async def join(req: Join) -> None:
    """Join a room."""


app = SioApp(title="Chat", version="{version}")
app.include_router(router)
'''


def write_app(
    directory: Path, name: str, version: str, room_length: int = 64, extra_field: str = ""
) -> None:
    (directory / f"{name}.py").write_text(
        APP.format(version=version, room_length=room_length, extra_field=extra_field)
    )


def sioapp(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def documents(directory: Path, old: str, new: str) -> None:
    """``old.json`` and ``new.yaml``: the contracts of the apps in ``old.py`` and ``new.py``."""
    for name, fmt, output in ((old, "json", "old.json"), (new, "yaml", "new.yaml")):
        result = sioapp("docs", f"{name}:app", "--format", fmt, "-o", output)
        assert result.exit_code == 0, result.output


@pytest.fixture
def apps(in_tmp_path: Path) -> Path:
    """v1.py, a breaking v2.py (shorter rooms), a compatible v1_1.py (a new optional field)."""
    write_app(in_tmp_path, "v1", "1.0.0")
    write_app(in_tmp_path, "v2", "2.0.0", room_length=32)
    write_app(in_tmp_path, "v1_1", "1.1.0", extra_field='    topic: str = ""\n')
    return in_tmp_path


def one_error_line(result: Result) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def test_a_breaking_change_between_a_json_and_a_yaml_file(apps: Path) -> None:
    documents(apps, "v1", "v2")
    result = sioapp("diff", "old.json", "new.yaml")
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "old.json (1.0.0) → new.yaml (2.0.0): 2 changes: 1 breaking, 1 info"
    assert lines[1].split() == [
        "breaking",
        "client→server",
        "/",
        '"join"',
        "payload.room:",
        *["maxLength", "lowered", "from", "64", "to", "32"],
    ]
    assert "info" in lines[2] and "version changed from 1.0.0 to 2.0.0" in lines[2]


def test_apps_are_compared_by_module_and_compatible_changes_pass(apps: Path) -> None:
    result = sioapp("diff", "v1:app", "v1_1.py")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("v1:app (1.0.0) → v1_1:app (1.1.0): 2 changes: 1 compatible")
    assert "payload.topic: new optional field" in result.stdout
    strict = sioapp("diff", "v1:app", "v1_1:app", "--fail-on", "compatible")
    assert strict.exit_code == 1
    assert sioapp("diff", "v1:app", "v1:app", "--fail-on", "info").exit_code == 0


def test_json_output(apps: Path) -> None:
    result = sioapp("diff", "v1.py", "v2.py", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["counts"] == {"breaking": 1, "compatible": 0, "info": 1}
    assert report["changes"][0] == {
        "level": "breaking",
        "direction": "client→server",
        "namespace": "/",
        "event": "join",
        "where": "payload.room",
        "message": "maxLength lowered from 64 to 32",
    }


def test_markdown_output_for_a_pull_request(apps: Path) -> None:
    result = sioapp("diff", "v1:app", "v2:app", "-f", "markdown")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "### v1:app (1.0.0) → v2:app (2.0.0)"
    assert lines[2] == "**1 breaking**, 1 info"
    assert lines[4].startswith("| Level | Direction |")
    assert lines[6] == (
        "| **breaking** | client→server | `/` | `join` | `payload.room` "
        "| maxLength lowered from 64 to 32 |"
    )


def test_no_changes(apps: Path) -> None:
    documents(apps, "v1", "v1")
    result = sioapp("diff", "old.json", "v1:app")
    assert result.exit_code == 0
    assert result.stdout == "old.json (1.0.0) → v1:app (1.0.0): no changes\n"


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ('{"asyncapi": "2.6.0", "info": {}}', "is not an AsyncAPI 3.0 document (asyncapi: 2.6.0)"),
        ("openapi: 3.1.0\n", "is not an AsyncAPI 3.0 document (no 'asyncapi' field)"),
        ("asyncapi: [unclosed\n", "is neither JSON nor YAML"),
        (
            '{"asyncapi": "3.0.0", "channels": {"a": {"$ref": "#/nowhere"}}}',
            "the reference '#/nowhere' leads nowhere",
        ),
    ],
)
def test_a_file_that_is_not_asyncapi_3_is_one_line_and_status_2(
    apps: Path, content: str, error: str
) -> None:
    (apps / "other.yaml").write_text(content)
    result = sioapp("diff", "other.yaml", "v1:app")
    assert result.exit_code == 2
    assert error in one_error_line(result)


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("nowhere:app", "cannot find module 'nowhere'"),
        ("missing.json", "cannot read"),
        ("broken.py", "error while importing 'broken': ZeroDivisionError"),
    ],
)
def test_an_unusable_app_or_file_is_one_line_and_status_2(
    apps: Path, source: str, error: str
) -> None:
    (apps / "broken.py").write_text("1 / 0\n")
    result = sioapp("diff", "v1:app", source)
    assert result.exit_code == 2
    assert error in one_error_line(result)
