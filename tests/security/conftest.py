from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api import create_app
from geogrid.settings import Settings


@pytest.fixture
def make_client(demo_store):
    """A TestClient over the demo store with settings overridden per test."""
    opened = []

    def make(**overrides) -> TestClient:
        settings = Settings(database_url=str(demo_store.engine.url), **overrides)
        c = TestClient(create_app(settings, store=demo_store))
        c.__enter__()
        opened.append(c)
        return c

    yield make
    for c in opened:
        c.__exit__(None, None, None)
