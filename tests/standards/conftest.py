"""A live server (uvicorn subprocess on loopback) on each store, with staff of every kind.

The webhook dispatcher runs in the server with a fast schedule (poll 0.2 s, retries from
0.5 s doubling to 2 s) so an outage test stays short; the 30 s case is
``python -m benchmarks.webhook_outage``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field

import pytest

from benchmarks._server import ApiServer
from geogrid.store import Store
from geogrid.store.users import create_user, issue_token

#: grid 1 (滨江船厂带) of the demo street: the scoped dispatcher's beat
GRID1 = "310115005001"
FAST_WEBHOOKS = {"GEOGRID_WEBHOOK_POLL_S": "0.2", "GEOGRID_WEBHOOK_RETRY_BASE_S": "0.5",
                 "GEOGRID_WEBHOOK_RETRY_MAX_S": "2", "GEOGRID_WEBHOOK_TIMEOUT_S": "1",
                 "GEOGRID_DEMO": "0"}


@dataclass
class Live:
    url: str
    database_url: str
    tokens: dict[str, str] = field(default_factory=dict)

    def store(self) -> Store:
        return Store.open(self.database_url, migrate=False)

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


def _staff(store: Store) -> dict[str, str]:
    people = {"admin": ("admin", None), "dispatcher": ("dispatcher", None),
              "dispatcher_g1": ("dispatcher", GRID1), "responder": ("responder", None),
              "planner": ("planner", None)}
    out = {}
    for name, (role, scope) in people.items():
        create_user(store, f"std_{name}", role, scope=scope)
        out[name] = issue_token(store, f"std_{name}")
    return out


def _serve(database_url: str, store: Store):
    tokens = _staff(store)
    store.dispose()
    server = ApiServer(database_url, env=FAST_WEBHOOKS).start()
    try:
        yield Live(server.url, database_url, tokens)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def live(demo_db_path, tmp_path_factory):
    """The demo street on SpatiaLite behind a live server."""
    db = tmp_path_factory.mktemp("standards") / "live.sqlite"
    shutil.copy(demo_db_path, db)
    url = f"sqlite:///{db}"
    yield from _serve(url, Store.open(url, migrate=False))


@pytest.fixture(scope="module")
def live_pg(pg_cluster):
    """The demo street on PostGIS behind a live server."""
    from tests.conftest import postgis_demo_store

    store = postgis_demo_store(pg_cluster)
    yield from _serve(str(store.engine.url.render_as_string(hide_password=False)), store)


@pytest.fixture(scope="module", params=["spatialite", "postgis"])
def live_any(request):
    """Each store in turn behind a live server."""
    return request.getfixturevalue("live" if request.param == "spatialite" else "live_pg")
