"""A container of services, shared by event handlers and REST routes."""

from collections.abc import AsyncIterator
from typing import Annotated

from dependency_injector import providers
from dependency_injector.wiring import Provide, inject
from fastapi import Depends

from sioapp import ConnectionRefused, Container, CurrentUser, Router, SioApp, Socket


# --8<-- [start:services]
class User:
    def __init__(self, name: str) -> None:
        self.name = name


class UserStore:
    def __init__(self) -> None:
        self.tokens = {"token-ann": User("ann"), "token-bob": User("bob")}

    def by_token(self, token: object) -> User | None:
        return self.tokens.get(token) if isinstance(token, str) else None


class Greeter:
    """A service built for the socket of the current event."""

    def __init__(self, socket: Socket, greeting: str) -> None:
        self.socket = socket
        self.greeting = greeting

    def greet(self, name: str) -> str:
        return f"{self.greeting} {name}, you are {self.socket.id}"


class Transaction:
    """Stands for a database transaction: one per event, closed after it."""

    def __init__(self) -> None:
        self.closed = False


transactions: list[Transaction] = []


async def transaction() -> AsyncIterator[Transaction]:
    opened = Transaction()
    transactions.append(opened)
    try:
        yield opened
    finally:
        opened.closed = True


# --8<-- [end:services]


# --8<-- [start:container]
class AppContainer(Container):
    user_type = User  # a parameter annotated `User` receives socket.user

    users = providers.Singleton(UserStore)
    greeter = providers.Factory(
        Greeter, socket=Container.socket, greeting=Container.config.greeting
    )
    transaction = providers.ContextLocalResource(transaction)


container = AppContainer()
container.config.from_dict({"greeting": "hello"})
app = SioApp(container=container)
# --8<-- [end:container]
router = Router()


# --8<-- [start:middleware]
@app.use
async def authenticate(socket: Socket, users: UserStore = Provide[AppContainer.users]) -> None:
    user = users.by_token(socket.handshake.auth.get("token"))
    if user is None:
        raise ConnectionRefused("unknown user", data={"code": "unauthorized"})
    socket.user = user


# --8<-- [end:middleware]


# --8<-- [start:handlers]
@router.on("greet")
async def greet(name: str, greeter: Greeter = Provide[AppContainer.greeter]) -> str:
    return greeter.greet(name)


@router.on("whoami")
async def whoami(user: User) -> str:
    return user.name


@router.on("whoami again")
async def whoami_again(user: CurrentUser) -> str:
    return str(user.name)


@router.on("save")
async def save(text: str, tx: Transaction = Provide[AppContainer.transaction]) -> int:
    return transactions.index(tx)


# --8<-- [end:handlers]

app.include_router(router)


# --8<-- [start:rest]
@app.fastapi.get("/api/users")
@inject
async def list_users(
    users: Annotated[UserStore, Depends(Provide[AppContainer.users])],
) -> list[str]:
    return sorted(user.name for user in users.tokens.values())


# --8<-- [end:rest]
