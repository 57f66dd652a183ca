"""The planner editor's tools in headless Chromium, driven through the page as a planner
would: brush five buildings and move them as one edit, undo and redo quickly, cut a
microgrid along a drawn line, drag a shared boundary, read the balance chart, and see
only what a dispatcher may see. The buildings to brush are found through the API first
(a dry run on a scratch draft, deleted again): the demo's partition decides which moves
keep every microgrid in one piece, and the test must not guess.
"""

from __future__ import annotations

import pytest
import shapely

from test_editor import (EXPECTED_STATUS, api_stats, editor, membership, new_draft,  # noqa: F401
                         planner_api, version, wait_version)

pytestmark = pytest.mark.browser


#: screenshots of this module go to ``artifacts/editor`` (the ``shots`` fixture)
SHOTS = "editor"


def areas(api, plan_id: int) -> dict[str, dict]:
    fc = api.get(f"/plans/{plan_id}/areas", params={"level": "microgrid"}).json()["features"]
    return {f["id"]: {"geom": shapely.geometry.shape(f["geometry"]), **f["properties"]} for f in fc}


@pytest.fixture(scope="module")
def five(planner_api):
    """Five buildings of one microgrid that may move together to a neighbour, and where."""
    active = planner_api.get("/plans/active").json()["id"]
    plan_id = planner_api.post(f"/plans/{active}/copy", json={"name": "scratch"}).json()["id"]
    try:
        mgs = areas(planner_api, plan_id)
        feats = planner_api.get(f"/plans/{plan_id}/objects").json()["features"]
        buildings: dict[str, list] = {}
        for f in feats:
            p = f["properties"]
            if p["type"] == "building" and p["microgrid"]:
                buildings.setdefault(p["microgrid"], []).append(
                    (f["id"], shapely.geometry.shape(f["geometry"])))
        for a in sorted(mgs, key=lambda m: -len(buildings.get(m, []))):
            for b in sorted(mgs):
                if b == a or mgs[b]["parent_id"] != mgs[a]["parent_id"] \
                        or mgs[a]["geom"].intersection(mgs[b]["geom"]).length < 1e-6:
                    continue
                near = sorted(buildings.get(a, []), key=lambda o: o[1].distance(mgs[b]["geom"]))[:5]
                if len(near) < 5:
                    break
                ids = [o for o, _ in near]
                got = planner_api.post(f"/plans/{plan_id}/move-targets", json={"objects": ids}).json()
                if any(t["microgrid"] == b and t["ok"] for t in got["targets"]):
                    return {"ids": ids, "from": a, "to": b,
                            "points": {o: g.representative_point().coords[0] for o, g in near}}
    finally:
        planner_api.delete(f"/plans/{plan_id}")
    pytest.fail("no five buildings that can move together")


def screen(page, lon: float, lat: float) -> tuple[float, float]:
    """Page coordinates of a storage lon/lat (the default basemap is drawn in WGS84)."""
    return tuple(page.evaluate("""([lon, lat]) => {
        const m = window.geogrid.map, p = m.latLngToContainerPoint([lat, lon]);
        const r = m.getContainer().getBoundingClientRect();
        return [r.left + p.x, r.top + p.y];
    }""", [lon, lat]))


def fit(page, bounds, max_zoom=19) -> None:
    x0, y0, x1, y1 = bounds
    page.evaluate("([b, z]) => window.geogrid.map.fitBounds([[b[1], b[0]], [b[3], b[2]]], "
                  "{maxZoom: z, animate: false, padding: [40, 40]})", [[x0, y0, x1, y1], max_zoom])


def chart(page) -> dict[str, float]:
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
        '#gg-balance-chart rect.gg-bar')].map(r => [r.dataset.id, Number(r.dataset.workload)]))""")


def test_brush_five_buildings_move_as_one_edit_and_undo(editor, planner_api, five, shots):
    page = editor
    assert page.evaluate("JSON.parse(document.getElementById('gg-config').textContent).datum") \
        in ("wgs84", "cgcs2000")
    plan_id = new_draft(page, "刷选草稿")
    v0 = int(page.get_attribute("#gg-workspace", "data-version"))
    before = membership(planner_api, plan_id)
    steps = len(planner_api.get(f"/plans/{plan_id}/history").json())
    grid = api_stats(planner_api, plan_id)[five["from"]]["grid_id"]   # past its 居民区/商务区
    page.click(f'#gg-grid-stats tr[data-grid="{grid}"]')
    page.click("#gg-tool-brush")
    assert "按住鼠标" in page.locator("#gg-tool-hint").inner_text()
    fit(page, shapely.MultiPoint(list(five["points"].values())).bounds)
    for oid in five["ids"]:   # one short stroke on each building
        x, y = screen(page, *five["points"][oid])
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 2, y + 1, steps=3)
        page.mouse.up()
    page.wait_for_selector('#gg-brush-count[data-n="5"]')
    brushed = page.locator("path.gg-obj.gg-brushed").evaluate_all("ps => ps.map(p => p.dataset.id)")
    assert sorted(brushed) == sorted(five["ids"])
    # only the targets the API accepts can be chosen; the others say why, in Chinese
    page.wait_for_selector(f'#gg-brush-target option[value="{five["to"]}"]:not([disabled])', state="attached")
    for text in page.locator("#gg-brush-target option[disabled]").all_inner_texts():
        assert "不可选" in text
    chart_before = chart(page)
    # one bar per microgrid of the grid, whichever 居民区/商务区 holds it
    assert set(chart_before) == {m for m, r in api_stats(planner_api, plan_id).items()
                                 if r["grid_id"] == grid}
    page.screenshot(path=str(shots / "brush-selected.png"))
    page.select_option("#gg-brush-target", five["to"])
    page.click("#gg-brush-move")
    wait_version(page, v0 + 1)
    assert "已调整 5 个对象" in page.locator("#gg-message").inner_text()
    after = membership(planner_api, plan_id)
    assert {after[o] for o in five["ids"]} == {five["to"]}
    assert {o for o in after if after[o] != before[o]} == set(five["ids"])   # one edit, five objects
    assert len(planner_api.get(f"/plans/{plan_id}/history").json()) == steps + 1
    # the balance chart follows the edit, with the workload of the table and the API
    truth = api_stats(planner_api, plan_id)
    bars = chart(page)
    for mg in (five["from"], five["to"]):
        assert bars[mg] == pytest.approx(truth[mg]["workload"], abs=0.05)
        cell = page.locator(f'#gg-stats tr[data-id="{mg}"] td[data-field="workload"]').inner_text()
        assert float(cell) == pytest.approx(truth[mg]["workload"], abs=0.05)
    assert bars[five["from"]] < chart_before[five["from"]] and bars[five["to"]] > chart_before[five["to"]]
    assert "户数" in page.locator("#gg-formula").inner_text()
    assert "楼栋/楼宇×2" in page.locator("#gg-formula").inner_text()
    page.screenshot(path=str(shots / "brush-moved.png"))
    page.locator("#gg-plan-name").click()
    page.keyboard.press("Control+z")
    wait_version(page, v0 + 2)
    assert membership(planner_api, plan_id) == before
    assert chart(page) == chart_before
    assert all(EXPECTED_STATUS.search(e) for e in page.console_errors), page.console_errors
    assert page.external_requests == []


def test_rapid_undo_redo_never_conflicts(editor, planner_api, five, shots):
    page = editor
    plan_id = new_draft(page, "快速撤销草稿")
    v0 = int(page.get_attribute("#gg-workspace", "data-version"))
    body = {"op": "move_objects", "objects": five["ids"], "to": five["to"], "version": v0}
    r = planner_api.post(f"/plans/{plan_id}/edits", json=body)
    assert r.status_code == 200
    page.click("#gg-switch-plan")
    page.click(f'#gg-drafts li[data-plan="{plan_id}"] button')
    wait_version(page, v0 + 1)
    moved = membership(planner_api, plan_id)
    groups = {k: v["building_groups"] for k, v in api_stats(planner_api, plan_id).items()}
    page.locator("#gg-plan-name").click()
    for key in ["Control+z", "Control+y"] * 3:     # no waiting between the presses
        page.keyboard.press(key)
    wait_version(page, v0 + 7)
    assert page.console_errors == [], page.console_errors    # no 409 on the way
    assert page.locator("#gg-error").inner_text() == ""
    assert membership(planner_api, plan_id) == moved
    assert {k: v["building_groups"] for k, v in api_stats(planner_api, plan_id).items()} == groups
    page.screenshot(path=str(shots / "rapid-undo-redo.png"))


def test_draw_a_line_to_split_a_microgrid_then_undo(editor, planner_api, shots):
    page = editor
    plan_id = new_draft(page, "画线拆分草稿")
    v0 = int(page.get_attribute("#gg-workspace", "data-version"))
    stats = api_stats(planner_api, plan_id)
    n = len(stats)
    mgs = areas(planner_api, plan_id)
    big = max(stats.values(), key=lambda m: m["objects"])
    geom = mgs[big["id"]]["geom"]
    page.click(f'#gg-grid-stats tr[data-grid="{big["grid_id"]}"]')
    page.click(f'#gg-stats tr[data-id="{big["id"]}"]')
    page.click("#gg-tool-line")
    fit(page, geom.buffer(0.0005).bounds, 18)
    x0, _, x1, _ = geom.bounds
    y = geom.representative_point().y
    for lon in (x0 - 0.0003, x1 + 0.0003):
        page.mouse.click(*screen(page, lon, y))
    assert "2" in page.locator("#gg-line-points").inner_text()
    page.screenshot(path=str(shots / "line-drawn.png"))
    page.click("#gg-line-finish")
    wait_version(page, v0 + 1)
    assert "已沿线调整" in page.locator("#gg-message").inner_text()
    assert page.locator("path.gg-mg").count() == n + 1 and len(api_stats(planner_api, plan_id)) == n + 1
    rep = planner_api.get(f"/plans/{plan_id}/validate", params={"grid": big["grid_id"]}).json()
    assert big["parent_id"] in {g["grid_id"] for g in rep["grids"]}   # the grid's every 居民区/商务区
    for g in rep["grids"]:
        assert g["counts"]["gap"] == 0 and g["counts"]["overlap"] == 0 and g["counts"]["multipart"] == 0
    page.screenshot(path=str(shots / "line-split.png"))
    page.click("#gg-undo")
    wait_version(page, v0 + 2)
    assert page.locator("path.gg-mg").count() == n and len(api_stats(planner_api, plan_id)) == n
    assert page.console_errors == [] and page.external_requests == []


def test_drag_a_shared_boundary_moves_the_objects_between(editor, planner_api, shots):
    page = editor
    plan_id = new_draft(page, "拖动边界草稿")
    v0 = int(page.get_attribute("#gg-workspace", "data-version"))
    stats = api_stats(planner_api, plan_id)
    mgs = areas(planner_api, plan_id)
    a = max(stats.values(), key=lambda m: m["objects"])["id"]
    near = [b for b in mgs if b != a and mgs[b]["parent_id"] == mgs[a]["parent_id"]
            and mgs[a]["geom"].intersection(mgs[b]["geom"]).length > 1e-6]
    b = max(near, key=lambda k: mgs[a]["geom"].intersection(mgs[k]["geom"]).length)
    before = membership(planner_api, plan_id)
    page.click(f'#gg-grid-stats tr[data-grid="{stats[a]["grid_id"]}"]')
    page.click(f'#gg-stats tr[data-id="{a}"]')
    page.click("#gg-tool-boundary")
    fit(page, mgs[a]["geom"].union(mgs[b]["geom"]).bounds, 18)
    page.select_option("#gg-boundary-with", b)
    handles = page.locator(".gg-handle")
    handles.first.wait_for()
    mid = handles.nth(handles.count() // 2).bounding_box()
    hx, hy = mid["x"] + mid["width"] / 2, mid["y"] + mid["height"] / 2
    cx, cy = screen(page, *mgs[a]["geom"].representative_point().coords[0])
    page.screenshot(path=str(shots / "boundary-before.png"))
    page.mouse.move(hx, hy)
    page.mouse.down()
    drop = (hx + (cx - hx) * 0.6, hy + (cy - hy) * 0.6)
    page.mouse.move(*drop, steps=8)
    page.mouse.up()
    wait_version(page, v0 + 1)
    after = membership(planner_api, plan_id)
    changed = {o for o in after if after[o] != before[o]}
    # only objects of the two change side, from one to the other, and both stay one piece
    assert changed and all({before[o], after[o]} == {a, b} for o in changed)
    rep = planner_api.get(f"/plans/{plan_id}/validate", params={"grid": mgs[a]["parent_id"]}).json()
    counts = rep["grids"][0]["counts"]
    assert counts["gap"] == 0 and counts["overlap"] == 0 and counts["multipart"] == 0
    assert len(api_stats(planner_api, plan_id)) == len(stats)
    page.screenshot(path=str(shots / "boundary-dragged.png"))
    page.click("#gg-undo")
    wait_version(page, v0 + 2)
    assert membership(planner_api, plan_id) == before
    assert page.console_errors == [] and page.external_requests == []


def test_a_dispatcher_sees_no_planner_controls(page, live_server, live_login, shots):
    page.goto(live_server + "/editor", wait_until="networkidle")
    page.wait_for_function("document.documentElement.dataset.ready === '1'")
    page.fill("#gg-username", live_login[0])
    page.fill("#gg-password", live_login[1])
    page.click("#gg-signin button[type=submit]")
    page.wait_for_selector("#gg-plans:not([hidden]) #gg-view-active")
    # marked hidden, and not shown by a class that sets display
    assert page.get_attribute("#gg-copy", "hidden") is not None
    assert page.locator("#gg-copy").is_hidden() and page.locator("#gg-create-draft").is_hidden()
    page.click("#gg-view-active")
    page.wait_for_selector('#gg-workspace[data-status="active"]')
    for sel in ("#gg-undo", "#gg-redo", "#gg-activate", "#gg-tools", "#gg-compare-l"):
        assert page.locator(sel).is_hidden(), sel
    hidden = page.evaluate("""() => [...document.querySelectorAll('[hidden]')]
        .filter(e => getComputedStyle(e).display !== 'none').map(e => e.id || e.className)""")
    assert hidden == []
    page.screenshot(path=str(shots / "dispatcher.png"))
    assert page.console_errors == [] and page.external_requests == []


def test_export_the_draft_as_geojson_geopackage_and_pdf(editor, planner_api, five, shots, tmp_path):
    import json

    import pyogrio

    page = editor
    plan_id = new_draft(page, "导出草稿")
    v0 = int(page.get_attribute("#gg-workspace", "data-version"))
    body = {"op": "move_objects", "objects": five["ids"], "to": five["to"], "version": v0}
    assert planner_api.post(f"/plans/{plan_id}/edits", json=body).status_code == 200
    page.click("#gg-switch-plan")
    page.click(f'#gg-drafts li[data-plan="{plan_id}"] button')
    wait_version(page, v0 + 1)
    member = membership(planner_api, plan_id)
    n_areas = len(planner_api.get(f"/plans/{plan_id}/areas").json()["features"])
    with page.expect_download() as dl:
        page.click("#gg-export-geojson")
    fc = json.loads(open(dl.value.path(), encoding="utf-8").read())
    layer = {k: [f["properties"] for f in fc["features"] if f["properties"]["layer"] == k]
             for k in ("areas", "objects")}
    assert len(layer["areas"]) == n_areas
    assert {p["id"]: p["microgrid"] for p in layer["objects"]} == member   # the draft, with the move
    assert all("OpenStreetMap" in p["attribution"] for p in layer["objects"])
    with page.expect_download() as dl:
        page.click("#gg-export-gpkg")
    assert dl.value.suggested_filename == f"plan-{plan_id}.gpkg"
    path = tmp_path / "plan.gpkg"
    dl.value.save_as(path)
    assert sorted(name for name, _ in pyogrio.list_layers(path)) == ["areas", "objects"]
    objs = pyogrio.read_dataframe(path, layer="objects")
    assert dict(zip(objs["id"], objs["microgrid"].where(objs["microgrid"].notna(), None))) == member
    with page.expect_download(timeout=60000) as dl:
        page.click("#gg-export-pdf-plan")
    assert open(dl.value.path(), "rb").read(4) == b"%PDF"
    assert page.console_errors == [] and page.external_requests == []


def test_lasso_selects_the_objects_inside_the_ring(editor, planner_api, five, shots):
    page = editor
    plan_id = new_draft(page, "套索草稿")
    page.click("#gg-tool-lasso")
    fit(page, shapely.MultiPoint(list(five["points"].values())).bounds)
    pts = [screen(page, *p) for p in five["points"].values()]
    x0, y0 = min(p[0] for p in pts) - 12, min(p[1] for p in pts) - 12
    x1, y1 = max(p[0] for p in pts) + 12, max(p[1] for p in pts) + 12
    page.mouse.move(x0, y0)
    page.mouse.down()
    for x, y in ((x1, y0), (x1, y1), (x0, y1), (x0, y0 + 1)):
        page.mouse.move(x, y, steps=6)
    page.mouse.up()
    ring = shapely.box(x0, y0, x1, y1)
    inside, edge = set(), set()    # well inside the ring; within a pixel of its edge
    for f in planner_api.get(f"/plans/{plan_id}/objects").json()["features"]:
        if f["properties"]["type"] == "compound":
            continue
        g = shapely.geometry.shape(f["geometry"])
        at = shapely.Point(screen(page, (g.bounds[0] + g.bounds[2]) / 2, (g.bounds[1] + g.bounds[3]) / 2))
        if ring.buffer(-1).contains(at):
            inside.add(f["id"])
        elif ring.buffer(1).contains(at):
            edge.add(f["id"])
    assert set(five["ids"]) <= inside
    page.wait_for_function("document.querySelectorAll('path.gg-obj.gg-brushed').length > 0")
    got = set(page.locator("path.gg-obj.gg-brushed").evaluate_all("ps => ps.map(p => p.dataset.id)"))
    assert inside <= got <= inside | edge
    assert page.get_attribute("#gg-brush-count", "data-n") == str(len(got))
    page.screenshot(path=str(shots / "lasso.png"))
    assert page.console_errors == [] and page.external_requests == []
