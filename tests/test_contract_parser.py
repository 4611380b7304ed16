"""The contract says which Socket.IO parser clients need: AsyncAPI, TypeScript, page, diff."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sioapp import Router, SioApp, contract
from sioapp.contract.diff import Level, diff

from .contract.tools import node_or_skip, run

HERE = Path(__file__).parent / "contract"


def chat(serializer: str) -> SioApp:
    app = SioApp(title="Chat", serializer=serializer)  # type: ignore[arg-type]
    router = Router()

    @router.on("say")
    async def say(text: str) -> str:
        return text

    app.include_router(router)
    return app


def test_a_json_app_names_socketio_s_default_parser() -> None:
    document = contract.asyncapi(chat("json"))
    assert document["x-socketio-parser"] == "socket.io-parser"
    assert document["defaultContentType"] == "application/json"
    assert document["servers"]["development"]["description"] == (
        "Socket.IO 5 (Engine.IO 4) endpoint."
    )
    assert "parser" not in contract.typescript(chat("json")).split("export")[0]


def test_a_msgpack_app_names_the_msgpack_parser_everywhere() -> None:
    app = chat("msgpack")
    document = contract.asyncapi(app)
    assert document["x-socketio-parser"] == "socket.io-msgpack-parser"
    assert document["defaultContentType"] == "application/msgpack"
    assert (
        'parser: require("socket.io-msgpack-parser")'
        in (document["servers"]["development"]["description"])
    )
    header = contract.typescript(app).split("export")[0]
    assert '// import parser from "socket.io-msgpack-parser";' in header
    assert "= io(url, { parser });" in header
    page = contract.html(app)
    assert "parser: <code>socket.io-msgpack-parser</code>" in page
    assert re.search(r'<form id="try-connect-form"[^>]* hidden>', page)


@pytest.mark.node
def test_the_msgpack_document_passes_the_official_parser(tmp_path: Path) -> None:
    node = node_or_skip("@asyncapi/parser", "ajv")
    path = tmp_path / "asyncapi.json"
    path.write_text(contract.asyncapi_json(chat("msgpack")))
    result = run(node, HERE / "validate.mjs", path, cwd=HERE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_changing_the_parser_breaks_every_client() -> None:
    [change] = diff(contract.asyncapi(chat("json")), contract.asyncapi(chat("msgpack")))
    assert change.level is Level.BREAKING
    assert "socket.io-parser to socket.io-msgpack-parser" in change.message
    older = contract.asyncapi(chat("json"))
    del older["x-socketio-parser"]  # documents written before the parser was named
    assert diff(older, contract.asyncapi(chat("json"))) == []
