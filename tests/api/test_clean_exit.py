"""An app used once and dropped leaves no thread behind, and its process exits cleanly.

The lifespan starts background work (opening the store, loading the other routers, the
locator's tree for snapping). A script that made one request and exited left that work
running as daemon threads; one stopped by the interpreter's exit inside a C extension
(GEOS, GDAL) aborts the process with "terminate called without an active exception" or a
segmentation fault, timing-dependent. At shutdown the lifespan now skips what has not
begun and waits for what has, so no such thread outlives the app.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from geogrid.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
INSIDE = {"lon": 121.512, "lat": 31.237, "datum": "wgs84"}   # in 崂山住区


def _background() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("geogrid-") and t.is_alive()}


@pytest.fixture
def db(demo_db_path, tmp_path) -> Path:
    path = tmp_path / "exit.sqlite"
    shutil.copy(demo_db_path, path)
    return path


@pytest.mark.parametrize("request_first", [True, False])
def test_no_background_thread_outlives_the_app(db, request_first):
    before = _background()
    app = create_app(Settings(database_url=f"sqlite:///{db}"))
    with TestClient(app, base_url="http://localhost") as client:
        if request_first:
            r = client.get("/locate", params=INSIDE)
            assert r.status_code == 200 and r.json()["chain"]["microgrid"]["id"]
    assert _background() - before == set()


def test_a_script_that_uses_the_app_once_exits_cleanly(db):
    script = textwrap.dedent("""
        import sys, threading
        from fastapi.testclient import TestClient
        from api.app import create_app
        from geogrid.settings import Settings
        app = create_app(Settings(database_url="sqlite:///" + sys.argv[1]))
        with TestClient(app, base_url="http://localhost") as c:
            print(c.get("/locate", params={"lon": 121.512, "lat": 31.237,
                                           "datum": "wgs84"}).status_code)
        print(sorted(t.name for t in threading.enumerate() if t.name.startswith("geogrid-")))
    """)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _ in range(3):
        proc = subprocess.run([sys.executable, "-c", script, str(db)], capture_output=True,
                              text=True, env=env, cwd=ROOT, timeout=180)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert proc.stdout.split() == ["200", "[]"], proc.stdout
        assert "terminate called" not in proc.stderr and "Traceback" not in proc.stderr
