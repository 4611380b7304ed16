"""The shape of the errors the runtime sends (``sioapp._protocol.errors.error_payload``), as models.

They document the error reply every acknowledged event may get, and the
``exception`` event sent when the client asked for no ack.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ERROR_EXAMPLE",
    "EXCEPTION_EVENT",
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
