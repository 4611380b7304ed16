"""Node's socket.io-client with socket.io-msgpack-parser against ``SioApp(serializer="msgpack")``,
served by a real uvicorn, once over WebSocket only and once over long-polling only."""

from __future__ import annotations

from typing import Any

from sioapp import ConnectionStateRecovery

from .msgpack_app import create_app
from .node import requires_node, run_script

pytestmark = requires_node

VALIDATION_ERROR = {"code": "validation_error", "message": "Invalid event payload"}


def _bytes(*values: int) -> dict[str, Any]:
    return {"buffer": True, "bytes": list(values)}


async def test_node_clients_with_the_msgpack_parser(served: Any, transport: str) -> None:
    checks = await run_script("msgpack.mjs", await served(create_app()), transport)
    assert checks["auth"] == {"token": "ann", "since": "1970-01-01T00:00:00.000Z"}
    assert checks["join"] == {"room": "garden", "members": 1}
    assert checks["invalid"] == {
        "error": {
            **VALIDATION_ERROR,
            "details": [
                {
                    "loc": ["req", "room"],
                    "msg": "Input should be a valid string",
                    "type": "string_type",
                }
            ],
        }
    }
    assert checks["missing"] == {
        "error": {
            **VALIDATION_ERROR,
            "details": [{"loc": ["req"], "msg": "Field required", "type": "missing"}],
        }
    }
    # msgpack keeps JavaScript's integers and fractions apart, as JSON does
    assert checks["types"] == ["int", "float", "int", "int", "bool", "NoneType", "str"]
    # undefined: dropped from objects, null in arrays, as JSON.stringify does
    assert checks["undefined"] == [1, None, {"kept": 2}]
    assert checks["date"] == ["2024-02-29T12:30:15.250Z"]  # as Date.toJSON()
    assert checks["non_finite"] == ["float", "float"]  # where JSON would carry null
    # a Buffer, an ArrayBuffer, a typed array, and ArrayBuffers the size of a Date and of
    # undefined: bytes to the server, a Buffer back
    assert checks["binary"] == [
        _bytes(1, 2, 3),
        _bytes(4, 5, 6, 7),
        _bytes(8, 9),
        _bytes(1, 2, 3, 4, 5, 6, 7, 8),
        _bytes(0),
    ]
    assert checks["nested_binary"] == _bytes(255)
    assert checks["server_asks"] == 42
    assert checks["shout"] is True
    assert checks["news"] == ["hello", _bytes(7), "hello"]
    assert checks["namespace"] == "/admin"
    assert checks["refused"] == {"message": "unknown user", "data": {"code": "unauthorized"}}
    assert checks["server_disconnect"] == "io server disconnect"


async def test_node_clients_with_the_msgpack_parser_are_recovered(
    served: Any, transport: str
) -> None:
    app = create_app(recovery=ConnectionStateRecovery(max_disconnection_duration=5))
    checks = await run_script("msgpack-recovery.mjs", await served(app), transport)
    assert checks["left"] == "forced close"
    assert checks["back"] == {"recovered": True, "sameId": True}
    assert checks["heard"] == [
        ["before", [0], "string"],
        ["away 1", [1, 255], "string"],
        ["away 2", [2, 255], "string"],
        ["away 3", [3, 255], "string"],
        ["after", [9], "string"],
    ]
