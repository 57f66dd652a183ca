"""The editor one level up, in headless Chromium: pick a microgrid, choose 网格 as the level
to redraw, draw a line across that grid; whole 居民区 move to the new grid on the far side,
the grid table follows, and one Ctrl+Z-able edit puts everything back."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geogrid._errors import GeoGridError
from geogrid.partition.redraw import regroup_along_line
from test_editor import editor, new_draft, planner_api, wait_version  # noqa: F401
from test_editor_tools import fit, screen

pytestmark = pytest.mark.browser


def frame(api, plan_id: int, **params) -> gpd.GeoDataFrame:
    fc = api.get(f"/plans/{plan_id}/areas", params=params).json()["features"]
    return gpd.GeoDataFrame([{"id": f["id"], "parent_id": f["properties"]["parent_id"],
                              "name": f["properties"]["name"],
                              "geometry": shapely.geometry.shape(f["geometry"])} for f in fc],
                            crs=4490)


def on_map(page, x: float, y: float) -> bool:
    """Whether page point (x, y) lies on the map's own surface (not off it or under a panel)."""
    return page.evaluate("""([x, y]) => {
        const hit = document.elementFromPoint(x, y);
        return !!hit && window.geogrid.map.getContainer().contains(hit)
            && !hit.closest('.leaflet-control');
    }""", [x, y])


def a_grid_line(api, plan_id: int):
    """A grid with several 居民区 and a vertical line across it that moves some of them
    without cutting any (found with the library function the service uses)."""
    grids, comms = frame(api, plan_id, level="grid"), frame(api, plan_id, level="community")
    for gid in comms["parent_id"].value_counts().index:
        grid, kids = grids[grids["id"] == gid], comms[comms["parent_id"] == gid]
        x0, y0, x1, y1 = grid.total_bounds
        pad = 0.1 * (y1 - y0)
        for x in np.linspace(x0, x1, 31)[1:-1]:
            line = [[float(x), y0 - pad], [float(x), y1 + pad]]
            try:
                out = regroup_along_line(grid, kids, line)
            except GeoGridError:
                continue
            return gid, line, out.moved
    pytest.fail("no grid line that moves whole 居民区")


def test_draw_a_line_across_a_grid_moves_its_communities_then_undo(editor, planner_api,  # noqa: F811
                                                                    artifacts):
    page = editor
    shots = artifacts / "editor"
    shots.mkdir(exist_ok=True)
    plan_id = new_draft(page, "网格画线草稿")
    v0 = int(page.get_attribute("#gg-workspace", "data-version"))
    gid, line, moved = a_grid_line(planner_api, plan_id)
    stats = planner_api.get(f"/plans/{plan_id}/stats").json()
    mg = next(m["id"] for m in stats["microgrids"] if m["grid_id"] == gid)
    n_grids = len(stats["grids"])
    grids0 = frame(planner_api, plan_id, level="grid").set_index("id")
    page.click(f'#gg-grid-stats tr[data-grid="{gid}"]')
    page.click(f'#gg-stats tr[data-id="{mg}"]')
    page.click("#gg-tool-line")
    options = page.locator("#gg-line-level option").all_inner_texts()
    assert options == ["微网格", "居民区/商务区", "网格"]   # the plan's levels, unit first
    page.select_option("#gg-line-level", "grid")
    assert page.get_attribute("#gg-line-area", "data-id") == gid
    (x0, y0), (x1, y1) = line
    # choosing the level moves the map to the area (animated): fit once that has settled
    for _ in range(10):
        fit(page, (x0 - 0.002, y0, x1 + 0.002, y1), 18)
        page.wait_for_timeout(300)
        if all(on_map(page, *screen(page, lon, lat)) for lon, lat in line):
            break
    for lon, lat in line:
        page.mouse.click(*screen(page, lon, lat))
    assert "2" in page.locator("#gg-line-points").inner_text()
    page.screenshot(path=str(shots / "grid-line-drawn.png"))
    page.click("#gg-line-finish")
    wait_version(page, v0 + 1)
    assert "已沿线调整上级边界" in page.locator("#gg-message").inner_text()
    comms = frame(planner_api, plan_id, level="community").set_index("id")
    grids = frame(planner_api, plan_id, level="grid").set_index("id")
    [new] = set(grids.index) - set(grids0.index)
    assert set(comms.loc[moved, "parent_id"]) == {new}
    # the two grids tile what the one did, and each is the union of its 居民区
    was = grids0.loc[gid, "geometry"]
    now = [grids.loc[gid, "geometry"], grids.loc[new, "geometry"]]
    assert shapely.union_all(now).symmetric_difference(was).area < 1e-6 * was.area
    assert shapely.intersection(*now).area < 1e-6 * was.area
    for g in (gid, new):
        mine = shapely.union_all(comms.loc[comms["parent_id"] == g, "geometry"].values)
        assert mine.symmetric_difference(grids.loc[g, "geometry"]).area < 1e-6 * was.area
    # the page shows it: a row for the new grid, its 居民区 drawn under it
    page.wait_for_selector(f'#gg-grid-stats tr[data-grid="{new}"]')
    assert page.locator("#gg-grid-stats tbody tr").count() == n_grids + 1
    page.screenshot(path=str(shots / "grid-line-redrawn.png"))
    page.keyboard.press("Control+z")
    wait_version(page, v0 + 2)
    assert set(frame(planner_api, plan_id, level="community").set_index("id")
               .loc[moved, "parent_id"]) == {gid}
    assert new not in set(frame(planner_api, plan_id, level="grid")["id"])
    assert page.locator("#gg-grid-stats tbody tr").count() == n_grids
    page.screenshot(path=str(shots / "grid-line-undone.png"))
    assert page.console_errors == [] and page.external_requests == []
