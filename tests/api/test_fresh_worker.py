"""A new worker process answers /locate from the stored locator before it loads the rest.

A fresh interpreter (``uvicorn --factory api.app:create_app``, as ``geogrid serve
--workers N`` spawns them) starts with the ``/locate`` route and the stored
locator, and loads the other routers in the background; every route must still
answer as before, and ``/locate`` must answer what a locator built from the
plan's areas answers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.routers import health, locate
from geogrid.services import PlanCache
from geogrid.services.locatefiles import locator_path, prepare
from geogrid.settings import Settings
from geogrid.store import Store
from tests.support.net import free_port

ROOT = Path(__file__).resolve().parents[2]
#: inside 崂山住区, and outside every microgrid of the demo street
INSIDE, OUTSIDE = (121.512, 31.237), (121.400, 31.100)
#: what serving /locate must not import (they are loaded after the worker answers)
NOT_AT_START = ("folium", "scipy", "alembic", "geogrid.services.incidents",
                "geogrid.services.planning", "geogrid.routing", "api.routers.incidents",
                "api.routers.pages", "api.routers.tiles",
                # nor the store's engine: the plan is read with sqlite3 and the store opened
                # in the background, with SQLAlchemy, GDAL (pyogrio) and pandas
                "sqlalchemy", "geoalchemy2", "pyogrio", "pandas", "geopandas",
                "geogrid.store.engine", "geogrid.store.repo")


@pytest.fixture
def stored_db(demo_db_path, tmp_path) -> tuple[Path, dict]:
    """A copy of the demo store whose active plan's locator is stored beside it, and the
    answers of a locator built in this process from the plan's areas (at a point inside
    a microgrid of each grid)."""
    db = tmp_path / "fresh.sqlite"
    shutil.copy(demo_db_path, db)
    store = Store.open(f"sqlite:///{db}", migrate=False)
    try:
        plan = store.active_plan()
        cache = PlanCache(store, locate_dir=Path(f"{db}.locate"))
        prepare(cache, int(plan["id"]))
        assert (locator_path(Path(f"{db}.locate"), store, plan) / "labels" / "id.npy").exists()
        built = PlanCache(store).locator(int(plan["id"]))       # in memory, from the areas
        areas = store.areas(int(plan["id"]))
        firsts = areas[areas["level"] == "microgrid"].groupby("parent_id").head(1)
        points = [INSIDE] + [(p.x, p.y) for p in firsts.geometry.representative_point()]
        expected = {p: built.locate_one(*p) for p in points}
    finally:
        store.dispose()
    return db, expected


def _env(db: Path) -> dict:
    return dict(os.environ, GEOGRID_DATABASE_URL=f"sqlite:///{db}", GEOGRID_DEMO="0",
                PYTHONPATH=str(ROOT))


def test_a_fresh_uvicorn_worker_answers_locate_from_the_stored_locator(stored_db):
    db, expected = stored_db
    locate_dir = Path(f"{db}.locate")
    stored_before = sorted(p.name for p in locate_dir.iterdir())
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level",
                             "warning"], env=_env(db), cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        first = None
        deadline = time.monotonic() + 120
        while first is None and time.monotonic() < deadline:
            try:       # the very first request the worker answers is a /locate
                first = httpx.get(f"{url}/locate", params={"lon": INSIDE[0], "lat": INSIDE[1],
                                                           "datum": "cgcs2000"}, timeout=30)
            except httpx.HTTPError:
                time.sleep(0.1)
        assert first is not None, "the worker did not start"
        assert first.status_code == 200
        assert first.json()["chain"]["grid"]["name"] == "崂山住区"
        with httpx.Client(base_url=url, timeout=60) as c:
            answers = {INSIDE: first.json()}
            answers.update({(lon, lat): c.get("/locate", params={
                "lon": lon, "lat": lat, "datum": "cgcs2000"}).json() for lon, lat in expected
                if (lon, lat) != INSIDE})
            assert len(answers) == len(expected) > 2
            for point, want in expected.items():
                assert answers[point]["leaf"] == want["leaf"]
                assert answers[point]["chain"] == want["chain"]
            assert len({a["chain"]["grid"]["id"] for a in answers.values()}) > 2
            outside = c.get("/locate", params={"lon": OUTSIDE[0], "lat": OUTSIDE[1],
                                               "datum": "cgcs2000"})
            assert outside.status_code == 422
            assert outside.json()["error"]["code"] == "out_of_coverage"
            # the routes loaded after start answer as ever, and the contract lists them all
            assert c.get("/health").json()["status"] == "ok"
            paths = c.get("/openapi.json").json()["paths"]
            assert {"/locate", "/health", "/incidents", "/plans"} <= paths.keys()
            assert c.get("/no-such-page").status_code == 404
    finally:
        proc.terminate()
        proc.wait(10)
    # the worker opened the stored locator; it did not build and store another one
    assert sorted(p.name for p in locate_dir.iterdir()) == stored_before


def test_serving_locate_imports_none_of_the_other_routes_or_services(stored_db):
    db, _ = stored_db
    # the lifespan's background start (the store, the other routes) and the locator's
    # background tree are held back, so what is imported is what serving /locate needed
    script = ("import json, sys\n"
              "from api.app import create_app\n"
              "import api.app as m, geogrid.services.plancache as pc\n"
              "m._start = lambda *args: None\n"
              "pc._warm = lambda *args: None\n"
              "from starlette.testclient import TestClient\n"
              "app = create_app()\n"
              "with TestClient(app) as c:\n"
              "    r = c.get('/locate', params={'lon': 121.512, 'lat': 31.237,"
              " 'datum': 'cgcs2000'})\n"
              "    loaded = sorted(sys.modules)\n"
              "print(r.status_code, json.dumps(loaded))\n")
    res = subprocess.run([sys.executable, "-c", script], env=_env(db), cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    status, modules = res.stdout.strip().splitlines()[-1].split(" ", 1)
    assert status == "200"
    imported = set(json.loads(modules))
    assert "geogrid.locate._stored" in imported             # answered from the stored locator
    assert not [m for m in NOT_AT_START if m in imported]


def test_other_routes_wait_for_the_background_load_instead_of_answering_404(demo_store):
    app = create_app(Settings(database_url=str(demo_store.engine.url), demo=False),
                     store=demo_store)
    deferred = app.state.deferred
    assert not deferred.loaded
    routers = [getattr(r, "original_router", None) for r in app.routes]
    assert locate.router in routers and health.router not in routers
    client = TestClient(app)          # no lifespan: only the deferred loading can add routes
    css = client.get("/static/geogrid.css")
    assert css.status_code == 200 and css.content == (ROOT / "maps/static/geogrid.css").read_bytes()
    assert deferred.loaded
    routers = [getattr(r, "original_router", None) for r in app.routes]
    assert routers.index(locate.router) < routers.index(health.router)   # /locate matched first
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "http_error"
    with TestClient(app) as started:
        assert started.get("/health").json()["status"] == "ok"
    schema = create_app(Settings(database_url=str(demo_store.engine.url), demo=False),
                        store=demo_store).openapi()
    assert {"/locate", "/health", "/incidents"} <= schema["paths"].keys()


def test_a_method_only_a_later_router_serves_waits_instead_of_answering_405(demo_store,
                                                                            monkeypatch):
    """``/locate`` is loaded at start; a method on that path that only a later router serves
    must wait for the other routes, not be refused by the loaded route with 405."""
    import api.app as app_module
    from fastapi import APIRouter

    later = APIRouter()

    @later.delete("/locate")
    def forget() -> dict:
        return {"forgotten": True}

    routers = app_module._other_routers
    monkeypatch.setattr(app_module, "_other_routers", lambda: [*routers(), later])
    app = create_app(Settings(database_url=str(demo_store.engine.url), demo=False),
                     store=demo_store)
    client = TestClient(app)          # no lifespan: only the deferred loading can add routes
    assert not app.state.deferred.loaded
    r = client.delete("/locate")
    assert r.status_code == 200 and r.json() == {"forgotten": True}
    assert app.state.deferred.loaded
    refused = client.put("/locate")   # a method no router serves is still refused
    assert refused.status_code == 405 and refused.json()["error"]["code"] == "http_error"


def test_a_store_that_cannot_open_is_named_to_every_request_that_needs_it(stored_db):
    """While the store opens in the background, requests that need it wait; if it cannot
    be opened, they get a 503 naming the cause, in Chinese and English."""
    from api.state import AppState
    from geogrid.errors import StoreUnavailableError
    from geogrid.store.quick import PlanRows

    db, expected = stored_db
    url = f"sqlite:///{db}"
    state = AppState(None, Settings(database_url=url, demo=False), plan_rows=PlanRows.open(url))
    locator = state.locator(state.active_plan_id())             # no store needed for this
    assert locator.locate_one(*INSIDE)["leaf"] == expected[INSIDE]["leaf"]

    def broken():
        raise OSError("磁盘不可读 / disk unreadable")

    state.opening(broken)
    with pytest.raises(StoreUnavailableError) as err:
        state.store
    assert "数据库未能打开" in err.value.message and "could not be opened" in err.value.message
    assert "disk unreadable" in err.value.message
