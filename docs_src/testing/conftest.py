import pytest

from docs_src.tutorial.step5_leaving import app
from sioapp import SioApp


@pytest.fixture
def sioapp_app() -> SioApp:
    return app
