"""The planner editor in headless Chromium, against the live demo street and the planning API.

Each test signs in through the page's form and works on its own draft, so tests do not
depend on one another. The objects the tests move are found through the API first, on a
scratch draft that is deleted again: the demo's partition decides which moves keep every
microgrid in one piece, and the test must not guess.
"""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.testclient import TestClient

from api import create_app
from tests.maps.conftest import sign_in_editor
from geogrid.settings import Settings

pytestmark = pytest.mark.browser

#: Chromium logs every refused fetch; these are the refusals the tests provoke on purpose
EXPECTED_STATUS = re.compile(r"status of (409|422)")


@pytest.fixture(scope="module")
def planner_api(live_server, live_planner):
    """An httpx client on the live server, signed in as the planner (JWT)."""
    tok = httpx.post(f"{live_server}/auth/token", timeout=30,
                     data={"username": live_planner[0], "password": live_planner[1]}).json()
    with httpx.Client(base_url=live_server, timeout=30,
                      headers={"Authorization": f"Bearer {tok['access_token']}"}) as c:
        yield c


def version(api, plan_id: int) -> int:
    return api.get(f"/plans/{plan_id}").json()["version"]


def membership(api, plan_id: int) -> dict[str, str | None]:
    fc = api.get(f"/plans/{plan_id}/objects").json()
    return {f["id"]: f["properties"]["microgrid"] for f in fc["features"]}


def neighbours(api, plan_id: int) -> dict[str, set[str]]:
    """Microgrids of the same grid that share an edge (as the page computes them)."""
    import shapely

    fc = api.get(f"/plans/{plan_id}/areas", params={"level": "microgrid"}).json()["features"]
    geom = {f["id"]: shapely.geometry.shape(f["geometry"]) for f in fc}
    parent = {f["id"]: f["properties"]["parent_id"] for f in fc}
    return {a: {b for b in geom if b != a and parent[b] == parent[a]
                and geom[a].intersection(geom[b]).length > 1e-7} for a in geom}


def undo(api, plan_id: int) -> None:
    r = api.post(f"/plans/{plan_id}/undo", json={"version": version(api, plan_id)})
    assert r.status_code == 200, r.text


@pytest.fixture(scope="module")
def moves(planner_api) -> dict[str, tuple]:
    """Moves that the partition accepts, found on a scratch draft (deleted afterwards):
    ``alone`` moves one building to a neighbour by itself, ``mates`` needs its cellmates."""
    active = planner_api.get("/plans/active").json()["id"]
    plan_id = planner_api.post(f"/plans/{active}/copy", json={"name": "scratch"}).json()["id"]
    kinds = {f["id"]: f["properties"]["type"] for f in planner_api.get(
        f"/plans/{plan_id}/objects").json()["features"]}
    member = membership(planner_api, plan_id)
    near = neighbours(planner_api, plan_id)
    found: dict[str, tuple] = {}
    try:
        for oid, mg in sorted(member.items()):
            if not mg or kinds[oid] != "building" or len(found) == 2:
                continue
            for to in sorted(near[mg]):
                body = {"op": "move_objects", "objects": [oid], "to": to,
                        "version": version(planner_api, plan_id)}
                r = planner_api.post(f"/plans/{plan_id}/edits", json=body)
                if r.status_code == 200:
                    found.setdefault("alone", (oid, mg, to))
                    undo(planner_api, plan_id)
                    break
                err = r.json()["error"]
                if err.get("field") == "object_ids" and "mates" not in found:
                    r = planner_api.post(f"/plans/{plan_id}/edits", json={**body, "with_cellmates": True,
                                                                          "version": version(planner_api, plan_id)})
                    if r.status_code == 200:
                        found["mates"] = (oid, mg, to, err["value"])
                        undo(planner_api, plan_id)
                        break
                if err.get("field") == "object_ids":
                    break
    finally:
        gone = planner_api.delete(f"/plans/{plan_id}",
                                  params={"version": version(planner_api, plan_id)})
        assert gone.status_code == 204, gone.text
    assert set(found) == {"alone", "mates"}, found
    return found


@pytest.fixture
def editor(page, live_server, live_planner):
    """The editor, signed in as the planner through its form."""
    page.goto(live_server + "/editor", wait_until="networkidle")
    page.wait_for_function("document.documentElement.dataset.ready === '1'")
    assert page.locator("#gg-signin").is_visible() and page.locator("#gg-workspace").is_hidden()
    page.fill("#gg-username", live_planner[0])
    page.fill("#gg-password", live_planner[1])
    page.click("#gg-signin button[type=submit]")
    page.wait_for_selector("#gg-plans:not([hidden]) #gg-view-active")
    return page


def new_draft(page, name: str) -> int:
    """Create a draft through the page and wait until it is drawn; return its id."""
    page.fill("#gg-draft-name", name)
    page.click("#gg-create-draft")
    page.wait_for_selector('#gg-workspace:not([hidden])[data-status="draft"]')
    page.wait_for_selector("path.gg-obj")
    return int(page.get_attribute("#gg-workspace", "data-plan"))


def wait_version(page, v: int) -> None:
    page.wait_for_selector(f'#gg-workspace[data-version="{v}"]')
    page.wait_for_function("document.documentElement.dataset.busy !== '1'")


def click_object(page, oid: str) -> None:
    """Zoom to the object (as a planner would) and click its footprint."""
    page.evaluate("""oid => {
        const f = window.geogrid.editor.objById.get(oid);
        const layer = L.geoJSON(f);
        window.geogrid.map.fitBounds(layer.getBounds(), {maxZoom: 19, animate: false});
    }""", oid)
    page.locator(f'path.gg-obj[data-id="{oid}"]').click()
    page.wait_for_selector(f'#gg-selection[data-kind="object"][data-id="{oid}"]')


def stats_rows(page) -> dict[str, dict[str, str]]:
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('#gg-stats tbody tr')]
        .map(tr => [tr.dataset.id, Object.fromEntries([...tr.cells].map(c => [c.dataset.field, c.textContent]))]))""")


def api_stats(api, plan_id: int) -> dict[str, dict]:
    return {m["id"]: m for m in api.get(f"/plans/{plan_id}/stats").json()["microgrids"]}


def assert_only_expected_errors(page) -> None:
    assert all(EXPECTED_STATUS.search(e) for e in page.console_errors), page.console_errors
    assert page.external_requests == []


def test_editor_is_offline_and_signs_in_as_a_planner(editor, live_planner, planner_api, artifacts):
    page = editor
    n_microgrids = len(planner_api.get("/plans/active/areas", params={"level": "microgrid"})
                       .json()["features"])
    stored = page.evaluate("JSON.parse(sessionStorage.getItem('geogrid.session'))")
    assert stored["role"] == "planner" and stored["token"].count(".") == 2
    assert page.evaluate("localStorage.length") == 0
    assert page.locator("#gg-user").inner_text() == live_planner[0]
    assert "陆家嘴" in page.locator("#gg-active-plan").inner_text()
    # the active plan's grids are drawn while the planner picks a plan
    assert page.locator("path.gg-mg").count() == n_microgrids > 0
    assert "OpenStreetMap" in page.locator(".leaflet-control-attribution").inner_text()
    assert page.locator(".gg-attr").is_visible()
    page.screenshot(path=str(artifacts / "editor-plans.png"))
    assert page.console_errors == [] and page.external_requests == []
    # the active plan opens read-only
    page.click("#gg-view-active")
    page.wait_for_selector('#gg-workspace[data-status="active"]')
    page.wait_for_selector("path.gg-obj")
    assert page.locator("#gg-readonly").is_visible()
    assert page.locator("#gg-undo").is_hidden() and page.locator("#gg-activate").is_hidden()
    assert page.console_errors == [] and page.external_requests == []


def test_reassign_an_object_round_trips_and_updates_the_stats(editor, planner_api, moves, artifacts):
    page = editor
    oid, source, target = moves["alone"]
    plan_id = new_draft(page, "调整草稿")
    v0 = int(page.get_attribute("#gg-workspace", "data-version"))
    click_object(page, oid)
    assert source.removeprefix("mg-") in page.locator('#gg-selection dd[data-field="microgrid"]').inner_text()
    # the targets offered are the source's neighbours in its grid
    offered = page.locator("#gg-target option").evaluate_all("os => os.map(o => o.value).filter(Boolean)")
    assert target in offered and source not in offered
    before = stats_rows(page)
    assert before[source]["objects"] == str(api_stats(planner_api, plan_id)[source]["objects"])
    page.select_option("#gg-target", target)
    assert page.locator(f'path.gg-mg.gg-target[data-id="{target}"]').count() == 1
    page.click("#gg-move")
    wait_version(page, v0 + 1)
    assert "已调整 1 个对象" in page.locator("#gg-message").inner_text()
    # stored: the object's membership changed, in the draft only
    assert membership(planner_api, plan_id)[oid] == target
    assert membership(planner_api, planner_api.get("/plans/active").json()["id"])[oid] == source
    # the stats panel shows what the API says now
    after = stats_rows(page)
    truth = api_stats(planner_api, plan_id)
    for mg in (source, target):
        assert after[mg]["objects"] == str(truth[mg]["objects"])
        assert after[mg]["households"] == str(round(truth[mg]["households"]))
        assert after[mg]["building_groups"] == str(truth[mg]["building_groups"])
    assert int(after[source]["objects"]) == int(before[source]["objects"]) - 1
    assert int(after[target]["objects"]) == int(before[target]["objects"]) + 1
    # the object is drawn in its new microgrid
    assert page.get_attribute(f'path.gg-obj[data-id="{oid}"]', "data-microgrid") == target
    page.screenshot(path=str(artifacts / "editor-moved.png"))
    # compared with the active plan, the object is highlighted and listed
    page.check("#gg-compare")
    page.wait_for_selector(f'#gg-diff li[data-object="{oid}"]')
    assert page.locator("path.gg-obj.gg-moved").count() == 1
    assert page.locator(f'path.gg-obj.gg-moved[data-id="{oid}"]').count() == 1
    page.screenshot(path=str(artifacts / "editor-diff.png"))
    assert page.console_errors == [] and page.external_requests == []


def test_cellmates_are_offered_to_move_together(editor, planner_api, moves, artifacts):
    page = editor
    oid, _source, target, mates = moves["mates"]
    plan_id = new_draft(page, "同单元草稿")
    v0 = int(page.get_attribute("#gg-workspace", "data-version"))
    click_object(page, oid)
    # the target is picked on the map this time
    page.locator(f'path.gg-mg[data-id="{target}"]').dispatch_event("click")
    assert page.input_value("#gg-target") == target
    page.click("#gg-move")
    page.wait_for_selector("#gg-cellmates")
    page.screenshot(path=str(artifacts / "editor-cellmates.png"))
    listed = page.locator("#gg-cellmates li").evaluate_all("ls => ls.map(l => l.dataset.id)")
    assert set(listed) == set(mates)
    drawn = page.locator("path.gg-mate").evaluate_all("ps => ps.map(p => p.dataset.id)")
    assert set(drawn) == set(mates)   # and outlined on the map
    assert version(planner_api, plan_id) == v0  # the refused move changed nothing
    page.click("#gg-move-together")
    wait_version(page, v0 + 1)
    now = membership(planner_api, plan_id)
    assert {now[o] for o in [oid, *mates]} == {target}
    assert page.locator("#gg-cellmates").count() == 0
    assert_only_expected_errors(page)


def test_split_then_undo_restores_the_microgrids_and_lock_hatches(editor, planner_api, artifacts):
    page = editor
    plan_id = new_draft(page, "拆分草稿")
    v0 = int(page.get_attribute("#gg-workspace", "data-version"))
    stats = api_stats(planner_api, plan_id)
    n = len(stats)
    big = max(stats.values(), key=lambda m: m["objects"])
    grid_mgs = sum(m["grid_id"] == big["grid_id"] for m in stats.values())
    page.click(f'#gg-grid-stats tr[data-grid="{big["grid_id"]}"]')
    page.click(f'#gg-stats tr[data-id="{big["id"]}"]')
    page.wait_for_selector(f'#gg-selection[data-kind="microgrid"][data-id="{big["id"]}"]')
    assert page.locator("#gg-stats tbody tr").count() == grid_mgs
    page.click("#gg-split")
    wait_version(page, v0 + 1)
    assert page.locator("#gg-stats tbody tr").count() == grid_mgs + 1
    assert page.locator("path.gg-mg").count() == n + 1
    assert len(api_stats(planner_api, plan_id)) == n + 1
    page.screenshot(path=str(artifacts / "editor-split.png"))
    page.click("#gg-undo")
    wait_version(page, v0 + 2)
    assert page.locator("#gg-stats tbody tr").count() == grid_mgs
    assert page.locator("path.gg-mg").count() == n and len(api_stats(planner_api, plan_id)) == n
    assert page.locator("#gg-redo").is_enabled() and page.locator("#gg-undo").is_disabled()
    # lock: drawn hatched and greyed, split refused in the panel
    page.click(f'#gg-stats tr[data-id="{big["id"]}"]')
    page.click("#gg-lock")
    wait_version(page, v0 + 3)
    path = page.locator(f'path.gg-mg[data-id="{big["id"]}"]')
    assert "gg-locked" in path.get_attribute("class") and path.get_attribute("fill") == "url(#gg-hatch)"
    assert page.locator("#gg-split").is_disabled()
    assert page.get_attribute(f'#gg-stats tr[data-id="{big["id"]}"]', "data-locked") == "1"
    page.screenshot(path=str(artifacts / "editor-locked.png"))
    page.click("#gg-lock")   # unlock
    wait_version(page, v0 + 4)
    assert "gg-locked" not in page.get_attribute(f'path.gg-mg[data-id="{big["id"]}"]', "class")
    assert page.console_errors == [] and page.external_requests == []


def test_a_stale_version_shows_the_conflict_and_reloads(editor, planner_api, artifacts):
    page = editor
    plan_id = new_draft(page, "冲突草稿")
    v0 = int(page.get_attribute("#gg-workspace", "data-version"))
    stats = api_stats(planner_api, plan_id)
    n = len(stats)
    mg = max(stats.values(), key=lambda m: m["objects"])["id"]
    page.click(f'#gg-grid-stats tr[data-grid="{stats[mg]["grid_id"]}"]')
    page.click(f'#gg-stats tr[data-id="{mg}"]')
    # someone else locks and unlocks a microgrid meanwhile
    other = next(m for m in stats if m != mg)
    for op in ("lock", "unlock"):
        r = planner_api.post(f"/plans/{plan_id}/edits",
                             json={"op": op, "microgrid": other, "version": version(planner_api, plan_id)})
        assert r.status_code == 200
    page.click("#gg-split")
    page.wait_for_selector("#gg-error.gg-conflict")
    assert "已被他人修改" in page.locator("#gg-error").inner_text()
    wait_version(page, v0 + 2)           # reloaded: the page now edits the latest version
    assert len(api_stats(planner_api, plan_id)) == n   # the stale split changed nothing
    page.screenshot(path=str(artifacts / "editor-conflict.png"))
    page.click("#gg-split")               # redone on the latest version, it goes through
    wait_version(page, v0 + 3)
    assert len(api_stats(planner_api, plan_id)) == n + 1
    assert page.locator("#gg-error").inner_text() == ""
    assert_only_expected_errors(page)


def test_validate_marks_problems_and_activate_asks_first(editor, planner_api, artifacts):
    page = editor
    plan_id = new_draft(page, "校验草稿 <img src=x onerror=alert(1)>")
    report = planner_api.get(f"/plans/{plan_id}/validate").json()
    issues = [i for g in report["grids"] for i in g["issues"]]
    page.click("#gg-validate")
    page.wait_for_selector("#gg-problems-panel:not([hidden])")
    assert page.locator("#gg-problems li").count() == len(issues)
    assert page.locator("path.gg-problem").count() == sum("location" in i for i in issues)
    page.screenshot(path=str(artifacts / "editor-validate.png"))
    # the draft's name is text, never markup
    assert "<img src=x onerror=alert(1)>" in page.locator("#gg-plan-name").inner_text()
    assert page.locator("#gg-side img").count() == 0
    # activation asks first; cancelling leaves the draft a draft
    page.click("#gg-activate")
    text = page.locator("#gg-activate-text").inner_text()
    assert "校验草稿" in text and str(version(planner_api, plan_id)) in text
    page.click("#gg-activate-no")
    assert page.locator("#gg-activate-confirm").is_hidden()
    assert planner_api.get(f"/plans/{plan_id}").json()["status"] == "draft"
    # a reload of the tab reopens the draft
    page.reload(wait_until="networkidle")
    page.wait_for_selector(f'#gg-workspace:not([hidden])[data-plan="{plan_id}"]')
    assert page.console_errors == [] and page.external_requests == []


def test_english_and_drafts_listed(page, live_server, live_planner, planner_api):
    active = planner_api.get("/plans/active").json()["id"]
    draft = planner_api.post(f"/plans/{active}/copy", json={"name": "listed draft"}).json()
    sign_in_editor(page, live_server, live_planner, "?lang=en")
    item = page.locator(f'#gg-drafts li[data-plan="{draft["id"]}"]')
    item.wait_for()
    assert "listed draft" in item.inner_text() and "Continue" in item.inner_text()
    item.locator("button").click()
    page.wait_for_selector(f'#gg-workspace[data-plan="{draft["id"]}"]')
    assert page.locator("#gg-undo").inner_text() == "Undo"
    assert "Statistics" in page.locator("#gg-stats-panel").inner_text()
    assert page.console_errors == [] and page.external_requests == []


def test_editor_page_over_http_is_offline(demo_store):
    app = create_app(Settings(database_url=str(demo_store.engine.url)), store=demo_store)
    with TestClient(app) as client:
        r = client.get("/editor")
        assert r.status_code == 200 and "微网格规划编辑" in r.text and "OpenStreetMap" in r.text
        for src in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', r.text):
            assert src.startswith("/static/"), src
            assert client.get(src).status_code == 200, src
        for name in ("editor", "editor-map", "editor-geo"):
            assert client.get(f"/static/js/{name}.js").status_code == 200
        assert "Microgrid planner" in client.get("/editor?lang=en").text
