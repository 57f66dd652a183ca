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


# the real server and headless Chromium of the page tests
from tests.maps.conftest import (  # noqa: E402,F401
    PLANNER,
    TRANSPARENT_PNG,
    _is_tile,
    browser,
    live_api,
    live_incidents,
    live_login,
    live_server,
    live_store,
)


@pytest.fixture
def csp_page(browser, live_server):
    """A fresh page that enforces the pages' CSP (no bypass); tiles answered locally, anything
    else leaving the machine recorded; console errors collected."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    pg = context.new_page()
    pg.external_requests, pg.console_errors = [], []
    pg.on("console", lambda m: pg.console_errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))

    def route(r):
        url = r.request.url
        if url.startswith(live_server) or url.startswith("data:"):
            return r.continue_()
        if _is_tile(r.request):
            return r.fulfill(status=200, content_type="image/png", body=TRANSPARENT_PNG)
        pg.external_requests.append(url)
        return r.abort()

    pg.route("**/*", route)
    yield pg
    context.close()
