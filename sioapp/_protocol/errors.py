"""Exceptions users raise and the error payload clients receive."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

__all__ = [
    "AuthValidationError",
    "ClusterUnavailable",
    "ConnectionRefused",
    "EmitValidationError",
    "EventError",
    "PayloadValidationError",
    "error_payload",
]

INTERNAL_ERROR = "internal_error"
VALIDATION_ERROR = "validation_error"


class EventError(Exception):
    """An error a handler raises on purpose; the client receives its code and message.

    ``details`` must be JSON-serialisable; it is sent to the client as is.
    """

    def __init__(self, code: str, message: str, details: list[Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details if details is not None else []

    def __repr__(self) -> str:
        return f"EventError(code={self.code!r}, message={self.message!r})"


class ClusterUnavailable(EventError):
    """Other servers cannot be reached because Redis cannot.

    Raised by operations that need answers from other servers; a client whose
    handler let it through receives the error code ``cluster_unavailable``.
    """

    def __init__(self, message: str) -> None:
        super().__init__("cluster_unavailable", message)


class ConnectionRefused(Exception):
    """Raised by connection middleware to refuse a client.

    The client receives ``connect_error`` with ``err.message == message`` and
    ``err.data == data``.
    """

    def __init__(self, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.data = data


def validation_details(exc: ValidationError) -> list[dict[str, Any]]:
    """pydantic's ``loc``/``msg``/``type`` for each error, without the input values."""
    return [
        {"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]}
        for error in exc.errors(include_url=False, include_input=False, include_context=False)
    ]


class AuthValidationError(ConnectionRefused):
    """The client's handshake ``auth`` did not match the type connection middleware declared.

    The client receives ``connect_error`` with ``err.message == "Invalid auth"`` and
    ``err.data == {"code": "validation_error", "details": [...]}``, the details as in
    `PayloadValidationError`.
    """

    def __init__(self, details: list[dict[str, Any]]) -> None:
        super().__init__("Invalid auth", {"code": VALIDATION_ERROR, "details": details})
        self.details = details


class PayloadValidationError(EventError):
    """The event's arguments did not match the handler's signature.

    ``details`` holds pydantic's ``loc``/``msg``/``type`` for each error, never the input values.
    """

    def __init__(self, details: list[dict[str, Any]]) -> None:
        super().__init__(VALIDATION_ERROR, "Invalid event payload", details)

    @classmethod
    def from_pydantic(cls, exc: ValidationError) -> PayloadValidationError:
        """The errors of pydantic's validation, without their input values."""
        return cls(validation_details(exc))

    @classmethod
    def extra_arguments(cls, expected: int, received: int) -> PayloadValidationError:
        """The client sent more positional arguments than the handler takes."""
        return cls(
            [
                {"loc": [index], "msg": "Unexpected extra argument", "type": "extra_forbidden"}
                for index in range(expected, received)
            ]
        )


def error_payload(exc: BaseException) -> dict[str, Any]:
    """The ``{"error": {...}}`` object sent to the client for ``exc``.

    Anything but an `EventError` is reported as ``internal_error`` without detail.
    """
    if isinstance(exc, EventError):
        return {"error": {"code": exc.code, "message": exc.message, "details": exc.details}}
    return {"error": {"code": INTERNAL_ERROR, "message": "Internal server error", "details": []}}


class EmitValidationError(ValueError):
    """The server emitted a declared event with arguments that do not match its declaration.

    ``event`` is the event's name, ``details`` pydantic's ``loc``/``msg``/``type`` for
    each mismatch, ``loc`` starting with the argument's name.
    """

    def __init__(self, event: str, details: list[dict[str, Any]]) -> None:
        first = details[0] if details else {"loc": [], "msg": "invalid arguments"}
        where = ".".join(str(part) for part in first["loc"])
        argument = f"argument {where}: " if where else ""
        super().__init__(f"emitting {event!r}: {argument}{first['msg']}")
        self.event = event
        self.details = details
