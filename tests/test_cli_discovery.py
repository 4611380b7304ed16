"""Finding the app: APP arguments, ``[tool.sioapp]`` in pyproject.toml, default files."""

from __future__ import annotations

from pathlib import Path

import pytest

from sioapp import SioApp
from sioapp.cli.config import load_config
from sioapp.cli.console import CliError
from sioapp.cli.discovery import candidates, find_app

ONE_APP = "from sioapp import SioApp\n\n{name} = SioApp(title={title!r})\n"


@pytest.fixture
def project(in_tmp_path: Path) -> Path:
    """An empty current directory; modules imported from it are forgotten afterwards."""
    return in_tmp_path


def write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def app_file(path: Path, title: str, name: str = "app") -> Path:
    return write(path, ONE_APP.format(name=name, title=title))


def package(path: Path) -> Path:
    write(path / "__init__.py")
    return path


def title_of(found_app: SioApp) -> str:
    return found_app.title


# ---- APP argument -------------------------------------------------------------


def test_module_and_attribute(project: Path) -> None:
    app_file(project / "service.py", "service", name="server")

    found = find_app("service:server", project)

    assert (found.module, found.attr, found.root) == ("service", "server", project)
    assert found.import_string == "service:server"
    assert title_of(found.app) == "service"


def test_a_module_alone_uses_its_only_sioapp(project: Path) -> None:
    app_file(project / "service.py", "only", name="realtime")
    found = find_app("service", project)
    assert (found.attr, title_of(found.app)) == ("realtime", "only")


def test_dotted_modules_import_from_the_current_directory(project: Path) -> None:
    app_file(package(project / "chat") / "server.py", "dotted")
    found = find_app("chat.server", project)
    assert (found.import_string, title_of(found.app)) == ("chat.server:app", "dotted")


def test_a_name_bound_to_one_app_twice_counts_once(project: Path) -> None:
    write(project / "twice.py", "from sioapp import SioApp\n\nmain = SioApp()\nalias = main\n")
    assert find_app("twice", project).attr == "main"


def test_app_is_preferred_among_several(project: Path) -> None:
    write(
        project / "many.py",
        "from sioapp import SioApp\n\nother = SioApp(title='other')\napp = SioApp(title='app')\n",
    )
    assert title_of(find_app("many", project).app) == "app"


def test_several_apps_without_app_must_be_named(project: Path) -> None:
    write(project / "many.py", "from sioapp import SioApp\n\none = SioApp()\ntwo = SioApp()\n")
    with pytest.raises(CliError, match=r"several SioApps \(one, two\): pass APP as many:<attr>"):
        find_app("many", project)


def test_private_names_are_not_candidates(project: Path) -> None:
    write(project / "hidden.py", "from sioapp import SioApp\n\n_app = SioApp()\n")
    with pytest.raises(CliError, match="module 'hidden' has no module-level SioApp"):
        find_app("hidden", project)


def test_a_missing_attribute(project: Path) -> None:
    app_file(project / "service.py", "x")
    with pytest.raises(CliError, match="module 'service' has no attribute 'nope'"):
        find_app("service:nope", project)


def test_an_attribute_that_is_not_a_sioapp(project: Path) -> None:
    write(project / "rest.py", "from fastapi import FastAPI\n\napi = FastAPI()\n")
    with pytest.raises(CliError, match="rest:api is a FastAPI, not a SioApp"):
        find_app("rest:api", project)


def test_a_file_path_inside_packages(project: Path) -> None:
    source = package(project / "src")
    (source / "__init__.py").unlink()  # src/ is the import root, not a package
    app_file(package(package(source / "acme") / "chat") / "app.py", "nested")

    found = find_app("src/acme/chat/app.py", project)

    assert (found.module, found.root) == ("acme.chat.app", project / "src")
    assert title_of(found.app) == "nested"


def test_a_file_path_with_an_attribute(project: Path) -> None:
    app_file(project / "tools" / "serve.py", "file", name="server")
    found = find_app("tools/serve.py:server", project)
    assert (found.import_string, found.root) == ("serve:server", project / "tools")


@pytest.mark.parametrize("spec", ["a:b:c", "service:", ":app", "my-app", "service:1x"])
def test_malformed_app_arguments(project: Path, spec: str) -> None:
    with pytest.raises(CliError):
        find_app(spec, project)


def test_a_missing_file(project: Path) -> None:
    with pytest.raises(CliError, match="no such file"):
        find_app("nowhere/app.py", project)


def test_a_missing_module(project: Path) -> None:
    with pytest.raises(CliError, match=r"cannot find module 'ghost\.app'"):
        find_app("ghost.app", project)


def test_a_missing_dependency_of_the_module_is_an_import_error(project: Path) -> None:
    write(project / "needy.py", "import not_installed_anywhere\n")
    with pytest.raises(CliError) as raised:
        find_app("needy", project)
    assert "error while importing 'needy': ModuleNotFoundError" in str(raised.value)
    assert "not_installed_anywhere" in str(raised.value)
    assert f"{project / 'needy.py'}:1" in str(raised.value)


# ---- [tool.sioapp] in pyproject.toml ------------------------------------------


def test_pyproject_names_the_app(project: Path) -> None:
    app_file(package(project / "chat") / "wiring.py", "configured", name="realtime")
    app_file(project / "app.py", "default")
    write(project / "pyproject.toml", '[tool.sioapp]\napp = "chat.wiring:realtime"\n')

    found = find_app(None, project)

    assert (found.import_string, title_of(found.app)) == ("chat.wiring:realtime", "configured")


def test_the_argument_wins_over_pyproject(project: Path) -> None:
    app_file(project / "app.py", "argument")
    write(project / "pyproject.toml", '[tool.sioapp]\napp = "elsewhere:app"\n')
    assert title_of(find_app("app:app", project).app) == "argument"


def test_pyproject_without_the_table(project: Path) -> None:
    write(project / "pyproject.toml", '[project]\nname = "x"\n')
    assert load_config(project).app is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[tool.sioapp\n", "is not valid TOML"),
        ('[tool.sioapp]\napp = ""\n', "app must be a string"),
        ("[tool.sioapp]\napp = 3\n", "app must be a string"),
        ('[tool.sioapp]\napp = "a:app"\nport = 80\n', r"unknown key\(s\) in \[tool.sioapp\]: port"),
        ('[tool]\nsioapp = "a:app"\n', r"\[tool.sioapp\] must be a table"),
    ],
)
def test_pyproject_mistakes(project: Path, text: str, message: str) -> None:
    write(project / "pyproject.toml", text)
    with pytest.raises(CliError, match=message):
        find_app(None, project)


# ---- default files ------------------------------------------------------------


def test_app_py_comes_before_main_py(project: Path) -> None:
    app_file(project / "app.py", "app.py")
    app_file(project / "main.py", "main.py")
    assert title_of(find_app(None, project).app) == "app.py"


def test_main_py(project: Path) -> None:
    app_file(project / "main.py", "main.py", name="api")
    assert find_app(None, project).import_string == "main:api"


def test_a_package_app_module(project: Path) -> None:
    package(project / "docs_only")  # a package without app.py or main.py is skipped
    app_file(package(project / "chat") / "main.py", "chat/main.py")
    app_file(package(project / "zoo") / "app.py", "zoo/app.py")

    found = find_app(None, project)

    assert (found.import_string, title_of(found.app)) == ("chat.main:app", "chat/main.py")


def test_the_order_of_candidates(project: Path) -> None:
    package(project / "beta")
    package(project / "alpha")
    (project / "not-a-package").mkdir()
    package(project / "tests")
    relative = [str(path.relative_to(project)) for path in candidates(project)]
    assert relative == [
        "app.py",
        "main.py",
        "alpha/app.py",
        "alpha/main.py",
        "beta/app.py",
        "beta/main.py",
        "tests/app.py",
        "tests/main.py",
    ]


def test_the_first_existing_candidate_must_hold_an_app(project: Path) -> None:
    write(project / "main.py", "print_me = 1\n")
    app_file(package(project / "chat") / "app.py", "never reached")
    with pytest.raises(CliError, match="module 'main' has no module-level SioApp"):
        find_app(None, project)


def test_nothing_to_find(project: Path) -> None:
    with pytest.raises(CliError, match=r"no app found in .*\[tool.sioapp\] app"):
        find_app(None, project)
