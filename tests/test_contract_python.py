"""The typed Python client: mypy --strict accepts it and its users, refuses wrong calls, and
the module talks to the example chat served for real."""

from __future__ import annotations

import asyncio
import importlib.util
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import socketio
from pydantic import BaseModel, ConfigDict, Field

from example_project.app import app as chat_app
from sioapp import Router, SioApp, contract

from .contract.sample_app import TOKEN, create_app

#: Uses of the example chat's client: each ``type: ignore`` line is a wrong call that must
#: be an error, since mypy --strict reports an ignore that is not needed.
CHAT_USER = """\
from chat_client import Auth, ChatMessage, Client, EventError, Join, Joined, Leave, Message


async def main(client: Client) -> int:
    await client.connect("http://127.0.0.1:8000", auth=Auth(token="t"))
    joined: Joined = await client.join(Join(room="lobby"))
    sent = await client.chat_message(ChatMessage(room="lobby", text="hi"))

    @client.on_chat_message
    async def show(message: Message) -> None:
        print(message.username, message.text)

    @client.on_private_message
    async def whisper(from_id: str, text: str) -> None:
        print(from_id, text)

    await client.private_message("someone", "hi")
    try:
        await client.leave(Leave(room="lobby"))
    except EventError as error:
        print(error.code, error.details)
    await client.join(Leave(room="lobby"))  # type: ignore[arg-type]
    await client.join(Join(room=1))  # type: ignore[arg-type]
    await client.private_message("someone")  # type: ignore[call-arg]
    await client.connect("http://127.0.0.1:8000")  # type: ignore[call-arg]
    client.on_chat_message(whisper)  # type: ignore[arg-type]
    room: int = joined.room  # type: ignore[assignment]
    return joined.members + int(sent.ok) + room
"""

SAMPLE_USER = """\
from sample_client import AdminClient, BanRequest, Circle, Client, Credentials, ProfileInput


async def main(client: Client, admin: AdminClient) -> None:
    await client.connect("http://127.0.0.1:8000", auth=Credentials(token="t"))
    rooms, sid = await client.stats()
    total: int = await client.sum(1, 2, 3)
    await client.draw(Circle(kind="circle", radius=1.0), "green")
    stored = await client.profile(ProfileInput(name="Ada", favourite="red"))
    print(rooms + total, sid, stored.name if stored is not None else None)
    result = await admin.ban(BanRequest(userId="x", minutes=5))
    print(result.untilMinute)
    await admin.kick("x")
    await client.draw({"kind": "circle", "radius": 1.0})  # type: ignore[arg-type]
    await client.draw(Circle(kind="circle", radius=1.0), "purple")  # type: ignore[arg-type]
    await client.sum(1, "2")  # type: ignore[arg-type]
    await client.profile(ProfileInput(name="Ada", favourite="pink"))  # type: ignore[arg-type]
"""


class Odd(BaseModel):
    """Wire names that are no Python names; a docstring that ends with a "quote\""""

    model_config = ConfigDict(populate_by_name=True)

    klass: str = Field(alias="class")
    json_value: int = Field(0, alias="json")
    from_id: str = Field(alias="from-id")
    secret: str = Field("", alias="_private")


def odd_app() -> SioApp:
    """Events and fields whose names Python does not take as they are."""
    app = SioApp(title="Odd")
    router = Router()
    router.emits("a-b", str)

    @router.on("a-b")
    async def dashed(odd: Odd, limit: int = 3) -> Odd:
        return odd

    @router.on("a b")
    async def spaced() -> None:
        return None

    @router.on("timeout")
    async def timeout(import_: str) -> None:
        return None

    app.include_router(router)
    return app


def load(source: str, name: str, directory: Path) -> ModuleType:
    """``source`` written to ``directory/name.py`` and imported as ``name``."""
    path = directory / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def modules(tmp_path: Path) -> Iterator[Callable[[str, str], ModuleType]]:
    """``load(source, name)`` into ``tmp_path``; the modules are forgotten afterwards."""
    loaded: list[str] = []

    def fresh(source: str, name: str) -> ModuleType:
        loaded.append(name)
        return load(source, name, tmp_path)

    yield fresh
    for name in loaded:
        sys.modules.pop(name, None)


FILES = ("chat_client.py", "sample_client.py", "odd_client.py", "chat_user.py", "sample_user.py")


@pytest.mark.slow
def test_the_generated_modules_and_their_users_pass_mypy_strict(tmp_path: Path) -> None:
    (tmp_path / "chat_client.py").write_text(contract.python_client(chat_app))
    (tmp_path / "sample_client.py").write_text(contract.python_client(create_app()))
    (tmp_path / "odd_client.py").write_text(contract.python_client(odd_app()))
    (tmp_path / "chat_user.py").write_text(CHAT_USER)
    (tmp_path / "sample_user.py").write_text(SAMPLE_USER)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / ".mypy"), *FILES],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_unsupported_schemas_are_any_with_a_comment() -> None:
    source = contract.python_client(create_app())
    assert "    # Any: allOf of several schemas\n    async def connect(" in source
    assert "auth: Any," in source.split("class AdminClient(_Client):", 1)[1]


def test_names_python_does_not_take_are_renamed(
    modules: Callable[[str, str], ModuleType],
) -> None:
    odd = modules(contract.python_client(odd_app()), "odd_client")
    wire = {"class": "c", "json": 1, "from-id": "f", "_private": "p"}
    value = odd.Odd.model_validate(wire)
    assert value.model_dump(by_alias=True) == wire
    assert odd.Odd.__doc__.endswith('a "quote"')
    client = odd.Client(socketio.AsyncClient())
    assert callable(client.a_b) and callable(client.a_b_) and callable(client.timeout_)
    assert callable(client.on_a_b) and client.timeout == 30.0


async def login(url: str, username: str) -> str:
    async with httpx.AsyncClient(base_url=url) as http:
        response = await http.post("/api/login", json={"username": username})
        response.raise_for_status()
        return str(response.json()["token"])


async def test_the_client_talks_to_the_example_chat(
    served: Any, modules: Callable[[str, str], ModuleType]
) -> None:
    chat = modules(contract.python_client(chat_app), "chat_client")
    url = await served(chat_app)
    options = {"transports": ["websocket"], "wait_timeout": 5}
    alice = chat.Client(socketio.AsyncClient(reconnection=False), timeout=5)
    bob = chat.Client(socketio.AsyncClient(reconnection=False), timeout=5)
    messages: asyncio.Queue[Any] = asyncio.Queue()
    whispers: asyncio.Queue[tuple[str, str]] = asyncio.Queue()

    @bob.on_chat_message
    async def heard(message: Any) -> None:
        messages.put_nowait(message)

    @bob.on_private_message
    async def whispered(from_id: str, text: str) -> None:
        whispers.put_nowait((from_id, text))

    await alice.connect(url, auth=chat.Auth(token=await login(url, "alice")), **options)
    await bob.connect(url, auth=chat.Auth(token=await login(url, "bob")), **options)
    try:
        assert await alice.join(chat.Join(room="lobby")) == chat.Joined(room="lobby", members=1)
        assert await bob.join(chat.Join(room="lobby")) == chat.Joined(room="lobby", members=2)
        sent = await alice.chat_message(chat.ChatMessage(room="lobby", text="hi bob"))
        assert sent == chat.Sent(ok=True)
        heard_message = await asyncio.wait_for(messages.get(), 5)
        assert heard_message == chat.Message(room="lobby", username="alice", text="hi bob")
        me = await alice.whoami()
        await alice.private_message((await bob.whoami()).id, "psst")
        assert await asyncio.wait_for(whispers.get(), 5) == (me.id, "psst")

        with pytest.raises(chat.EventError) as refused:
            await alice.chat_message(chat.ChatMessage(room="elsewhere", text="hi"))
        assert (refused.value.code, refused.value.details) == ("not_in_room", [])
        with pytest.raises(chat.EventError) as invalid:
            await alice.join(chat.Join.model_construct(room=""))  # not validated here
        assert invalid.value.code == "validation_error"
        assert invalid.value.details[0].loc == ["req", "room"]
    finally:
        await alice.disconnect()
        await bob.disconnect()

    stranger = chat.Client(socketio.AsyncClient(reconnection=False))
    with pytest.raises(chat.ConnectionRefused) as refusal:
        await stranger.connect(url, auth=chat.Auth(token="forged"), **options)
    assert (refusal.value.message, refusal.value.data) == ("unknown user", {"code": "unauthorized"})


async def test_the_client_of_several_namespaces_and_acks(
    served: Any, modules: Callable[[str, str], ModuleType]
) -> None:
    sample = modules(contract.python_client(create_app()), "sample_client")
    url = await served(create_app())
    options = {"transports": ["websocket"], "wait_timeout": 5}
    chat = sample.Client(socketio.AsyncClient(reconnection=False), timeout=5)
    admin = sample.AdminClient(socketio.AsyncClient(reconnection=False), timeout=5)
    await chat.connect(url, auth=sample.Credentials(token=TOKEN), **options)
    await admin.connect(url, auth={"token": TOKEN, "role": "moderator"}, **options)
    try:
        rooms, sid = await chat.stats()
        assert (rooms, len(sid)) == (1, 20)
        assert await chat.sum(1, 2, 3) == 6
        await chat.draw(sample.Circle(kind="circle", radius=1.0))
        stored = await chat.profile(sample.ProfileInput(name="Ada", favourite="red"))
        assert stored == sample.ProfileOutput(name="Ada", favourite="red")
        banned = await admin.ban(sample.BanRequest(userId="x", minutes=5))
        assert banned == sample.BanResult(userId="x", untilMinute=5)
        assert await admin.kick("x") is True
    finally:
        await chat.disconnect()
        await admin.disconnect()
    with pytest.raises(sample.ConnectionRefused) as refusal:
        await sample.AdminClient(socketio.AsyncClient(reconnection=False)).connect(
            url, auth={"token": TOKEN, "role": "owner"}, **options
        )
    assert refusal.value.message == "Invalid auth"
    assert sample.ConnectError.model_validate(
        {"message": refusal.value.message, "data": refusal.value.data}
    ).data.details[0].loc == ["role"]
