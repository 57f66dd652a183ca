from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api import create_app
from geogrid.settings import Settings


@pytest.fixture
def client(demo_store):
    settings = Settings(database_url=str(demo_store.engine.url))
    app = create_app(settings, store=demo_store)
    with TestClient(app) as c:
        yield c
