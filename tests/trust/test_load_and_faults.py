"""No incident is lost or duplicated under load, retries, a crash mid-write, or a database outage.

Real components only: the API runs in a uvicorn subprocess on loopback, on a real
SpatiaLite file and on the throwaway PostGIS cluster. The runs are short here;
``python -m benchmarks.intake_load --seconds 60 --rate 500`` is the full run.
"""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest

from benchmarks._server import ApiServer
from benchmarks.intake_load import run_load, verify
from geogrid.store import Store
from geogrid.store.users import create_user, issue_token

pytestmark = pytest.mark.slow


@pytest.fixture(params=["spatialite", "postgis"])
def loaded(request, tmp_path, demo_db_path):
    import shutil

    if request.param == "spatialite":
        path = tmp_path / "load.sqlite"
        shutil.copy(demo_db_path, path)
        store = Store.open(f"sqlite:///{path}")
    else:
        from tests.conftest import postgis_demo_store

        store = postgis_demo_store(request.getfixturevalue("pg_cluster"))
    create_user(store, "loader", "dispatcher")
    token = issue_token(store, "loader")
    yield request.param, store, token
    store.dispose()


def _load(**kwargs):
    """Run the async load in its own thread and loop (the browser tests keep one running here)."""
    holder = {}
    t = threading.Thread(target=lambda: holder.setdefault("r", asyncio.run(run_load(**kwargs))))
    t.start()
    t.join(300)
    return holder["r"]


def _check(result, report):
    assert result.replays_mismatch == 0
    assert report["lost"] == 0 and report["duplicated"] == 0 and report["wrong_uid"] == 0
    assert report["stored_unacked"] == 0
    assert report["acked"] == result.sent - result.rejected_4xx
    assert result.replays_ok > 0


def test_concurrent_intake_with_retries(loaded):
    kind, store, token = loaded
    with ApiServer(str(store.engine.url.render_as_string(hide_password=False))) as server:
        result = _load(base_url=server.url, token=token, seconds=4, rate=120, concurrency=32,
                       replay_share=0.15, seed=1)
    report = verify(store, result)
    _check(result, report)
    assert report["acked"] > 300


def test_server_killed_mid_load_loses_nothing(loaded):
    kind, store, token = loaded
    url = str(store.engine.url.render_as_string(hide_password=False))
    server = ApiServer(url).start()
    port = server.port
    holder = {}

    def load():
        holder["result"] = asyncio.run(run_load(server.url, token, seconds=5, rate=80,
                                                concurrency=16, replay_share=0.1, seed=2,
                                                grace_s=60))

    t = threading.Thread(target=load)
    t.start()
    time.sleep(2.0)
    server.kill()                      # SIGKILL: requests in flight die mid-write
    time.sleep(0.5)
    server = ApiServer(url, port=port).start()
    t.join(120)
    server.stop()
    result = holder["result"]
    report = verify(store, result)
    assert result.retries > 0 or result.errors, "the crash should have been felt by clients"
    _check(result, report)


def test_database_outage_answers_503_and_recovers(pg_cluster):
    from tests.conftest import postgis_demo_store

    store = postgis_demo_store(pg_cluster)
    create_user(store, "loader", "dispatcher")
    token = issue_token(store, "loader")
    url = str(store.engine.url.render_as_string(hide_password=False))
    holder = {}
    with ApiServer(url) as server:
        def load():
            holder["result"] = asyncio.run(run_load(server.url, token, seconds=5, rate=60,
                                                    concurrency=16, replay_share=0.1, seed=3))

        t = threading.Thread(target=load)
        t.start()
        time.sleep(1.5)
        pg_cluster.kill()              # the database goes away under load
        time.sleep(0.5)
        r = httpx.post(server.url + "/incidents", headers={"Authorization": f"Bearer {token}"},
                       json={"category": "积水", "lon": 121.51, "lat": 31.237, "datum": "cgcs2000"})
        assert r.status_code == 503 and r.headers["Retry-After"]
        assert r.json()["error"]["code"] == "store_unavailable"
        time.sleep(1.0)
        pg_cluster.restart()
        t.join(120)
    result = holder["result"]
    store.engine.dispose()
    report = verify(store, result)
    assert result.errors.get("503", 0) > 0 or result.retries > 0
    _check(result, report)
    store.dispose()
