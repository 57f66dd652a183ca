"""A real server (uvicorn, subprocess) on the demo store, and a real headless Chromium.

The live store is the demo street plus, while the demo ships no microgrids,
a stand-in microgrid layer with the reference counts (84 per residential grid,
5 per business grid: 252 + 15), object memberships (so the workload
choropleth is offered), one team's public contact and two responders with
positions (one with a personal phone that must never reach a public page).
Incidents are created through the API by the ``live_incidents`` fixture.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import geopandas as gpd
import httpx
import numpy as np
import pandas as pd
import pytest
import shapely

from tests.support.server import serve_store

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
DISPATCHER = ("disp1", "correct horse battery")
PLANNER = ("plan1", "staple battery horse")
RESPONDER_PHONE = "13912345678"
TEAM_CONTACT = {"role": "网格长", "office_phone": "021-58880001", "hours": "9:00-17:00"}
#: tile hosts of the basemaps in maps/basemaps.py (answered locally, never fetched)
TILE_HOSTS = ("tile.openstreetmap.org", "autonavi.com", "tianditu.gov.cn")


def stand_in_microgrids(areas: gpd.GeoDataFrame, *, seed: int = 7) -> gpd.GeoDataFrame:
    """Voronoi cells of random seeds clipped to each grid: they tile the grid exactly."""
    rng = np.random.default_rng(seed)
    rows = []
    for grid in areas[areas["level"] == "grid"].sort_values("code").itertuples():
        n = 84 if grid.kind == "residential" else 5
        minx, miny, maxx, maxy = grid.geometry.bounds
        pts: list = []
        while len(pts) < n:
            cand = shapely.points(rng.uniform(minx, maxx, n * 4), rng.uniform(miny, maxy, n * 4))
            pts.extend(cand[shapely.contains(grid.geometry, cand)][: n - len(pts)])
        cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts),
                                                           extend_to=grid.geometry))
        pieces = []
        for cell in cells:
            part = shapely.intersection(cell, grid.geometry)
            polys = [p for p in shapely.get_parts(part) if p.geom_type == "Polygon" and p.area > 0]
            if polys:
                pieces.append(shapely.MultiPolygon(polys))
        pieces.sort(key=lambda g: (-round(g.centroid.y, 3), g.centroid.x))  # north→south, west→east
        for i, geom in enumerate(pieces, start=1):
            rows.append({"id": f"mg-{grid.code}{i:03d}", "level": "microgrid", "kind": grid.kind,
                         "name": f"{grid.name}第{i}微网格", "code": f"{grid.code}{i:03d}",
                         "parent_id": grid.id, "geometry": geom})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=areas.crs)


@pytest.fixture(scope="session")
def stand_in():
    """The stand-in microgrid builder, for tests that build maps in process."""
    return stand_in_microgrids


def seed_live_store(path: Path) -> str:
    """Add the stand-ins, a dispatcher, a planner and an API token to the store at ``path``;
    return the token (the dispatcher's)."""
    from geogrid.store import Store
    from geogrid.store.responders import add_responder, ensure_team
    from geogrid.store.users import create_user, issue_token

    store = Store.open(f"sqlite:///{path}", migrate=False)
    try:
        plan_id = int(store.active_plan()["id"])
        areas = store.areas(plan_id)
        if not (areas["level"] == "microgrid").any():
            mgs = stand_in_microgrids(areas)
            objects = store.objects()
            pts = gpd.GeoDataFrame(objects[["id"]], crs=objects.crs,
                                   geometry=objects.geometry.representative_point())
            hit = gpd.sjoin(pts, mgs[["id", "geometry"]], predicate="within", how="inner")
            member = pd.Series(hit["id_right"].values, index=hit["id_left"].values)
            with store.write() as conn:
                store.add_areas(conn, plan_id, mgs, actor="test")
                store.set_memberships(conn, plan_id, member[~member.index.duplicated()])
        first_mg = store.areas(plan_id, level="microgrid")["code"].iloc[0]
        with store.write() as conn:
            ensure_team(conn, first_mg, "第一微网格团队", public_contact=TEAM_CONTACT)
        create_user(store, DISPATCHER[0], "dispatcher", password=DISPATCHER[1])
        create_user(store, PLANNER[0], "planner", password=PLANNER[1])
        add_responder(store, name="测试网格员甲", role="专职网格员", actor="test",
                      phone=RESPONDER_PHONE, lon=121.5100, lat=31.2360, datum="cgcs2000")
        add_responder(store, name="测试网格员乙", role="兼职网格员", actor="test",
                      lon=121.4990, lat=31.2330, datum="cgcs2000")
        return issue_token(store, DISPATCHER[0])
    finally:
        store.dispose()


@pytest.fixture
def shots(artifacts, request) -> Path:
    """The folder of the test module's screenshots: ``artifacts/<SHOTS>``, its ``SHOTS``."""
    out = artifacts / request.module.SHOTS
    out.mkdir(exist_ok=True)
    return out


@pytest.fixture(scope="session")
def live_store(demo_db_path, tmp_path_factory):
    db = tmp_path_factory.mktemp("live") / "live.sqlite"
    shutil.copy(demo_db_path, db)
    token = seed_live_store(db)
    return db, token


@pytest.fixture(scope="session")
def live_server(live_store):
    with serve_store(live_store[0]) as url:
        yield url


@pytest.fixture(scope="session")
def live_login() -> tuple[str, str]:
    """Username and password of the live store's dispatcher."""
    return DISPATCHER


@pytest.fixture(scope="session")
def live_planner() -> tuple[str, str]:
    """Username and password of the live store's planner (no scope: the whole street)."""
    return PLANNER


@pytest.fixture(scope="session")
def live_api(live_server, live_store):
    """An httpx client on the live server, signed in as the dispatcher (API token)."""
    with httpx.Client(base_url=live_server, timeout=30,
                      headers={"Authorization": f"Bearer {live_store[1]}"}) as c:
        yield c


#: reports sent by ``live_incidents``: three in one spot (a count the embed may show),
#: one elsewhere, one long overdue
REPORTS = [
    {"category": "积水", "lon": 121.5120, "lat": 31.2370,
     "description": "<img src=x onerror=alert(1)>楼道积水"},
    {"category": "暴露垃圾", "lon": 121.5122, "lat": 31.2372, "description": "垃圾未清运"},
    {"category": "噪声", "lon": 121.5118, "lat": 31.2368, "description": "夜间施工噪声"},
    {"category": "违法搭建", "lon": 121.5010, "lat": 31.2300, "description": "屋顶搭建"},
    {"category": "井盖", "lon": 121.5185, "lat": 31.2330, "description": "井盖缺失", "days_ago": 12},
]


@pytest.fixture(scope="session")
def live_incidents(live_api):
    """Incidents created through the API, with reporters (personal data) and descriptions."""
    out = []
    for i, rep in enumerate(REPORTS):
        body = {k: v for k, v in rep.items() if k != "days_ago"} | {
            "datum": "wgs84", "channel": "12345",
            "reporter": {"name": f"居民张{i}", "phone": f"1380000{i:04d}"}}
        if "days_ago" in rep:
            body["reported_at"] = (datetime.now(UTC) - timedelta(days=rep["days_ago"])).isoformat()
        r = live_api.post("/incidents", json=body)
        assert r.status_code == 201, r.text
        out.append(r.json())
    return out


def sign_in_console(page, live_server: str, login: tuple[str, str]):
    """Open the console signed out, sign in through its form, wait for the list."""
    page.goto(live_server + "/console", wait_until="networkidle")
    page.wait_for_function("document.documentElement.dataset.ready === '1'")
    assert page.locator("#gg-signin").is_visible() and page.locator(".gg-inc").count() == 0
    page.fill("#gg-username", login[0])
    page.fill("#gg-password", login[1])
    page.click("#gg-signin button[type=submit]")
    page.wait_for_selector(".gg-inc")
    return page


def sign_in_editor(page, live_server: str, login: tuple[str, str], query: str = ""):
    """Open the planners' editor (``query``: e.g. ``?lang=en``) and sign in through its form."""
    page.goto(live_server + "/editor" + query, wait_until="networkidle")
    page.fill("#gg-username", login[0])
    page.fill("#gg-password", login[1])
    page.click("#gg-signin button[type=submit]")
    return page


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


def _is_tile(request) -> bool:
    url = request.url
    return request.resource_type == "image" and (
        "tile" in url or "{z}" in url or url.endswith(".png") or any(h in url for h in TILE_HOSTS))


def offline_page(browser, live_server: str, *, bypass_csp: bool):
    """A fresh page and its context: tile requests answered locally (no internet here),
    anything else leaving the machine recorded and refused, console errors collected."""
    context = browser.new_context(viewport={"width": 1280, "height": 860}, bypass_csp=bypass_csp)
    pg = context.new_page()
    pg.external_requests = []
    pg.console_errors = []
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
    return context, pg


@pytest.fixture
def page(browser, live_server):
    """An offline page for the page tests. Playwright's polling waits evaluate strings, which
    the pages' CSP forbids, so the CSP is bypassed here and exercised by
    tests/maps/test_csp_browser.py."""
    context, pg = offline_page(browser, live_server, bypass_csp=True)
    yield pg
    context.close()
