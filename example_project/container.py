"""The chat's services, shared by REST routes and event handlers."""

from __future__ import annotations

from dependency_injector import providers

from example_project.users import UserStore
from sioapp import Container


class ChatContainer(Container):
    users = providers.Singleton(UserStore)
