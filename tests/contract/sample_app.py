"""An app that uses every feature the event contract documents.

Several namespaces, nested/optional/union/enum models, several positional
arguments, defaults, ``*args``, tuple acks, events without arguments, aliases,
injected parameters, ``emits`` declarations (a model, a plain type, named arguments),
a typed handshake auth (the app's, and one more for ``/admin``), docstrings and
router tags.
"""

from __future__ import annotations

import enum
from typing import Annotated, Any, Literal

from dependency_injector import providers
from dependency_injector.wiring import Provide
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from sioapp import ConnectionRefused, Container, Handshake, Router, SioApp, Socket

TOKEN = "let-me-in"


class Color(enum.StrEnum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Address(BaseModel):
    city: str
    postcode: str | None = None


class Profile(BaseModel):
    """A user's public profile."""

    name: str = Field(min_length=1, max_length=32, description="Shown to other users.")
    favourite: Color = Color.BLUE
    address: Address | None = None
    friends: list[Profile] = []
    scores: dict[str, int] = {}


class Join(BaseModel):
    room: str = Field(min_length=1, max_length=64)


class Joined(BaseModel):
    room: str
    members: int


class Circle(BaseModel):
    kind: Literal["circle"]
    radius: float = Field(gt=0)


class Square(BaseModel):
    kind: Literal["square"]
    side: float = Field(gt=0)


Shape = Annotated[Circle | Square, Field(discriminator="kind")]


class BanRequest(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    user_id: str
    minutes: int = Field(ge=1, le=1440)


class BanResult(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    user_id: str
    until_minute: int


class UserJoined(BaseModel):
    """Someone joined a room you are in."""

    room: str
    user: str


class PrivateMessage(BaseModel):
    sender: str
    text: str


class Banned(BaseModel):
    """You were banned.

    The connection stays open; events are refused until the ban ends.
    """

    minutes: int
    level: Level


class Credentials(BaseModel):
    """What every client connects with."""

    token: str = Field(default="", description="The token the server gave you.")


class AdminRole(BaseModel):
    role: Literal["admin", "moderator"] = "admin"


class Tick(BaseModel):
    at: float


class AppContainer(Container):
    greeting = providers.Object("hello")


def create_app(**options: Any) -> SioApp:
    """A fresh app: three namespaces, every kind of event."""
    app = SioApp(
        title="Contract sample",
        version="2.1.0",
        description="Every kind of event the contract generator documents.",
        container=AppContainer(),
        servers={"local": "http://127.0.0.1:8000", "production": "https://chat.example.com"},
        **options,
    )
    chat = Router(tags=["chat"])
    admin = Router("/admin", tags=["admin"])
    metrics = Router("/metrics-v2")
    chat.emits("user joined")(UserJoined)
    chat.emits("private message")(PrivateMessage)
    chat.emits("user left", str)
    chat.emits("whisper", from_id=str, text=str)
    admin.emits("banned")(Banned)
    admin.emits("level changed", Level)
    metrics.emits("tick")(Tick)

    @app.use
    async def authenticate(auth: Credentials) -> None:
        if auth.token != TOKEN:
            raise ConnectionRefused("unknown token", data={"code": "unauthorized"})

    @admin.use
    async def staff_only(auth: AdminRole, socket: Socket) -> None:
        socket.data["role"] = auth.role

    @chat.on("join")
    async def join(req: Join, socket: Socket, app: SioApp) -> Joined:
        """Join a room.

        The ack tells how many members the room has now; everyone in the room
        receives "user joined".
        """
        await socket.join(req.room)
        members = len(await app.in_(req.room).fetch_sockets())
        await app.to(req.room).emit(UserJoined(room=req.room, user=socket.id))
        return Joined(room=req.room, members=members)

    @chat.on("private message")
    async def private_message(to: str, text: str, socket: Socket) -> None:
        """Send a message to one socket."""
        await socket.to(to).emit(PrivateMessage(sender=socket.id, text=text))

    @chat.on("ping")
    async def ping(handshake: Handshake) -> str:
        """Answers "pong"."""
        return "pong"

    @chat.on("stats")
    async def stats(socket: Socket) -> tuple[int, str]:
        """The number of rooms you are in, and your id."""
        return len(socket.rooms), socket.id

    @chat.on("draw")
    async def draw(shape: Shape, color: Color = Color.RED, level: Level = Level.LOW) -> None:
        """Draw a shape."""

    @chat.on("sum")
    async def add(first: int, *rest: int) -> int:
        """Add numbers."""
        return first + sum(rest)

    @chat.on("log")
    async def log(*lines: str):  # no return annotation: the contract documents no ack
        """Write lines to the server log; nothing is acknowledged."""

    @chat.on("profile")
    async def profile(
        update: Profile, greeting: str = Provide[AppContainer.greeting]
    ) -> Profile | None:
        """Update your profile; the ack is the stored profile."""
        return update if update.name != "nobody" else None

    @admin.on("kick")
    async def kick(socket: Socket, user_id: str, reason: str | None = None) -> bool:
        """Disconnect a user."""
        return True

    @admin.on("ban")
    async def ban(req: BanRequest) -> BanResult:
        """Ban a user for some minutes."""
        return BanResult(user_id=req.user_id, until_minute=req.minutes)

    app.include_router(chat)
    app.include_router(admin)
    app.include_router(metrics)
    return app
