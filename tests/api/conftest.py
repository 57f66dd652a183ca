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


@pytest.fixture(params=["spatialite", "postgis"])
def demo_any(request, tmp_path, demo_db_path):
    """The demo street on each store: a copy of the SpatiaLite demo, or loaded into a
    throwaway PostGIS database (unpartitioned, to keep it quick)."""
    import shutil

    from geogrid.store import Store

    if request.param == "spatialite":
        path = tmp_path / "any.sqlite"
        shutil.copy(demo_db_path, path)
        store = Store.open(f"sqlite:///{path}", migrate=False)
    else:
        from tests.conftest import postgis_demo_store

        store = postgis_demo_store(request.getfixturevalue("pg_cluster"), partition=False)
    yield store
    store.dispose()


def client_for(store, token: str | None = None, *, raise_server_exceptions: bool = True,
               **settings) -> TestClient:
    """A TestClient of the app over ``store`` (enter it: ``with client_for(...) as c``)."""
    app = create_app(Settings(database_url=str(store.engine.url), **settings), store=store)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return TestClient(app, headers=headers, raise_server_exceptions=raise_server_exceptions)
