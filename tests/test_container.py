"""The dependency-injector container: current socket and user, lifetimes, REST, overrides."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated, Any

import pytest
from dependency_injector import containers, providers, resources
from dependency_injector.wiring import Closing, Provide, Provider, inject
from fastapi import Depends
from pydantic import BaseModel

from sioapp import (
    ConnectionRefused,
    Container,
    CurrentUser,
    DisconnectReason,
    EventError,
    Handshake,
    RegistrationError,
    Rooms,
    Router,
    SioApp,
    Socket,
)
from sioapp.testing import TestClient, TestServer

from .conftest import InProcess, eventually


class User:
    """An application's user: a plain class, which pydantic cannot validate."""

    def __init__(self, name: str) -> None:
        self.name = name


class Profile(BaseModel):
    name: str


class UserStore:
    """Users by token; a Singleton shared by handlers and REST routes."""

    def __init__(self) -> None:
        self.tokens = {"t-alice": User(name="alice"), "t-bob": User(name="bob")}

    def by_token(self, token: Any) -> User | None:
        return self.tokens.get(token) if isinstance(token, str) else None


class SocketService:
    """A plain service given the current socket by the container."""

    def __init__(self, socket: Socket, rooms: Rooms, handshake: Handshake) -> None:
        self.socket = socket
        self.rooms = rooms
        self.handshake = handshake


class AppContainer(Container):
    user_type = User
    users = providers.Singleton(UserStore)
    service = providers.Factory(
        SocketService,
        socket=Container.socket,
        rooms=Container.rooms,
        handshake=Container.handshake,
    )
    journal = providers.Singleton(list)


class OtherContainer(containers.DeclarativeContainer):
    thing = providers.Object("thing")


async def refusal(in_process: InProcess, app: SioApp, auth: dict[str, Any]) -> dict[str, Any]:
    """The ``connect_error`` a client of ``app`` gets when connecting with ``auth``."""
    with pytest.raises(ConnectionRefused) as refused:
        await in_process(app, auth=auth)
    return {"message": refused.value.message, "data": refused.value.data}


UNKNOWN_USER = {"message": "unknown user", "data": {"code": "unauthorized"}}


def authenticated_app() -> SioApp:
    app = SioApp(container=AppContainer())

    @app.use
    async def authenticate(socket: Socket, users: UserStore = Provide[AppContainer.users]) -> None:
        token = socket.handshake.auth.get("token")
        if token is None:
            return
        user = users.by_token(token)
        if user is None:
            raise ConnectionRefused("unknown user", data={"code": "unauthorized"})
        socket.user = user

    return app


async def test_current_socket_under_concurrency(in_process: InProcess) -> None:
    app = SioApp(container=AppContainer())
    router = Router()

    @router.on("whoami")
    async def whoami(
        delay: float,
        socket: Socket,
        rooms: Annotated[Rooms, Provide[Container.rooms]],
        injected: Socket = Provide[Container.socket],
        service: SocketService = Provide[AppContainer.service],
        make_service: Callable[[], SocketService] = Provider[AppContainer.service],
    ) -> dict[str, Any]:
        await asyncio.sleep(delay)
        late = make_service()
        return {
            "own": socket.id,
            "injected": injected.id,
            "service": service.socket.id,
            "late": late.socket.id,
            "rooms": sorted(rooms),
            "service_rooms": sorted(service.rooms),
            "auth": dict(late.handshake.auth),
        }

    app.include_router(router)
    clients = await asyncio.gather(*(in_process(app, auth={"n": n}) for n in range(100)))
    replies = await asyncio.gather(
        *(c.call("whoami", 0.05 - n * 0.0004, timeout=10) for n, c in enumerate(clients))
    )
    for n, (c, reply) in enumerate(zip(clients, replies, strict=True)):
        sid = c.sid
        assert reply == {
            "own": sid,
            "injected": sid,
            "service": sid,
            "late": sid,
            "rooms": [sid],
            "service_rooms": [sid],
            "auth": {"n": n},
        }
    assert len({reply["own"] for reply in replies}) == 100


async def test_markers_in_middleware_error_and_lifecycle_handlers(
    in_process: InProcess,
) -> None:
    app = authenticated_app()
    router = Router()
    connected = asyncio.Event()
    gone = asyncio.Event()

    @router.use_packets
    async def audit(
        socket: Socket,
        event: str,
        args: list[Any],
        next: Any,
        journal: list[str] = Provide[AppContainer.journal],
        user: User = Provide[Container.user],
    ) -> None:
        journal.append(f"packet {event} from {user.name}")
        await next()

    @router.on("boom")
    async def boom() -> None:
        raise EventError("boom", "exploded")

    @router.on_error
    async def record(
        exc: EventError, user: CurrentUser, journal: list[str] = Provide[AppContainer.journal]
    ) -> None:
        journal.append(f"error {exc.code} for {user.name}")

    @router.on_connect
    async def hello(
        journal: list[str] = Provide[AppContainer.journal],
        handshake: Handshake = Provide[Container.handshake],
        own_app: SioApp = Provide[Container.app],
    ) -> None:
        assert own_app is app
        journal.append(f"connect {handshake.auth['token']}")
        connected.set()

    @router.on_disconnect
    async def bye(
        reason: DisconnectReason,
        user: CurrentUser,
        journal: list[str] = Provide[AppContainer.journal],
    ) -> None:
        assert isinstance(reason, DisconnectReason)
        journal.append(f"disconnect {user.name}")
        gone.set()

    app.include_router(router)
    journal = app.container.journal()

    assert await refusal(in_process, app, {"token": "forged"}) == UNKNOWN_USER

    c = await in_process(app, auth={"token": "t-alice"})
    await asyncio.wait_for(connected.wait(), 5)
    assert await c.call("boom") == {"error": {"code": "boom", "message": "exploded", "details": []}}
    await c.disconnect()
    await asyncio.wait_for(gone.wait(), 5)
    assert journal == [
        "connect t-alice",
        "packet boom from alice",
        "error boom for alice",
        "disconnect alice",
    ]


async def test_user_needs_connection_middleware_to_set_it(in_process: InProcess) -> None:
    app = authenticated_app()
    router = Router()

    @router.on("say")
    async def say(text: str, user: User) -> str:
        return f"{user.name}: {text}"

    @router.on("whoami")
    async def whoami(user: CurrentUser) -> str:
        return str(user.name)

    @router.on("by marker")
    async def by_marker(user: User = Provide[Container.user]) -> str:
        return user.name

    app.include_router(router)
    alice = await in_process(app, auth={"token": "t-alice"})
    anonymous = await in_process(app)

    assert await alice.call("say", "hi") == "alice: hi"
    assert await alice.call("whoami") == "alice"
    assert await alice.call("by marker") == "alice"
    unauthorized = {
        "error": {
            "code": "unauthorized",
            "message": "This event needs an authenticated user",
            "details": [],
        }
    }
    for event, args in (("say", ["hi"]), ("whoami", []), ("by marker", [])):
        assert await anonymous.call(event, *args) == unauthorized
    validation = await alice.call("say", "hi", "extra")
    assert validation["error"]["code"] == "validation_error"


def test_user_type_parameters_leave_the_payload() -> None:
    app = SioApp(container=AppContainer())
    router = Router()

    @router.on("say")
    async def say(text: str, user: User, *, also: User) -> None: ...

    analysed = router.events["say"]
    # pydantic cannot validate User: the payload waits for the container's user type
    assert analysed.payload is not None and analysed.payload.adapter is None
    app.include_router(router)
    bound = app.registry["/"].events["say"].payload
    assert bound is not None and bound.names == ("text",) and bound.adapter is not None


def test_without_user_type_a_class_annotation_is_a_payload_or_an_error() -> None:
    router = Router()

    @router.on("create")
    async def create(profile: Profile) -> None: ...

    @router.on_disconnect
    async def bye(profile: Profile) -> None: ...

    with pytest.raises(RegistrationError, match=r"'.*bye'.*parameter 'profile' cannot be bound"):
        SioApp().include_router(router)
    analysed = router.events["create"]
    assert analysed.payload is not None and analysed.payload.names == ("profile",)

    plain = Router()

    @plain.on("login")
    async def login(user: User) -> None: ...

    with pytest.raises(RegistrationError, match=r"'.*login': cannot validate its payload"):
        SioApp().include_router(plain)


class Session:
    """A per-event resource that records its lifetime."""

    ids: Iterator[int] = itertools.count()

    def __init__(self, log: list[str]) -> None:
        self.id = next(Session.ids)
        self.closed = False
        self.log = log

    def close(self) -> None:
        self.closed = True
        self.log.append(f"close {self.id}")


def lifetimes_container(log: list[str]) -> AppContainer:
    async def pool() -> AsyncIterator[str]:
        log.append("pool up")
        yield "pool"
        log.append("pool down")

    async def session() -> AsyncIterator[Session]:
        opened = Session(log)
        try:
            yield opened
        finally:
            opened.close()

    class LifetimesContainer(AppContainer):
        pool_resource = providers.Resource(pool)
        session_resource = providers.ContextLocalResource(session)

    return LifetimesContainer()


async def test_app_resources_live_from_startup_to_shutdown() -> None:
    log: list[str] = []
    container = lifetimes_container(log)
    app = SioApp(container=container)
    router = Router()

    @router.on("pool")
    async def use_pool(pool: str = Provide["pool_resource"]) -> str:
        log.append("event")
        return pool

    @router.on_disconnect
    async def bye(pool: str = Provide["pool_resource"]) -> None:
        log.append(f"disconnect with {pool}")

    app.include_router(router)
    async with TestServer(app):
        assert log == ["pool up"]
        async with TestClient(app) as c:
            assert await c.call("pool") == "pool"
        assert log == ["pool up", "event", "disconnect with pool"]  # the handlers have run
    assert log == ["pool up", "event", "disconnect with pool", "pool down"]


async def test_per_event_resources_close_after_each_event(in_process: InProcess) -> None:
    log: list[str] = []
    app = SioApp(container=lifetimes_container(log))
    router = Router()
    seen: dict[str, list[Session]] = {}

    @router.use_packets
    async def open_early(
        socket: Socket,
        event: str,
        args: list[Any],
        next: Any,
        session: Session = Provide["session_resource"],
    ) -> None:
        seen.setdefault(event, []).append(session)
        await next()

    @router.on("work")
    async def work(delay: float, session: Session = Provide["session_resource"]) -> int:
        seen["work"].append(session)
        await asyncio.sleep(delay)
        assert not session.closed
        return session.id

    @router.on("fail")
    async def fail(session: Session = Provide["session_resource"]) -> None:
        seen["fail"].append(session)
        raise RuntimeError("handler failed")

    @router.on_error
    async def on_failure(session: Session = Provide["session_resource"]) -> None:
        log.append(f"error handler with {session.id} closed={session.closed}")

    app.include_router(router)
    c = await in_process(app)
    first, second = await asyncio.gather(c.call("work", 0.1), c.call("work", 0.05))
    assert first != second
    await eventually(lambda: all(s.closed for s in seen["work"]))
    assert {s.id for s in seen["work"]} == {first, second}
    assert len(seen["work"]) == 4

    reply = await c.call("fail")
    assert reply["error"]["code"] == "internal_error"
    await eventually(lambda: seen["fail"][0].closed)
    failed = seen["fail"][0]
    assert seen["fail"] == [failed, failed]
    assert f"error handler with {failed.id} closed=False" in log
    assert log[-1] == f"close {failed.id}"
    assert log.count(f"close {failed.id}") == 1

    # a class-based resource is never closed by garbage collection: only sioapp closes it
    overriding: list[Session] = []

    class FakeSession(resources.AsyncResource[Session]):
        async def init(self) -> Session:
            overriding.append(Session(log))
            return overriding[-1]

        async def shutdown(self, resource: Session | None) -> None:
            assert resource is not None
            resource.close()

    with app.container.session_resource.override(providers.ContextLocalResource(FakeSession)):
        assert await c.call("work", 0) == overriding[0].id
        await eventually(lambda: overriding[0].closed)
    assert len(overriding) == 1


async def test_one_singleton_for_rest_and_realtime_and_overrides(
    in_process: InProcess,
) -> None:
    app = authenticated_app()
    router = Router()

    @router.on("store")
    async def store(users: UserStore = Provide[AppContainer.users]) -> dict[str, Any]:
        return {"id": id(users), "names": sorted(u.name for u in users.tokens.values())}

    @app.fastapi.get("/api/store")
    @inject
    async def rest_store(
        users: UserStore = Depends(Provide[AppContainer.users]),
    ) -> dict[str, Any]:
        return {"id": id(users), "names": sorted(u.name for u in users.tokens.values())}

    app.include_router(router)
    c = await in_process(app, auth={"token": "t-alice"})
    realtime = await c.call("store")
    rest = (await c.http.get("/api/store")).json()
    assert realtime == rest == {"id": id(app.container.users()), "names": ["alice", "bob"]}

    fake = UserStore()
    fake.tokens = {"t-carol": User(name="carol")}
    with app.container.users.override(fake):
        assert await c.call("store") == {"id": id(fake), "names": ["carol"]}
        assert (await c.http.get("/api/store")).json() == {"id": id(fake), "names": ["carol"]}
        assert await refusal(in_process, app, {"token": "t-alice"}) == UNKNOWN_USER
        carol = await in_process(app, auth={"token": "t-carol"})
        assert carol.connected
    assert await c.call("store") == realtime


async def test_configuration_markers(in_process: InProcess) -> None:
    app = SioApp()
    app.container.config.from_dict({"greeting": {"text": "hello"}})
    router = Router()

    @router.on("greet")
    async def greet(name: str, text: str = Provide[Container.config.greeting.text]) -> str:
        return f"{text} {name}"

    app.include_router(router)
    c = await in_process(app)
    assert await c.call("greet", "world") == "hello world"


def test_markers_must_name_a_provider_of_the_app_container() -> None:
    app = SioApp(container=AppContainer())
    with pytest.raises(RegistrationError, match=r"'.*strange_middleware'.*parameter 'thing'"):

        @app.use
        async def strange_middleware(thing: str = Provide[OtherContainer.thing]) -> None: ...

    router = Router()

    @router.on("strange")
    async def strange_event(thing: Annotated[str, Provide[OtherContainer.thing]]) -> None: ...

    with pytest.raises(RegistrationError, match=r"'.*strange_event'.*parameter 'thing'"):
        app.include_router(router)

    with pytest.raises(RegistrationError, match=r"'.*plain_app'.*parameter 'users'"):

        @SioApp().on_error
        async def plain_app(users: UserStore = Provide[AppContainer.users]) -> None: ...


def test_closing_markers_point_to_context_local_resources() -> None:
    router = Router()
    with pytest.raises(RegistrationError, match="ContextLocalResource"):

        @router.on("closing")
        async def closing(users: UserStore = Closing[Provide[AppContainer.users]]) -> None: ...


async def test_a_router_serves_each_app_with_that_apps_container(
    in_process: InProcess,
) -> None:
    """As FastAPI's routers: one router, two apps in one process, each its own container."""
    router = Router()

    @router.on("whose store")
    async def whose_store(app: SioApp, users: UserStore = Provide[AppContainer.users]) -> list[str]:
        return [app.title, *users.tokens]

    for name in ("first", "second"):
        store = UserStore()
        store.tokens = {f"{name}'s token": User(name=name)}
        container = AppContainer()
        container.users.override(providers.Object(store))
        app = SioApp(title=name, container=container)
        app.include_router(router)
        c = await in_process(app)
        assert await c.call("whose store") == [name, f"{name}'s token"]


def test_the_container_is_a_sioapp_container_serving_one_app() -> None:
    with pytest.raises(TypeError, match=r"sioapp\.Container"):
        SioApp(container=OtherContainer())  # type: ignore[arg-type]
    container = AppContainer()
    app = SioApp(container=container)
    assert app.container is container
    assert container.app() is app
    with pytest.raises(ValueError, match="another SioApp"):
        SioApp(container=container)


def test_current_socket_outside_handlers_is_an_error() -> None:
    app = SioApp()
    with pytest.raises(RuntimeError, match="only available while sioapp runs a handler"):
        app.container.socket()
