"""``geogrid serve --workers 2``: gunicorn forks the workers from one parent that loaded the app
and opened the active plan's locator.

A real server over a copy of the demo store: each worker (the other one stopped with SIGSTOP,
so that only one can accept) answers ``/locate`` as a locator built from the plan's areas
does; a killed worker is replaced by a fork of the same parent, which answers the same; and
webhook delivery, started by each worker's lifespan after the fork, delivers an incident's
events from the replacement alone.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from api.serving import prefork_available
from benchmarks.webhook_outage import Receiver
from geogrid.services import PlanCache
from geogrid.store import Store
from tests.api.test_fresh_worker import INSIDE
from tests.support.net import free_port

pytestmark = pytest.mark.skipif(not prefork_available(), reason="the serve extra is not installed")

ROOT = Path(__file__).resolve().parents[2]
ADMIN = "ggt_" + "prefork-test-admin-token-0123456789abcdef"


@pytest.fixture
def store_and_answers(demo_db_path, tmp_path):
    """A copy of the demo store (no stored locator yet: the parent builds it) and what a
    locator built here from the active plan's areas answers at one point of each grid."""
    db = tmp_path / "prefork.sqlite"
    shutil.copy(demo_db_path, db)
    store = Store.open(f"sqlite:///{db}", migrate=False)
    try:
        plan_id = int(store.active_plan()["id"])
        built = PlanCache(store).locator(plan_id)
        areas = store.areas(plan_id)
        firsts = areas[areas["level"] == "microgrid"].groupby("parent_id").head(1)
        points = [INSIDE] + [(p.x, p.y) for p in firsts.geometry.representative_point()]
        return db, {p: built.locate_one(*p) for p in points}
    finally:
        store.dispose()


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return sorted(int(v) for v in path.read_text().split()) if path.exists() else []


def _wait(cond, timeout: float = 120.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = cond()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def _answers(url: str, expected: dict) -> None:
    """Every expected point, each on a new connection, answered as the built locator does."""
    for (lon, lat), want in expected.items():
        r = httpx.get(f"{url}/locate", params={"lon": lon, "lat": lat, "datum": "cgcs2000"},
                      headers={"Connection": "close"}, timeout=60)
        assert r.status_code == 200, r.text
        assert r.json()["leaf"] == want["leaf"] and r.json()["chain"] == want["chain"]


def _only(worker: int, others: list[int]):
    """Stop every worker in ``others`` (SIGSTOP) so that ``worker`` alone accepts."""
    class Only:
        def __enter__(self):
            for pid in others:
                os.kill(pid, signal.SIGSTOP)

        def __exit__(self, *exc):
            for pid in others:
                os.kill(pid, signal.SIGCONT)
    return Only()


def test_workers_forked_from_one_loaded_parent_answer_and_are_replaced(store_and_answers):
    db, expected = store_and_answers
    port, hook_port = free_port(), free_port()
    env = dict(os.environ, GEOGRID_DATABASE_URL=f"sqlite:///{db}", GEOGRID_DEMO="0",
               GEOGRID_ADMIN_TOKEN=ADMIN, GEOGRID_WEBHOOK_POLL_S="0.2", PYTHONPATH=str(ROOT))
    master = subprocess.Popen(
        [sys.executable, "-c", "from geogrid.cli import app; app()", "serve", "--workers", "2",
         "--host", "127.0.0.1", "--port", str(port)], env=env, cwd=ROOT,
        start_new_session=True)
    url, admin = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {ADMIN}"}
    gunicorn, receiver = master.pid, None          # the command itself is gunicorn's arbiter
    try:
        workers = _wait(lambda: len(_children(gunicorn)) == 2 and _children(gunicorn))
        # the parent opened and stored the locator before forking; the workers start from it
        assert len(list(Path(f"{db}.locate").glob("plan-*/locator.json"))) == 1
        _wait(lambda: httpx.get(f"{url}/health", timeout=30).status_code == 200)
        for one in workers:
            with _only(one, [w for w in workers if w != one]):
                _answers(url, expected)

        os.kill(workers[0], signal.SIGKILL)
        fresh = _wait(lambda: [w for w in _children(gunicorn) if w not in workers])
        assert len(fresh) == 1 and len(_children(gunicorn)) == 2
        with _only(fresh[0], [workers[1]]):
            _answers(url, expected)
            sub = httpx.post(f"{url}/webhooks", headers=admin, timeout=60,
                             json={"url": f"http://127.0.0.1:{hook_port}/hook"})
            assert sub.status_code == 201, sub.text
            receiver = Receiver(hook_port, sub.json()["secret"])
            receiver.start()
            r = httpx.post(f"{url}/incidents", headers=admin, timeout=60, json={
                "datum": "cgcs2000", "category": "积水", "lon": INSIDE[0], "lat": INSIDE[1]})
            assert r.status_code == 201, r.text
            # only the replacement runs: it delivers the event, signed for this subscriber
            _wait(lambda: receiver.got, timeout=60)
            payload = receiver.got[0][1]
            assert payload["type"] == "incident.created"
            assert payload["data"]["service_request_id"] == r.json()["uid"] and receiver.bad == 0
    finally:
        if receiver is not None:
            receiver.stop()
        os.killpg(master.pid, signal.SIGTERM)
        master.wait(30)


def test_without_the_serve_extra_several_uvicorn_workers_serve_with_a_note(store_and_answers):
    """Without gunicorn's uvicorn worker the command says so (Chinese and English) and
    serves with uvicorn's own workers, which answer as the built locator does."""
    db, expected = store_and_answers
    port = free_port()
    env = dict(os.environ, GEOGRID_DATABASE_URL=f"sqlite:///{db}", GEOGRID_DEMO="0",
               PYTHONPATH=str(ROOT))
    hide = "import sys; sys.modules['uvicorn_worker'] = None; from geogrid.cli import app; app()"
    proc = subprocess.Popen([sys.executable, "-c", hide, "serve", "--workers", "2", "--host",
                             "127.0.0.1", "--port", str(port)], env=env, cwd=ROOT,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        note = proc.stderr.readline()
        assert "未安装 gunicorn" in note
        assert "gunicorn and uvicorn-worker are not installed" in proc.stderr.readline()
        url = f"http://127.0.0.1:{port}"

        def up():
            try:
                return httpx.get(f"{url}/health", timeout=30).status_code == 200
            except httpx.HTTPError:
                return False

        _wait(up)
        _answers(url, expected)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
