"""A new project's checked-in ``asyncapi.json``, and the test that keeps it current."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sioapp import SioApp
from sioapp.cli.main import app as cli
from sioapp.contract.diff import assert_contract_file
from sioapp.contract.diff.checked import major


def fresh_app(project: Path) -> SioApp:
    """The project's app, imported again from its files."""
    for name in [name for name in sys.modules if name.split(".")[0] == "demo"]:
        del sys.modules[name]
    if str(project) not in sys.path:
        sys.path.insert(0, str(project))
    app = importlib.import_module("demo.app").app
    assert isinstance(app, SioApp)
    return app


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def failure(project: Path) -> str:
    with pytest.raises(AssertionError) as raised:
        assert_contract_file(fresh_app(project), project / "asyncapi.json")
    return str(raised.value)


@pytest.fixture
def project(in_tmp_path: Path) -> Path:
    created = CliRunner().invoke(cli, ["new", "demo", "--template", "chat", "--no-input"])
    assert created.exit_code == 0, created.output
    return in_tmp_path / "demo"


@pytest.mark.slow
def test_new_projects_check_in_their_contract(project: Path) -> None:
    document = json.loads((project / "asyncapi.json").read_text())
    assert document["info"]["title"] == "Demo"
    messages = document["channels"]["root"]["messages"]
    assert messages["connect"]["payload"] == {"$ref": "#/components/schemas/Credentials"}
    assert {"on.join", "on.say", "emits.message", "emits.user_left"} <= set(messages)
    assert (project / "tests" / "test_contract.py").is_file()
    assert_contract_file(fresh_app(project), project / "asyncapi.json")


@pytest.mark.slow
def test_a_breaking_change_fails_until_a_new_major_version_and_the_file_say_so(
    project: Path,
) -> None:
    edit(project / "demo" / "events.py", "max_length=64", "max_length=32")

    message = failure(project)
    assert message.startswith("The event contract has breaking changes: clients built against")
    assert "acknowledge them with a new major version in SioApp(version=...) (now 0.1.0)" in message
    assert "Update the checked-in file: sioapp docs --format json -o asyncapi.json" in message
    assert 'breaking   client→server / "join" payload.room: maxLength lowered' in message

    edit(project / "demo" / "app.py", 'version="0.1.0"', 'version="1.0.0"')
    message = failure(project)
    assert message.startswith(
        "The event contract has breaking changes, acknowledged by the new major version 1.0.0"
    )

    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(project)
        written = CliRunner().invoke(cli, ["docs", "--format", "json", "-o", "asyncapi.json"])
    assert written.exit_code == 0, written.output
    assert_contract_file(fresh_app(project), project / "asyncapi.json")


@pytest.mark.slow
def test_compatible_changes_fail_too_and_say_they_are_compatible(project: Path) -> None:
    edit(
        project / "demo" / "events.py",
        "    room: str = Field(min_length=1, max_length=64)\n",
        '    room: str = Field(min_length=1, max_length=64)\n    password: str = ""\n',
    )
    message = failure(project)
    assert message.startswith("The event contract changed; the changes are compatible.")
    assert 'compatible client→server / "join" payload.password: new optional field' in message


@pytest.mark.slow
def test_a_missing_file_fails_with_its_name(project: Path) -> None:
    (project / "asyncapi.json").unlink()
    with pytest.raises(
        AssertionError, match=r"cannot read .*asyncapi\.json.*\nWrite it: sioapp docs"
    ):
        assert_contract_file(fresh_app(project), project / "asyncapi.json")


def test_major_versions() -> None:
    assert [major(v) for v in ("2.1.0", "v3", "10", "dev", None)] == [2, 3, 10, None, None]
