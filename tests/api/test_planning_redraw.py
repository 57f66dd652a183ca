"""Drawing one level up through the API: a line across a 网格 of a draft moves whole 居民区,
answers which moved, refuses in Chinese a line that cuts a 居民区, and undo puts it back."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from geogrid._errors import GeoGridError
from geogrid.partition.redraw import regroup_along_line
from test_planning import h  # noqa: F401  (fixture)


def _frame(client, hdr, plan_id, **params) -> gpd.GeoDataFrame:
    fc = client.get(f"/plans/{plan_id}/areas", params=params, headers=hdr).json()["features"]
    return gpd.GeoDataFrame([{"id": f["id"], "parent_id": f["properties"]["parent_id"],
                              "geometry": shapely.geometry.shape(f["geometry"])} for f in fc],
                            crs=4490)


def test_cut_a_grid_moves_communities_and_refuses_a_cut_community(client, h):  # noqa: F811
    hdr = h["pl"]
    plan = client.post("/plans/1/copy", json={"name": "网格边界"}, headers=hdr).json()
    pid = plan["id"]
    grids, comms = _frame(client, hdr, pid, level="grid"), _frame(client, hdr, pid, level="居民区")
    gid = comms["parent_id"].value_counts().index[0]
    grid, kids = grids[grids["id"] == gid], comms[comms["parent_id"] == gid]
    x0, y0, x1, y1 = grid.total_bounds
    lines, refused = [], None
    for x in np.linspace(x0, x1, 41)[1:-1]:
        line = [[float(x), y0 - 1e-3], [float(x), y1 + 1e-3]]
        try:
            lines.append((line, regroup_along_line(grid, kids, line).moved))
        except GeoGridError as e:
            if "穿过了下级区域" in str(e) and refused is None:
                refused = line
    assert lines and refused
    version = lambda: client.get(f"/plans/{pid}", headers=hdr).json()["version"]  # noqa: E731
    r = client.post(f"/plans/{pid}/edits", headers=hdr, json={
        "op": "cut", "microgrids": [gid], "line": refused, "version": version()})
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["field"] == "line" and "穿过了下级区域" in err["message"] and err["fix"]
    line, moved = lines[0]
    v = version()
    r = client.post(f"/plans/{pid}/edits", headers=hdr, json={
        "op": "cut", "microgrids": [gid], "line": line, "version": v})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["version"] == v + 1 and sorted(body["moved_areas"]) == sorted(moved)
    [new] = body["new_areas"]
    after = _frame(client, hdr, pid, level="居民区").set_index("id")
    assert set(after.loc[moved, "parent_id"]) == {new}
    # the history shows one edit; undo puts the 居民区 back and removes the new grid
    hist = client.get(f"/plans/{pid}/history", headers=hdr).json()
    assert [e["op"] for e in hist if not e["undone"]][-1] == "cut"
    r = client.post(f"/plans/{pid}/undo", json={"version": version()}, headers=hdr)
    assert r.status_code == 200 and r.json()["op"] == "cut"
    back = _frame(client, hdr, pid, level="居民区").set_index("id")
    assert set(back.loc[moved, "parent_id"]) == {gid}
    assert new not in set(_frame(client, hdr, pid, level="grid")["id"])
