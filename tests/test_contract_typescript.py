"""TypeScript declarations, checked by tsc against socket.io-client's own types."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from sioapp import Router, SioApp, contract
from sioapp.contract.typescript import events_prefix

from .contract.sample_app import create_app
from .contract.tools import HERE, NODE_MODULES, node_or_skip, run

TSC_OPTIONS = (
    "--strict",
    "--noEmit",
    "--target",
    "es2022",
    "--module",
    "esnext",
    "--moduleResolution",
    "bundler",
    "--lib",
    "es2022,dom",
)


@pytest.fixture(scope="module")
def declarations() -> str:
    return contract.typescript(create_app())


def member(declarations: str, interface: str, name: str) -> str:
    body = declarations.split(f"export interface {interface} {{\n", 1)[1].split("\n}", 1)[0]
    [line] = [line for line in body.splitlines() if line.strip().startswith(f"{name}:")]
    return line.strip()


def test_models_are_interfaces_and_enums_are_literal_unions(declarations: str) -> None:
    assert 'export type Color = "red" | "green" | "blue";' in declarations
    assert "export type Level = 1 | 2;" in declarations
    assert "export interface Join {\n  room: string;\n}" in declarations
    profile = declarations.split("export interface ProfileInput {\n", 1)[1].split("\n}")[0]
    assert "  /** Shown to other users. */\n  name: string;" in profile
    assert "  favourite?: Color;" in profile
    assert "  address?: Address | null;" in profile
    assert "  friends?: ProfileInput[];" in profile
    assert "  scores?: { [key: string]: number; };" in profile
    assert "export interface BanRequest {\n  userId: string;\n  minutes: number;\n}" in declarations


def test_events_are_shaped_for_socket_io_client(declarations: str) -> None:
    client = "ClientToServerEvents"
    assert member(declarations, client, "join") == (
        "join: (req: Join, callback: (ack: Joined | ErrorReply) => void) => void;"
    )
    assert member(declarations, client, '"private message"') == (
        '"private message": (to: string, text: string) => void;'
    )
    assert member(declarations, client, "stats") == (
        "stats: (callback: (...ack: [number, string] | [error: ErrorReply]) => void) => void;"
    )
    assert member(declarations, client, "draw") == (
        "draw: (shape: Circle | Square, color?: Color, level?: Level) => void;"
    )
    assert member(declarations, client, "sum") == (
        "sum: (...args: [first: number, ...rest: number[], "
        "callback: (ack: number | ErrorReply) => void]) => void;"
    )
    assert member(declarations, client, "log") == "log: (...lines: string[]) => void;"
    assert member(declarations, client, "profile") == (
        "profile: (update: ProfileInput, callback: "
        "(ack: ProfileOutput | null | ErrorReply) => void) => void;"
    )
    assert member(declarations, "ServerToClientEvents", '"user joined"') == (
        '"user joined": (userJoined: UserJoined) => void;'
    )
    assert member(declarations, "ServerToClientEvents", '"user left"') == (
        '"user left": (value: string) => void;'
    )
    assert member(declarations, "ServerToClientEvents", "whisper") == (
        "whisper: (from_id: string, text: string) => void;"
    )
    assert member(declarations, "AdminServerToClientEvents", '"level changed"') == (
        '"level changed": (level: Level) => void;'
    )
    assert member(declarations, "AdminServerToClientEvents", "exception") == (
        "exception: (exception: ExceptionEvent) => void;"
    )
    assert "export interface MetricsV2ClientToServerEvents {}" in declarations
    assert not re.search(r"[(,] ?(greeting|socket|handshake|app)\??:", declarations)


def test_namespace_prefixes() -> None:
    assert events_prefix("/") == ""
    assert events_prefix("/admin") == "Admin"
    assert events_prefix("/chat-room/v2") == "ChatRoomV2"
    assert events_prefix("/2fa") == "Ns2fa"


def test_reserved_words_and_odd_names_are_escaped() -> None:
    app = SioApp()
    router = Router()

    @router.on("new-item")
    async def new_item(new: str, delete: int = 0) -> None:
        return None

    app.include_router(router)
    assert '"new-item": (new_: string, delete_?: number) => void;' in contract.typescript(app)


def test_the_auth_type_is_named_after_the_namespace() -> None:
    types = contract.typescript(create_app())
    assert "export type Auth = Credentials;" in types
    assert "export type AdminAuth = Credentials & AdminRole;" in types
    assert '// const auth: Auth = {"token": ""};' in types
    assert "= io(url, { auth });" in types


class Auth(BaseModel):
    token: str


class Other(BaseModel):
    key: str


def test_a_model_called_auth_is_the_auth_type_or_keeps_its_name() -> None:
    def app_with(auth_type: type[BaseModel]) -> SioApp:
        app = SioApp()
        router = Router()

        @router.on("ping")
        async def ping(auth: Auth) -> None:  # a payload called auth: not the handshake
            return None

        async def authenticate(auth: BaseModel) -> None:
            return None

        authenticate.__annotations__ = {"auth": auth_type}
        app.use(authenticate)
        app.include_router(router)
        return app

    itself = contract.typescript(app_with(Auth))
    assert "export interface Auth {" in itself and "export type Auth " not in itself
    other = contract.typescript(app_with(Other))
    assert "export interface Auth {" in other
    assert "export type HandshakeAuth = Other;" in other


def compile_client(tmp_path: Path, client: str) -> str:
    """Run tsc on ``client`` beside the generated ``events.ts``; its output, '' when it passes."""
    node = node_or_skip("typescript", "socket.io-client")
    (tmp_path / "events.ts").write_text(contract.typescript(create_app()))
    (tmp_path / "client.ts").write_text(client)
    (tmp_path / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)
    tsc = NODE_MODULES / "typescript" / "bin" / "tsc"
    result = run(node, tsc, *TSC_OPTIONS, "client.ts", "events.ts", cwd=tmp_path)
    return result.stdout + result.stderr if result.returncode else ""


@pytest.mark.node
def test_a_typed_client_compiles_and_its_wrong_calls_do_not(tmp_path: Path) -> None:
    # Each `@ts-expect-error` line of typed-client.ts must fail to compile, else tsc fails.
    client = (HERE / "typed-client.ts").read_text()
    assert len(re.findall(r"^ *// @ts-expect-error ", client, re.MULTILINE)) == 18
    assert compile_client(tmp_path, client) == ""


@pytest.mark.node
def test_a_wrong_call_fails_to_compile(tmp_path: Path) -> None:
    client = (HERE / "typed-client.ts").read_text()
    wrong = client.replace("// @ts-expect-error the room is a string\n", "", 1)
    output = compile_client(tmp_path, wrong)
    assert re.search(
        r"client\.ts\(\d+,\d+\): error TS2322: Type 'number' is not assignable "
        r"to type 'string'",
        output,
    ), output
