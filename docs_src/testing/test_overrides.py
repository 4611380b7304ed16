"""Replacing a service of the container for one test."""

from docs_src.dependencies.app import User, UserStore, app
from sioapp.testing import TestClient


async def test_with_a_fake_user_store() -> None:
    fake = UserStore()
    fake.tokens = {"token-cy": User("cy")}
    with app.container.users.override(fake):
        async with TestClient(app, auth={"token": "token-cy"}) as cy:
            assert await cy.call("whoami") == "cy"
