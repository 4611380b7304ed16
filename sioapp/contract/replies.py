"""The shape of the errors the runtime sends (``sioapp._protocol.errors.error_payload``), as models.

They document the error reply every acknowledged event may get, the
``exception`` event sent when the client asked for no ack, and the
``connect_error`` of a handshake whose typed ``auth`` does not match.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sioapp._protocol.errors import AuthValidationError
from sioapp._runtime.dispatch import refusal

__all__ = [
    "CONNECT_ERROR_EXAMPLE",
    "ERROR_EXAMPLE",
    "EXCEPTION_EVENT",
    "AuthErrorData",
    "ConnectError",
    "ErrorBody",
    "ErrorDetail",
    "ErrorReply",
    "ExceptionEvent",
]

#: The event the runtime emits when a handler fails and the client asked for no ack.
EXCEPTION_EVENT = "exception"


class ErrorDetail(BaseModel):
    """One problem with the event's arguments, as pydantic reports it (no input echoed)."""

    model_config = ConfigDict(extra="forbid")

    loc: list[str | int] = Field(
        description="Where: the argument's name, then the path inside it; "
        "the index of an argument the event does not take."
    )
    msg: str
    type: str = Field(description="pydantic's error type, e.g. `missing` or `string_too_short`.")


class ErrorBody(BaseModel):
    """What went wrong."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(
        description="`validation_error`, `unknown_event`, `internal_error` or the code of an "
        "`EventError` raised by the handler."
    )
    message: str
    details: list[ErrorDetail]


class ErrorReply(BaseModel):
    """The ack of an event that failed: invalid arguments, an `EventError`, or a crash."""

    model_config = ConfigDict(extra="forbid")

    error: ErrorBody


class ExceptionEvent(BaseModel):
    """Sent instead of an ack when an event failed and the client asked for no ack."""

    model_config = ConfigDict(extra="forbid")

    event: str = Field(description="The event that failed.")
    error: ErrorBody


#: The reply to ``join`` when its argument ``req`` lacks the field ``room``.
ERROR_EXAMPLE = ErrorReply(
    error=ErrorBody(
        code="validation_error",
        message="Invalid event payload",
        details=[ErrorDetail(loc=["req", "room"], msg="Field required", type="missing")],
    )
)


class AuthErrorData(BaseModel):
    """Why the handshake's ``auth`` was refused."""

    model_config = ConfigDict(extra="forbid")

    code: Literal["validation_error"]
    details: list[ErrorDetail]


class ConnectError(BaseModel):
    """The ``connect_error`` of a client whose handshake ``auth`` does not match its type.

    Connection middleware that refuses a client itself, with ``ConnectionRefused(message,
    data)``, sends its own message and data, which the contract cannot know.
    """

    model_config = ConfigDict(extra="forbid")

    message: Literal["Invalid auth"]
    data: AuthErrorData


#: The ``connect_error`` of a handshake whose ``auth`` lacks ``token``, as the runtime sends it.
CONNECT_ERROR_EXAMPLE: dict[str, Any] = refusal(
    AuthValidationError([{"loc": ["token"], "msg": "Field required", "type": "missing"}])
)
