"""A real server (uvicorn, subprocess) on the demo store, and a real headless Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(demo_db_path, tmp_path_factory):
    db = tmp_path_factory.mktemp("live") / "live.sqlite"
    shutil.copy(demo_db_path, db)
    port = _free_port()
    env = dict(os.environ, GEOGRID_DATABASE_URL=f"sqlite:///{db}", GEOGRID_DEMO="0")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        env=env, cwd=Path(__file__).resolve().parents[2])
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("server did not start")
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed; run the tests with `make test`.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


TRANSPARENT_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082")


@pytest.fixture
def page(browser, live_server):
    """A fresh page; tile requests are answered locally (no internet here), anything
    else leaving the machine is recorded so tests can assert the page is offline-clean."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    pg = context.new_page()
    pg.external_requests = []
    pg.console_errors = []
    pg.on("console", lambda m: pg.console_errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))

    def route(r):
        url = r.request.url
        if url.startswith(live_server) or url.startswith("data:"):
            return r.continue_()
        if r.request.resource_type == "image" and ("tile" in url or "{z}" in url or url.endswith(".png")):
            return r.fulfill(status=200, content_type="image/png", body=TRANSPARENT_PNG)
        pg.external_requests.append(url)
        return r.abort()

    pg.route("**/*", route)
    yield pg
    context.close()
