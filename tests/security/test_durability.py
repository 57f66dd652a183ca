"""Acknowledged writes survive SIGKILL of the server and of the database itself, and a
request committed-then-killed-before-reply is settled by the client's retry.

PostgreSQL runs here WITH fsync (the shared test cluster runs without it); SpatiaLite
runs with its production setting, ``synchronous=FULL``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from benchmarks._server import ApiServer
from geogrid.store import Store
from geogrid.store.demo import load_demo
from geogrid.store.engine import durability
try:  # the throwaway cluster lives with the tests' support code, or in the store package
    from tests.support.pgcluster import PgCluster
except ImportError:
    from geogrid.store.pgcluster import PgCluster
from geogrid.store.users import create_user, issue_token
from tests.support.net import free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
REPORT = {"category": "积水", "lon": 121.5120, "lat": 31.2370, "datum": "cgcs2000",
          "description": "持久化测试"}


class DurablePgCluster(PgCluster):
    """The throwaway cluster with PostgreSQL's durable defaults (fsync, full page writes)."""

    def _options(self) -> str:
        return (super()._options().replace("-c fsync=off", "-c fsync=on")
                .replace("-c full_page_writes=off", "-c full_page_writes=on"))

    def sigkill_postmaster(self) -> None:
        """SIGKILL the postmaster and then its children: the database dies mid-flight."""
        pid = int((self.root / "data" / "postmaster.pid").read_text().split()[0])
        children = [int(p) for p in os.listdir("/proc") if p.isdigit() and _ppid(int(p)) == pid]
        os.kill(pid, signal.SIGKILL)
        for child in children:
            try:
                os.kill(child, signal.SIGKILL)
            except ProcessLookupError:
                pass
        # wait until the processes are reaped: PostgreSQL refuses to start while the old
        # postmaster's PID still exists, even as a zombie
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists()
                                                   for p in [pid, *children]):
            time.sleep(0.1)


def _ppid(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


@pytest.fixture(scope="module")
def durable_pg():
    with DurablePgCluster(dbname="durable") as pg:
        yield pg


def _prepare(url: str) -> str:
    store = Store.open(url)
    try:
        load_demo(store, partition=False)
        create_user(store, "intake", "dispatcher")
        return issue_token(store, "intake")
    finally:
        store.dispose()


def _count(url: str) -> int:
    store = Store.open(url, migrate=False)
    try:
        with store.read() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM incidents")).scalar()
    finally:
        store.dispose()


def _post(base: str, token: str, key: str) -> httpx.Response:
    return httpx.post(base + "/incidents", json=REPORT, timeout=30,
                      headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key})


def _acknowledge(base: str, token: str, n: int) -> dict[str, str]:
    acked = {}
    for _ in range(n):
        key = uuid.uuid4().hex
        r = _post(base, token, key)
        assert r.status_code == 201, r.text
        acked[key] = r.json()["uid"]
    return acked


def _replays_match(base: str, token: str, acked: dict[str, str]) -> None:
    for key, uid in acked.items():
        r = _post(base, token, key)
        assert r.status_code == 200 and r.headers["Idempotent-Replay"] == "true"
        assert r.json()["uid"] == uid


def test_durable_settings_are_in_force(durable_pg, tmp_path):
    sqlite = Store.open(f"sqlite:///{tmp_path / 'd.sqlite'}")
    pg = Store.open(durable_pg.url)
    try:
        with sqlite.read() as conn:
            assert durability(conn)["synchronous"] == "full"
        with pg.read() as conn:
            assert durability(conn) == {"fsync": "on", "synchronous_commit": "on",
                                        "full_page_writes": "on"}
    finally:
        sqlite.dispose()
        pg.dispose()


def test_acknowledged_writes_survive_sigkill_of_postgres_and_of_the_server(durable_pg, tmp_path):
    url = durable_pg.url
    token = _prepare(url)
    env = {"GEOGRID_DATA_DIR": str(tmp_path)}
    server = ApiServer(url, env=env).start()
    try:
        acked = _acknowledge(server.url, token, 20)
        durable_pg.sigkill_postmaster()                 # the database dies
        r = _post(server.url, token, uuid.uuid4().hex)
        assert r.status_code == 503 and r.json()["error"]["code"] == "store_unavailable"
        durable_pg.restart()                            # crash recovery from the WAL
        acked |= _acknowledge(server.url, token, 5)
        server.kill()                                   # then the server dies
        server = ApiServer(url, port=server.port, env=env).start()
        _replays_match(server.url, token, acked)
    finally:
        server.stop()
    assert _count(url) == len(acked)


def _crashing_server(url: str, port: int, data_dir: Path) -> subprocess.Popen:
    env = dict(os.environ, GEOGRID_DATABASE_URL=url, GEOGRID_DATA_DIR=str(data_dir))
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "tests.security._crash_app:create_app",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env, cwd=ROOT, start_new_session=True)


def _wait_up(base: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the crashing server did not start"
        try:
            if httpx.get(base + "/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("the crashing server did not start")


@pytest.mark.parametrize("kind", ["spatialite", "postgis"])
def test_committed_then_killed_before_reply_is_settled_by_the_retry(kind, durable_pg, tmp_path):
    if kind == "spatialite":
        url = f"sqlite:///{tmp_path / 'crash.sqlite'}"
    else:
        url = durable_pg.url.rsplit("/", 1)[0] + "/crash"
        with durable_pg_admin(durable_pg) as conn:
            conn.execute('CREATE DATABASE "crash"')
            with durable_pg_admin(durable_pg, "crash") as db:
                db.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    token = _prepare(url)
    before = _count(url)
    port = free_port()
    proc = _crashing_server(url, port, tmp_path)
    key = uuid.uuid4().hex
    try:
        _wait_up(f"http://127.0.0.1:{port}", proc)
        with pytest.raises(httpx.TransportError):      # the client never hears back
            _post(f"http://127.0.0.1:{port}", token, key)
        assert proc.wait(10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert _count(url) == before + 1                   # yet the row was committed
    with ApiServer(url, port=port, env={"GEOGRID_DATA_DIR": str(tmp_path)}) as server:          # the client retries, same key
        first = _post(server.url, token, key)
        again = _post(server.url, token, key)
    assert first.status_code == 200 and first.headers["Idempotent-Replay"] == "true"
    assert again.json()["uid"] == first.json()["uid"]
    assert _count(url) == before + 1                   # exactly one row


def durable_pg_admin(pg: PgCluster, dbname: str = "postgres"):
    import psycopg

    return psycopg.connect(host="127.0.0.1", port=pg.port, user="postgres", dbname=dbname,
                           autocommit=True)
