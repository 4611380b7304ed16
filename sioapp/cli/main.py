"""The ``sioapp`` command: ``new``, ``run``, ``docs``, ``docs serve``, ``events`` and ``diff``."""

from __future__ import annotations

import enum
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text
from typer.core import TyperGroup

import sioapp
from sioapp._app.cluster import REDIS_URL_ENV
from sioapp.cli.console import CliError, out, report
from sioapp.cli.diff import FailOn, compare_sources
from sioapp.cli.discovery import AppTarget, find_app
from sioapp.cli.docs import DocsFormat, docs_site, render
from sioapp.cli.events import events_table
from sioapp.cli.gc import DEFAULT_GC_THRESHOLD
from sioapp.cli.runner import WIRE, RunOptions, check_options, serve, serve_asgi
from sioapp.cli.scaffold import Project, Template, write_contract
from sioapp.cli.scaffold import render as render_template
from sioapp.contract.diff import ReportFormat

__all__ = ["app"]

DOCS_SERVE = "docs-serve"


class Commands(TyperGroup):
    """The command group: ``docs serve`` as a two-word command, and one-line errors."""

    # Contexts and commands are typed loosely: typer has used click's and its own.
    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args[:2] == ["docs", "serve"]:
            return "docs serve", self.commands[DOCS_SERVE], args[2:]
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except CliError as error:
            if ctx.params.get("debug"):
                raise
            report(error)
            raise typer.Exit(error.exit_code) from None


app = typer.Typer(
    name="sioapp",
    cls=Commands,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)


class WebSockets(enum.StrEnum):
    SIOAPP = WIRE
    WEBSOCKETS_SANSIO = "websockets-sansio"
    WEBSOCKETS = "websockets"
    WSPROTO = "wsproto"


class LogLevel(enum.StrEnum):
    CRITICAL = "critical"
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    DEBUG = "debug"
    TRACE = "trace"


AppArgument = Annotated[
    str | None,
    typer.Argument(
        metavar="APP",
        help="module:attr or path/to/file.py[:attr]; default: [tool.sioapp] app in "
        "pyproject.toml, else app.py, main.py, <package>/app.py or <package>/main.py.",
        show_default=False,
    ),
]
HostOption = Annotated[str, typer.Option(help="Address to bind.")]


def _show_version(value: bool) -> None:
    if value:
        out.print(f"sioapp {sioapp.__version__}")
        raise typer.Exit()


@app.callback()
def main(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the full traceback of errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Typed Socket.IO apps: create a project, serve it, export its event contract."""


def _template(answer: str) -> Template:
    try:
        return Template(answer.strip())
    except ValueError:
        raise typer.BadParameter(f"choose one of {', '.join(Template)}") from None


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _find(target: str | None) -> AppTarget:
    return find_app(target, Path.cwd())


@app.command()
def new(
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME", help="Directory to create; its package is NAME with '-' as '_'."
        ),
    ],
    template: Annotated[
        Template | None, typer.Option("--template", "-t", help="Project template.")
    ] = None,
    no_input: Annotated[
        bool, typer.Option("--no-input", help="Ask nothing: use the defaults.")
    ] = False,
    parent: Annotated[
        Path, typer.Option("--dir", help="Where to create the project.", file_okay=False)
    ] = Path("."),
) -> None:
    """Create a project from a template.

    The project has an app, a container, a router of typed events, tests that
    serve it for real, its event contract (asyncapi.json, checked by a test) and a README.
    """
    project = Project.named(name)
    if not no_input:
        project = Project.named(name, typer.prompt("Title", default=project.title))
        if template is None:
            template = typer.prompt(
                f"Template ({', '.join(Template)})",
                default=Template.MINIMAL.value,
                value_proc=_template,
            )
    written = render_template(template or Template.MINIMAL, project, parent)
    directory = parent / project.name
    written.append(write_contract(directory))
    out.print(
        Text.assemble(
            ("Created ", "green"),
            (str(directory), "bold"),
            f" from the {(template or Template.MINIMAL).value} template ({len(written)} files).",
        )
    )
    out.print(
        Text(
            f"Next:\n  cd {directory}\n  pip install -e '.[test]'\n  pytest\n  sioapp run",
        )
    )


@app.command()
def run(
    target: AppArgument = None,
    host: HostOption = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    reload: Annotated[bool, typer.Option(help="Restart when the project's files change.")] = False,
    workers: Annotated[int, typer.Option(help="Worker processes; more than one needs Redis.")] = 1,
    redis_url: Annotated[
        str | None,
        typer.Option(help=f"Redis for several processes; sets {REDIS_URL_ENV} for the app."),
    ] = None,
    log_level: Annotated[
        LogLevel, typer.Option(help="Log level of uvicorn and of the sioapp logger.")
    ] = LogLevel.INFO,
    proxy_headers: Annotated[
        bool,
        typer.Option(
            help="Let uvicorn trust X-Forwarded-* headers; by default SioApp(trusted_proxies=...)"
            " decides."
        ),
    ] = False,
    gc_threshold: Annotated[
        int,
        typer.Option(
            help="Once the app has started, freeze what exists out of garbage collections and"
            " collect the youngest objects every N allocations; 0 leaves Python's collector"
            " alone."
        ),
    ] = DEFAULT_GC_THRESHOLD,
    ws: Annotated[
        WebSockets,
        typer.Option(
            help="Who serves WebSockets: sioapp's engine directly, or one of uvicorn's"
            " implementations through ASGI."
        ),
    ] = WebSockets.SIOAPP,
) -> None:
    """Serve the app with uvicorn until SIGINT or SIGTERM.

    On shutdown the app disconnects its clients ("server shutting down") before
    uvicorn closes their connections.
    """
    options = RunOptions(
        host=host,
        port=port,
        reload=reload,
        workers=workers,
        redis_url=redis_url,
        log_level=log_level.value,
        proxy_headers=proxy_headers,
        gc_threshold=gc_threshold,
        ws=ws.value,
    )
    check_options(options, os.environ)
    if redis_url:
        os.environ[REDIS_URL_ENV] = redis_url
    found = _find(target)
    out.print(
        Text.assemble(
            ("Serving ", "green"),
            (found.import_string, "bold"),
            f" at {_url(host, port)}",
            f" ({workers} workers)" if workers > 1 else "",
        )
    )
    raise typer.Exit(serve(found, options))


@app.command(epilog="To browse the page instead: sioapp docs serve [APP] [--port 8001]")
def docs(
    target: AppArgument = None,
    fmt: Annotated[
        DocsFormat,
        typer.Option(
            "--format", "-f", help="AsyncAPI JSON/YAML, HTML, TypeScript or a Python client."
        ),
    ] = DocsFormat.JSON,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.")
    ] = None,
) -> None:
    """Export the event contract: AsyncAPI 3.0, HTML, TypeScript or a typed Python client."""
    text = render(_find(target).app, fmt)
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write {output}: {exc.strerror}") from exc
    out.print(Text(f"Wrote {output}"))


@app.command(DOCS_SERVE, hidden=True)
def docs_serve(
    target: AppArgument = None,
    host: HostOption = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8001,
) -> None:
    """Serve the contract page on its own, with /asyncapi.json and /asyncapi.yaml."""
    found = _find(target)
    out.print(
        Text.assemble(
            ("Contract of ", "green"), (found.import_string, "bold"), f" at {_url(host, port)}"
        )
    )
    raise typer.Exit(serve_asgi(docs_site(found.app), host=host, port=port))


@app.command()
def events(target: AppArgument = None) -> None:
    """List every event with its namespace, direction, payload and ack."""
    out.print(events_table(_find(target).app))


@app.command(
    epilog="Exit status: 0 without changes at the --fail-on level or above, 1 with, 2 for "
    "input that is neither an AsyncAPI 3.0 document nor an app."
)
def diff(
    old: Annotated[
        str, typer.Argument(metavar="OLD", help="A JSON or YAML AsyncAPI document, or an APP.")
    ],
    new: Annotated[
        str, typer.Argument(metavar="NEW", help="A JSON or YAML AsyncAPI document, or an APP.")
    ],
    fmt: Annotated[
        ReportFormat,
        typer.Option("--format", "-f", help="Text, JSON, or Markdown for a pull request."),
    ] = ReportFormat.TEXT,
    fail_on: Annotated[
        FailOn, typer.Option(help="The least serious change that makes the command fail.")
    ] = FailOn.BREAKING,
) -> None:
    """Compare two event contracts: every change, its direction and whether it breaks old
    clients (breaking), not (compatible) or only documents (info)."""
    text, status = compare_sources(old, new, fmt, fail_on, Path.cwd())
    typer.echo(text, nl=False)
    raise typer.Exit(status)
