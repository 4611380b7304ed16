"""One client class per namespace, over python-socketio's ``AsyncClient``.

Each client-to-server event is a method taking the event's arguments: it returns
the validated ack, raises ``EventError`` for an error reply, or returns None when
the event has no ack. Each server-to-client event has an ``on_<event>`` method
that registers a typed handler. ``connect`` takes the namespace's typed auth.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sioapp.contract.model import Argument, Contract, Direction, Event, Namespace
from sioapp.contract.pyclient.models import comment, docstring
from sioapp.contract.pyclient.types import Names, TypeWriter, identifier, literal, plain_default
from sioapp.contract.typescript import events_prefix

__all__ = ["BASE", "RUNTIME", "client_lines"]

#: What every client class inherits, and the names it takes.
BASE = "_Client"
_BASE_MEMBERS = frozenset({"connect", "disconnect", "namespace", "sio", "timeout", "self"})

#: The module's fixed part, after the models: the errors, the shared client and helpers.
RUNTIME = '''
_T = TypeVar("_T")


def _dump(value: Any) -> Any:
    """A value as JSON-ready data, models by their wire names."""
    return to_jsonable_python(value, by_alias=True)


class EventError(Exception):
    """The server answered an event with an error reply."""

    def __init__(self, reply: ErrorReply) -> None:
        super().__init__(f"{reply.error.code}: {reply.error.message}")
        self.reply = reply
        self.code = reply.error.code
        self.message = reply.error.message
        self.details = reply.error.details


class ConnectionRefused(Exception):
    """The server refused to connect: the message and data of its ``connect_error``."""

    def __init__(self, message: str, data: Any) -> None:
        super().__init__(message)
        self.message = message
        self.data = data


class _Client:
    """One namespace over a python-socketio ``AsyncClient``; acks are awaited ``timeout``
    seconds at most."""

    namespace = "/"

    def __init__(self, sio: socketio.AsyncClient | None = None, *, timeout: float = 30.0) -> None:
        self.sio = sio if sio is not None else socketio.AsyncClient()
        self.timeout = timeout

    async def _connect(self, url: str, auth: Any, options: dict[str, Any]) -> None:
        refusals: list[Any] = []
        self.sio.on("connect_error", refusals.append, namespace=self.namespace)
        try:
            await self.sio.connect(url, namespaces=[self.namespace], auth=_dump(auth), **options)
        except socketio.exceptions.ConnectionError:
            refusal = refusals[-1] if refusals else None
            if isinstance(refusal, dict) and "message" in refusal:
                raise ConnectionRefused(str(refusal["message"]), refusal.get("data")) from None
            raise

    async def disconnect(self) -> None:
        """Leave the server."""
        await self.sio.disconnect()

    async def _emit(self, event: str, *args: Any) -> None:
        await self.sio.emit(event, tuple(_dump(arg) for arg in args), namespace=self.namespace)

    async def _call(self, event: str, ack: TypeAdapter[_T], *args: Any) -> _T:
        reply = await self.sio.call(
            event,
            tuple(_dump(arg) for arg in args),
            namespace=self.namespace,
            timeout=self.timeout,
        )
        if isinstance(reply, dict) and set(reply) == {"error"}:
            raise EventError(ErrorReply.model_validate(reply))
        return ack.validate_python(reply)

    def _on(
        self, event: str, arguments: TypeAdapter[Any], handler: Callable[..., Awaitable[None]]
    ) -> None:
        async def receive(*args: Any) -> None:
            await handler(*arguments.validate_python(args))

        self.sio.on(event, receive, namespace=self.namespace)
'''


def _def(head: str, parameters: list[str], returns: str) -> list[str]:
    """A method's first line, its parameters one per line when they do not fit."""
    line = f"    {head}({', '.join(parameters)}) -> {returns}:"
    if len(line) <= 100:
        return [line]
    return [
        f"    {head}(",
        *(f"        {parameter}," for parameter in parameters),
        f"    ) -> {returns}:",
    ]


def _notes(notes: list[str]) -> list[str]:
    """A comment saying what the types of the next method leave out."""
    return comment("Any: " + "; ".join(dict.fromkeys(notes)), "    ", "#") if notes else []


@dataclass(slots=True)
class _Writer:
    writer: TypeWriter
    names: Names
    adapters: list[str] = field(default_factory=list)

    def adapter(self, prefix: str, event: str, annotation: str) -> str:
        """A module-level ``TypeAdapter`` constant for ``annotation``; its name."""
        name = self.names(f"_{prefix}_{identifier(event)}".upper())
        self.adapters.append(f"{name}: TypeAdapter[{annotation}] = TypeAdapter({annotation})")
        return name

    def parameter(self, argument: Argument, taken: set[str]) -> tuple[str, str]:
        """``name: type = default`` of one argument, and its name."""
        name = identifier(argument.name, taken | _BASE_MEMBERS)
        typed = self.writer.type(argument.schema)
        text = f"{name}: {typed.text}"
        if not argument.required:
            default = argument.schema.get("default")
            shown = literal(default)
            if not plain_default(default):
                shown = f"TypeAdapter({typed.text}).validate_python({shown})"
            text += f" = {shown}"
        return text, name

    def sender(self, event: Event, method: str, prefix: str) -> list[str]:
        taken: set[str] = set()
        parameters, names = [], []
        for argument in event.arguments:
            text, name = self.parameter(argument, taken)
            taken.add(name)
            parameters.append(text)
            names.append(name)
        if event.rest is not None:
            name = identifier(event.rest.name, taken | _BASE_MEMBERS)
            parameters.append(f"*{name}: {self.writer.type(event.rest.schema).text}")
            names.append(f"*{name}")
        values = "".join(f", {name}" for name in names)
        if event.ack is None:
            returns, body = "None", f"await self._emit({literal(event.name)}{values})"
        else:
            returns = self.writer.type(event.ack.schema).text
            adapter = self.adapter(f"{prefix}ack", event.name, returns)
            body = f"return await self._call({literal(event.name)}, {adapter}{values})"
        return [
            *_notes(self._notes(event)),
            *_def(f"async def {method}", ["self", *parameters], returns),
            *docstring(event.summary or f"Emit {literal(event.name)}.", "        "),
            f"        {body}",
        ]

    def listener(self, event: Event, method: str, prefix: str) -> list[str]:
        types = [self.writer.type(argument.schema).text for argument in event.arguments]
        arguments = f"tuple[{', '.join(types)}]" if types else "tuple[()]"
        adapter = self.adapter(f"{prefix}args", event.name, arguments)
        handler = f"Callable[[{', '.join(types)}], Awaitable[None]]"
        summary = f"{event.summary}\n\n" if event.summary else ""
        return [
            *_notes(self._notes(event)),
            *_def(f"def {method}", ["self", f"handler: {handler}"], handler),
            *docstring(
                f"{summary}Calls ``handler`` with the arguments of each {literal(event.name)}.",
                "        ",
            ),
            f"        self._on({literal(event.name)}, {adapter}, handler)",
            "        return handler",
        ]

    def _notes(self, event: Event) -> list[str]:
        """What the types of the event's arguments and ack leave out."""
        schemas = [argument.schema for argument in event.arguments]
        if event.rest is not None:
            schemas.append(event.rest.schema)
        if event.ack is not None:
            schemas.append(event.ack.schema)
        return [note for schema in schemas for note in self.writer.type(schema).notes]

    def _connect(self, namespace: Namespace) -> list[str]:
        """``connect``, with the namespace's auth when it has a type."""
        parameters, notes, auth = ["self", "url: str", "**options: Any"], [], "None"
        if namespace.auth is not None:
            typed = self.writer.type(namespace.auth.schema)
            parameters[2:2] = ["*", f"auth: {typed.text}"]
            notes, auth = list(typed.notes), "auth"
        return [
            *_notes(notes),
            *_def("async def connect", parameters, "None"),
            *docstring(
                "Connect to ``url``; ``options`` go to python-socketio's ``AsyncClient.connect``.",
                "        ",
            ),
            f"        await self._connect(url, {auth}, options)",
        ]

    def namespace(self, namespace: Namespace, class_name: str) -> list[str]:
        prefix = events_prefix(namespace.name).lower() + "_" if namespace.name != "/" else ""
        lines = [
            f"class {class_name}({BASE}):",
            *docstring(f"The events of namespace {namespace.name}.", "    "),
            "",
            f"    namespace = {literal(namespace.name)}",
            "",
        ]
        lines += self._connect(namespace)
        methods = Names(set(_BASE_MEMBERS))
        for event in namespace.events:
            lines.append("")
            if event.direction is Direction.CLIENT_TO_SERVER:
                lines += self.sender(event, methods(event.name), prefix)
            else:
                lines += self.listener(event, methods("on_" + event.name), prefix)
        return lines


def client_lines(
    contract: Contract, names: Names, writer: TypeWriter
) -> tuple[list[str], list[str]]:
    """The client classes of every namespace, and the adapters they use (to declare first)."""
    writing = _Writer(writer, names)
    lines: list[str] = []
    for namespace in contract.namespaces:
        class_name = names(events_prefix(namespace.name) + "Client")
        lines += ["", "", *writing.namespace(namespace, class_name)]
    return lines, writing.adapters
