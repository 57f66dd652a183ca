"""Cutting along a drawn line through the API: one undoable edit that keeps the plan valid."""

from __future__ import annotations

import shapely

from test_planning import AREA as GRID, draft, h  # noqa: F401  (the partitioned 居民区; fixtures)


def _across(geom, frac: float, vertical: bool) -> list[list[float]]:
    x0, y0, x1, y1 = geom.bounds
    pad = 0.2 * max(x1 - x0, y1 - y0)
    if vertical:
        x = x0 + frac * (x1 - x0)
        return [[x, y0 - pad], [x, y1 + pad]]
    y = y0 + frac * (y1 - y0)
    return [[x0 - pad, y], [x1 + pad, y]]


def test_cut_along_a_line_splits_and_undo_restores(client, h, draft):  # noqa: F811
    plan_id, _ = draft
    hdr = h["pl"]

    def get(path, **params):
        return client.get(f"/plans/{plan_id}{path}", params=params, headers=hdr).json()

    fc = get("/areas", level="microgrid", parent=GRID)["features"]
    before = {f["id"]: shapely.geometry.shape(f["geometry"]) for f in fc}
    member0 = get("/objects", grid=GRID)
    big = max(before, key=lambda k: before[k].area)
    body = {"op": "cut", "microgrids": [big], "line": _across(before[big], 0.5, True),
            "version": get("")["version"]}
    r = client.post(f"/plans/{plan_id}/edits", json=body, headers=hdr)
    assert r.status_code == 200, r.json()
    assert r.json()["microgrids"] == len(before) + 1 and r.json()["op"] == "cut"
    rep = client.get(f"/plans/{plan_id}/validate", params={"grid": GRID}, headers=hdr).json()
    assert rep["ok"], rep
    after = {f["id"]: shapely.geometry.shape(f["geometry"])
             for f in get("/areas", level="microgrid", parent=GRID)["features"]}
    new = set(after) - set(before)
    assert len(new) == 1
    halves = shapely.union_all([after[big], after[new.pop()]])
    assert abs(halves.area - before[big].area) < 1e-6 * before[big].area
    # undo: the microgrids and the memberships are those before the cut
    r = client.post(f"/plans/{plan_id}/undo", json={"version": get("")["version"]}, headers=hdr)
    assert r.status_code == 200 and r.json()["op"] == "cut"
    assert set(f["id"] for f in get("/areas", level="microgrid", parent=GRID)["features"]) == set(before)
    assert get("/objects", grid=GRID)["features"] == member0["features"]


def test_cut_refusals_name_the_field(client, h, draft):  # noqa: F811
    plan_id, _ = draft
    hdr = h["pl"]
    fc = client.get(f"/plans/{plan_id}/areas", params={"level": "microgrid", "parent": GRID},
                    headers=hdr).json()["features"]
    mg = fc[0]["id"]
    v = client.get(f"/plans/{plan_id}", headers=hdr).json()["version"]
    far = {"op": "cut", "microgrids": [mg], "line": [[100.0, 10.0], [100.1, 10.1]], "version": v}
    r = client.post(f"/plans/{plan_id}/edits", json=far, headers=hdr)
    assert r.status_code == 422 and r.json()["error"]["field"] == "line"
    assert "没有穿过" in r.json()["error"]["message"]
    r = client.post(f"/plans/{plan_id}/edits", json={**far, "line": [[1.0, 2.0]]}, headers=hdr)
    assert r.status_code == 422
    assert client.get(f"/plans/{plan_id}", headers=hdr).json()["version"] == v   # nothing changed


#: 上港小区居民区, as the demo cut it (19 microgrids, 85 objects): enough neighbouring
#: buildings for moves both offered and refused
MANY = "grid-310115005003-c010"


def test_move_targets_offer_only_moves_the_edit_accepts(client, h, draft):  # noqa: F811
    plan_id, _ = draft
    hdr = h["pl"]
    feats = client.get(f"/plans/{plan_id}/objects", params={"grid": MANY},
                       headers=hdr).json()["features"]
    by_mg: dict[str, list[str]] = {}
    for f in feats:
        if f["properties"]["type"] == "building" and f["properties"]["microgrid"]:
            by_mg.setdefault(f["properties"]["microgrid"], []).append(f["id"])
    checked = {"ok": 0, "refused": 0}
    for mg, ids in sorted(by_mg.items()):
        r = client.post(f"/plans/{plan_id}/move-targets", json={"objects": ids[:1]}, headers=hdr)
        assert r.status_code == 200, r.json()
        for row in r.json()["targets"]:
            assert row["microgrid"] != mg
            v = client.get(f"/plans/{plan_id}", headers=hdr).json()["version"]
            body = {"op": "move_objects", "objects": ids[:1], "to": row["microgrid"], "version": v}
            moved = client.post(f"/plans/{plan_id}/edits", json=body, headers=hdr)
            assert (moved.status_code == 200) == row["ok"], (row, moved.json())
            if row["ok"]:
                client.post(f"/plans/{plan_id}/undo", json={"version": v + 1}, headers=hdr)
            else:
                assert row["reason"] in ("mates", "split")
            checked["ok" if row["ok"] else "refused"] += 1
        if checked["ok"] >= 1 and checked["refused"] >= 2:
            break
    assert checked["ok"] >= 1 and checked["refused"] >= 1, checked
    r = client.post(f"/plans/{plan_id}/move-targets", json={"objects": ["nope"]}, headers=hdr)
    assert r.status_code == 422 and r.json()["error"]["field"] == "objects"
