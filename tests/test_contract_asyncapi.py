"""The AsyncAPI 3.0 document: its structure, read from the registry, and the official parser."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, Field

from sioapp import Router, SioApp, Socket, contract
from sioapp._protocol.errors import AuthValidationError
from sioapp._runtime.dispatch import refusal
from sioapp.contract.documents import documents
from sioapp.contract.replies import CONNECT_ERROR_EXAMPLE, ConnectError

from .contract.sample_app import create_app
from .contract.tools import HERE, node_or_skip, run


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return contract.asyncapi(create_app())


def refs(node: Any) -> Iterator[str]:
    """Every ``$ref`` in ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def message(document: dict[str, Any], channel: str, key: str) -> dict[str, Any]:
    found = document["channels"][channel]["messages"][key]
    while "$ref" in found:
        found = resolve(document, found["$ref"])
    return found


def test_info_servers_and_one_channel_per_namespace(document: dict[str, Any]) -> None:
    assert document["asyncapi"] == "3.0.0"
    assert document["info"] == {
        "title": "Contract sample",
        "version": "2.1.0",
        "description": "Every kind of event the contract generator documents.",
    }
    assert document["servers"]["local"] == {
        "host": "127.0.0.1:8000",
        "protocol": "ws",
        "pathname": "/socket.io/",
        "description": "Socket.IO 5 (Engine.IO 4) endpoint.",
    }
    assert document["servers"]["production"]["protocol"] == "wss"
    addresses = {key: channel["address"] for key, channel in document["channels"].items()}
    assert addresses == {"root": "/", "admin": "/admin", "metrics-v2": "/metrics-v2"}


def test_an_operation_per_event_in_each_direction(document: dict[str, Any]) -> None:
    app = create_app()
    seen: dict[tuple[str, str], set[str]] = {}
    for operation in document["operations"].values():
        channel = resolve(document, operation["channel"]["$ref"])
        [only] = operation["messages"]
        name = resolve(document, only["$ref"])["name"]
        seen.setdefault((channel["address"], operation["action"]), set()).add(name)
    for namespace, registry in app.registry.items():
        assert seen[namespace, "receive"] == {*registry.events, "connect"}  # and the handshake
        assert seen[namespace, "send"] == {*registry.emitted, "exception"}


def test_every_reference_resolves_and_every_schema_is_used(document: dict[str, Any]) -> None:
    found = set(refs(document))
    for ref in found:
        resolve(document, ref)
    schemas = document["components"]["schemas"]
    prefix = "#/components/schemas/"
    used = {ref.removeprefix(prefix) for ref in found if ref.startswith(prefix)}
    assert used == set(schemas)
    assert {"Join", "Joined", "Profile-Input", "Profile-Output", "Color", "Level"} <= set(schemas)
    assert {"Credentials", "AdminRole", "ConnectError", "AuthErrorData"} <= set(schemas)
    assert sum(key.startswith("Address") for key in schemas) == 1


def test_a_single_argument_is_its_schema_and_the_ack_is_the_reply(
    document: dict[str, Any],
) -> None:
    join = message(document, "root", "on.join")
    assert join["name"] == "join"
    assert join["payload"] == {"$ref": "#/components/schemas/Join"}
    assert join["examples"] == [{"name": "example", "payload": {"room": "string"}}]
    operation = document["operations"]["root.on.join"]
    assert operation["action"] == "receive"
    assert operation["summary"] == "Join a room."
    assert operation["description"].startswith("The ack tells how many members")
    assert operation["tags"] == [{"name": "chat"}]
    assert [ref["$ref"] for ref in operation["reply"]["messages"]] == [
        "#/channels/root/messages/on.join.ack",
        "#/channels/root/messages/ErrorReply",
    ]
    ack = message(document, "root", "on.join.ack")
    assert ack["payload"] == {"$ref": "#/components/schemas/Joined"}
    assert (
        message(document, "root", "ErrorReply") == document["components"]["messages"]["ErrorReply"]
    )


def test_several_arguments_are_an_array_with_prefix_items(document: dict[str, Any]) -> None:
    assert message(document, "root", "on.private_message")["payload"] == {
        "type": "array",
        "prefixItems": [{"title": "to", "type": "string"}, {"title": "text", "type": "string"}],
        "items": False,
        "minItems": 2,
    }
    draw = message(document, "root", "on.draw")["payload"]
    assert [item["title"] for item in draw["prefixItems"]] == ["shape", "color", "level"]
    assert draw["minItems"] == 1
    assert draw["prefixItems"][0]["discriminator"]["propertyName"] == "kind"
    assert draw["prefixItems"][1] == {
        "title": "color",
        "$ref": "#/components/schemas/Color",
        "default": "red",
    }
    assert document["components"]["schemas"]["Color"]["enum"] == ["red", "green", "blue"]
    assert document["components"]["schemas"]["Level"]["enum"] == [1, 2]


def test_star_args_are_the_array_items(document: dict[str, Any]) -> None:
    assert message(document, "root", "on.sum")["payload"] == {
        "type": "array",
        "prefixItems": [{"title": "first", "type": "integer"}],
        "items": {"type": "integer"},
        "minItems": 1,
    }
    log = message(document, "root", "on.log")
    assert log["payload"] == {"type": "array", "items": {"type": "string"}}
    assert "reply" not in document["operations"]["root.on.log"]


def test_acks_tuples_events_without_arguments(document: dict[str, Any]) -> None:
    ping = message(document, "root", "on.ping")
    assert "payload" not in ping
    assert message(document, "root", "on.ping.ack")["payload"] == {"type": "string"}
    stats = message(document, "root", "on.stats.ack")
    assert stats["payload"]["prefixItems"] == [{"type": "integer"}, {"type": "string"}]
    assert stats["examples"][0]["payload"] == [1, "string"]
    assert "reply" not in document["operations"]["root.on.private_message"]


def test_injected_parameters_never_appear(document: dict[str, Any]) -> None:
    kick = message(document, "admin", "on.kick")["payload"]
    assert [item["title"] for item in kick["prefixItems"]] == ["user_id", "reason"]
    profile = message(document, "root", "on.profile")["payload"]
    assert profile == {"$ref": "#/components/schemas/Profile-Input"}
    text = json.dumps(document)
    for injected in ("greeting", '"handshake"', '"socket"', '"app"'):
        assert injected not in text


def test_aliases_are_the_wire_names(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert set(schemas["BanRequest"]["properties"]) == {"userId", "minutes"}
    assert set(schemas["BanResult"]["properties"]) == {"userId", "untilMinute"}


def test_the_error_reply_is_defined_once_and_every_reply_refers_to_it(
    document: dict[str, Any],
) -> None:
    error = document["components"]["messages"]["ErrorReply"]
    assert error["payload"] == {"$ref": "#/components/schemas/ErrorReply"}
    body = document["components"]["schemas"]["ErrorBody"]
    assert set(body["required"]) == {"code", "message", "details"}
    detail = document["components"]["schemas"]["ErrorDetail"]
    assert set(detail["properties"]) == {"loc", "msg", "type"}
    replies = [
        operation["reply"]
        for key, operation in document["operations"].items()
        if "reply" in operation and not key.endswith(".connect")
    ]
    assert len(replies) == 7
    for reply in replies:
        *_, last = reply["messages"]
        assert resolve(document, last["$ref"]) == {"$ref": "#/components/messages/ErrorReply"}
    assert '"ErrorReply": {"name"' not in json.dumps(document["channels"])


def test_emitted_events_are_send_operations_with_the_model_docstring(
    document: dict[str, Any],
) -> None:
    operation = document["operations"]["admin.emits.banned"]
    assert operation["action"] == "send"
    assert operation["summary"] == "You were banned."
    assert operation["description"].startswith("The connection stays open")
    banned = message(document, "admin", "emits.banned")
    assert banned["payload"] == {"$ref": "#/components/schemas/Banned"}
    assert banned["examples"][0]["payload"] == {"minutes": 1, "level": 1}
    exception = message(document, "metrics-v2", "emits.exception")
    assert exception["payload"] == {"$ref": "#/components/schemas/ExceptionEvent"}


def test_plain_and_named_emitted_events_follow_the_payload_convention(
    document: dict[str, Any],
) -> None:
    assert message(document, "root", "emits.user_left")["payload"] == {"type": "string"}
    whisper = message(document, "root", "emits.whisper")
    assert whisper["payload"] == {
        "type": "array",
        "prefixItems": [
            {"title": "from_id", "type": "string"},
            {"title": "text", "type": "string"},
        ],
        "items": False,
        "minItems": 2,
    }
    assert whisper["examples"] == [{"name": "example", "payload": ["string", "string"]}]
    # The same shape as a client-to-server event with two positional arguments.
    private = message(document, "root", "on.private_message")["payload"]
    assert {**whisper["payload"], "prefixItems": private["prefixItems"]} == private
    level = message(document, "admin", "emits.level_changed")
    assert level["payload"] == {"$ref": "#/components/schemas/Level"}
    assert document["operations"]["root.emits.whisper"]["action"] == "send"


def test_the_typed_auth_of_connection_middleware_is_the_handshake(
    document: dict[str, Any],
) -> None:
    handshake = message(document, "root", "connect")
    assert handshake["payload"] == {"$ref": "#/components/schemas/Credentials"}
    assert handshake["examples"] == [{"name": "example", "payload": {"token": ""}}]
    credentials = document["components"]["schemas"]["Credentials"]
    assert credentials["properties"]["token"]["description"] == "The token the server gave you."
    # The app's middleware and the namespace's own both validate the auth of "/admin".
    assert message(document, "admin", "connect")["payload"] == {
        "allOf": [
            {"$ref": "#/components/schemas/Credentials"},
            {"$ref": "#/components/schemas/AdminRole"},
        ]
    }
    assert message(document, "admin", "connect")["examples"][0]["payload"] == {
        "token": "",
        "role": "admin",
    }
    operation = document["operations"]["admin.connect"]
    assert operation["action"] == "receive"
    assert "refused with the reply's `connect_error`" in operation["description"]
    [refusal] = operation["reply"]["messages"]
    assert resolve(document, refusal["$ref"]) == {"$ref": "#/components/messages/ConnectError"}
    connect_error = document["components"]["messages"]["ConnectError"]
    assert connect_error["name"] == "connect_error"
    assert connect_error["payload"] == {"$ref": "#/components/schemas/ConnectError"}


def test_without_typed_auth_there_is_no_handshake() -> None:
    app = SioApp()

    @app.use
    async def untyped(auth: Any, socket: Socket) -> None:  # any auth: nothing to document
        return None

    @app.use
    async def unannotated(auth, socket: Socket) -> None:  # type: ignore[no-untyped-def]
        return None

    document = contract.asyncapi(app)
    assert "connect" not in document["channels"]["root"]["messages"]
    assert "ConnectError" not in document["components"]["messages"]
    assert "ConnectError" not in document["components"]["schemas"]


def test_the_refusal_of_an_invalid_auth_is_what_the_runtime_sends() -> None:
    refused = refusal(AuthValidationError([{"loc": ["token"], "msg": "m", "type": "missing"}]))
    assert ConnectError.model_validate(refused).data.details[0].loc == ["token"]
    assert ConnectError.model_validate(CONNECT_ERROR_EXAMPLE).message == refused["message"]


def test_auth_declared_after_the_first_document_is_documented() -> None:
    app = SioApp()
    assert "connect" not in contract.asyncapi(app)["channels"]["root"]["messages"]

    @app.use
    async def authenticate(auth: Job) -> None:
        return None

    handshake = contract.asyncapi(app)["channels"]["root"]["messages"]["connect"]
    assert handshake["payload"] == {"$ref": "#/components/schemas/Job"}


def test_yaml_is_the_same_document() -> None:
    app = create_app()
    assert yaml.safe_load(contract.asyncapi_yaml(app)) == contract.asyncapi(app)
    assert json.loads(contract.asyncapi_json(app)) == contract.asyncapi(app)


def test_default_server_and_invalid_servers() -> None:
    assert contract.asyncapi(SioApp())["servers"] == {
        "development": {
            "host": "localhost:8000",
            "protocol": "ws",
            "pathname": "/socket.io/",
            "description": "Socket.IO 5 (Engine.IO 4) endpoint.",
        }
    }
    behind = SioApp(servers={"proxy": "https://example.com/chat/"}, socketio_path="io")
    assert contract.asyncapi(behind)["servers"]["proxy"]["pathname"] == "/chat/io/"
    with pytest.raises(ValueError, match="http"):
        contract.asyncapi(SioApp(servers={"bad": "example.com"}))


def test_cached_until_a_router_is_included() -> None:
    app = SioApp()
    first = contract.asyncapi(app)
    first["info"]["title"] = "changed by the caller"
    assert contract.asyncapi(app)["info"]["title"] == "sioapp"
    assert documents(app) is documents(app)
    router = Router("/late")

    @router.on("hello")
    async def hello(name: str) -> str:
        return name

    app.include_router(router)
    assert "late.on.hello" in contract.asyncapi(app)["operations"]


def test_names_that_clash_once_cleaned_get_distinct_keys() -> None:
    app = SioApp()
    router = Router()
    handlers: dict[str, Callable[..., Any]] = {}
    for name in ("a b", "a_b", "a/b"):

        async def handler(socket: Socket) -> None:
            return None

        handlers[name] = router.on(name)(handler)
    app.include_router(router)
    messages = contract.asyncapi(app)["channels"]["root"]["messages"]
    assert {messages[key]["name"] for key in ("on.a_b", "on.a_b_2", "on.a_b_3")} == set(handlers)


class Job(BaseModel):
    name: str


class Node(BaseModel):
    name: str
    children: list[Node]


class Code(BaseModel):
    code: str = Field(pattern=r"^[A-Z]{3}$")


def test_examples_are_finite_and_only_those_the_server_accepts() -> None:
    app = SioApp()
    router = Router()

    @router.on("tree")
    async def tree(root: Node) -> None:
        return None

    @router.on("code")
    async def code(value: Code, count: int = 2) -> None:
        return None

    app.include_router(router)
    messages = contract.asyncapi(app)["channels"]["root"]["messages"]
    assert messages["on.tree"]["examples"][0]["payload"] == {"name": "string", "children": []}
    assert "examples" not in messages["on.code"]
    assert "Example arguments" not in contract.html(app).split('data-event="code"')[1]


def test_types_json_schema_cannot_express_are_any_value() -> None:
    app = SioApp()
    router = Router()

    @router.on("run")
    async def run_job(job: Job, callback: Callable[[], None] | None = None) -> None:
        return None

    app.include_router(router)
    payload = contract.asyncapi(app)["channels"]["root"]["messages"]["on.run"]["payload"]
    assert payload["prefixItems"][1] == {
        "title": "callback",
        "anyOf": [{}, {"type": "null"}],
        "default": None,
    }


@pytest.mark.node
def test_the_official_parser_finds_no_error(tmp_path: Any) -> None:
    node = node_or_skip("@asyncapi/parser", "ajv")
    path = tmp_path / "asyncapi.json"
    path.write_text(contract.asyncapi_json(create_app()))
    result = run(node, HERE / "validate.mjs", path, cwd=HERE)
    assert result.returncode == 0, result.stdout + result.stderr
    *_, summary = result.stdout.strip().splitlines()
    assert summary.startswith("0 errors,")
    assert int(summary.split(", ")[2].split()[0]) >= 20  # examples checked against payloads


@pytest.mark.node
def test_the_validator_reports_a_broken_document(tmp_path: Any) -> None:
    node = node_or_skip("@asyncapi/parser", "ajv")
    document = contract.asyncapi(create_app())
    document["components"]["schemas"]["Join"]["properties"]["room"]["minLength"] = "one"
    document["channels"]["root"]["messages"]["on.sum"]["examples"][0]["payload"] = ["1"]
    path = tmp_path / "asyncapi.json"
    path.write_text(json.dumps(document))
    result = run(node, HERE / "validate.mjs", path, cwd=HERE)
    assert result.returncode == 1
    assert '"minLength" property type must be integer' in result.stdout
    assert "example-mismatch at /channels/root/messages/on.sum/examples/0" in result.stdout
