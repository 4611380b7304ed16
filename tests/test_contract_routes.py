"""The contract served by a running app, and the running app keeping to its contract."""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import yaml

from sioapp import SioApp, contract
from sioapp.contract.replies import ERROR_EXAMPLE, ErrorReply, ExceptionEvent

from .conftest import Connect, Inbox
from .contract.sample_app import TOKEN, create_app

Served = Callable[[SioApp], Awaitable[str]]


async def test_documents_page_and_client_script_are_served(served: Served) -> None:
    app = create_app()
    url = await served(app)
    async with httpx.AsyncClient(base_url=url) as http:
        document = await http.get("/asyncapi.json")
        assert document.headers["content-type"] == "application/json"
        assert document.json() == contract.asyncapi(app)
        text = await http.get("/asyncapi.yaml")
        assert text.headers["content-type"].startswith("application/yaml")
        assert yaml.safe_load(text.text) == contract.asyncapi(app)
        page = await http.get("/asyncapi")
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert page.text == contract.html(app)
        script = await http.get("/asyncapi/client.js")
        assert script.headers["content-type"].startswith("text/javascript")
        assert "EIO=4&transport=websocket" in script.text
        assert script.text in page.text
        paths = (await http.get("/openapi.json")).json()["paths"]
        assert not any(path.startswith("/asyncapi") for path in paths)


async def test_the_page_sends_its_policy_as_a_header_that_also_forbids_framing(
    served: Served,
) -> None:
    url = await served(SioApp(docs_url="/events"))
    async with httpx.AsyncClient(base_url=url) as http:
        page = await http.get("/events")
    [meta] = re.findall(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page.text)
    assert "frame-ancestors" not in meta  # a <meta> policy cannot carry it
    assert page.headers["content-security-policy"] == (
        html.unescape(meta) + "; frame-ancestors 'none'"
    )


async def test_docs_url_moves_or_turns_off_the_pages(served: Served) -> None:
    moved = await served(SioApp(docs_url="/docs/events/"))
    off = await served(SioApp(docs_url=None))
    async with httpx.AsyncClient() as http:
        for path in ("/docs/events", "/docs/events.json", "/docs/events.yaml"):
            assert (await http.get(moved + path)).status_code == 200
        assert (await http.get(moved + "/docs/events/client.js")).status_code == 200
        assert (await http.get(moved + "/asyncapi.json")).status_code == 404
        for path in ("/asyncapi", "/asyncapi.json", "/asyncapi.yaml", "/asyncapi/client.js"):
            assert (await http.get(off + path)).status_code == 404
    with pytest.raises(ValueError, match="docs_url"):
        SioApp(docs_url="/")


async def test_every_documented_example_is_accepted_by_the_server(
    served: Served, client: Connect
) -> None:
    app = create_app()
    url = await served(app)
    document = contract.asyncapi(app)
    checked = 0
    for key, channel in document["channels"].items():
        connection = await client(url, namespace=channel["address"], auth={"token": TOKEN})
        for operation_id, operation in document["operations"].items():
            if not operation_id.startswith(f"{key}.on."):
                continue
            [ref] = operation["messages"]
            message = _message(channel, ref)
            args = ()
            if "payload" in message:
                args = _arguments(message["payload"], message["examples"][0]["payload"])
            reply = await connection.call(
                message["name"], args, namespace=channel["address"], timeout=5
            )
            assert not (isinstance(reply, dict) and "error" in reply), (operation_id, reply)
            checked += 1
            if "reply" not in operation:
                assert reply is None  # acked without arguments
                continue
            ack = _message(channel, operation["reply"]["messages"][0])["payload"]
            if "prefixItems" in ack:
                assert len(reply) == len(ack["prefixItems"])
            else:
                assert reply is not None
    assert checked == 10


def _message(channel: dict[str, Any], ref: dict[str, str]) -> dict[str, Any]:
    return channel["messages"][ref["$ref"].rsplit("/", 1)[1]]


def _arguments(payload: dict[str, Any], example: Any) -> tuple[Any, ...]:
    """The event's arguments from a message example, as python-socketio's ``call`` takes them."""
    return tuple(example) if payload.get("type") == "array" else (example,)


async def test_errors_have_the_documented_shape(
    served: Served, client: Connect, inbox: type[Inbox]
) -> None:
    url = await served(create_app())
    connection = await client(url, auth={"token": TOKEN})
    errors = inbox(connection, "exception")
    reply = await connection.call("join", {}, timeout=5)
    assert ErrorReply.model_validate(reply) == ERROR_EXAMPLE
    for bad in (("sum", ("1", 2, "three")), ("no such event", ())):
        ErrorReply.model_validate(await connection.call(*bad, timeout=5))
    await connection.emit("private message", ("only one",))
    [exception] = await errors.next("exception")
    assert ExceptionEvent.model_validate(exception).event == "private message"


async def test_acks_and_emitted_events_use_the_documented_names(
    served: Served, client: Connect, inbox: type[Inbox]
) -> None:
    app = create_app()
    url = await served(app)
    schemas = contract.asyncapi(app)["components"]["schemas"]
    admin = await client(url, namespace="/admin", auth={"token": TOKEN})
    result = await admin.call("ban", {"userId": "x", "minutes": 5}, namespace="/admin", timeout=5)
    assert set(result) == set(schemas["BanResult"]["properties"])
    chat = await client(url, auth={"token": TOKEN})
    joined = inbox(chat, "user joined")
    assert await chat.call("join", {"room": "lobby"}, timeout=5) == {"room": "lobby", "members": 1}
    [event] = await joined.next("user joined")
    assert set(event) == set(schemas["UserJoined"]["required"])
    assert await chat.call("profile", {"name": "nobody"}, timeout=5) is None
