"""A stored plan is validated on every level, 楼组 included, as an imported one is.

Plans are edited after import (boundaries moved, areas redrawn): the overlap or the
stray 楼组 such an edit leaves must show in ``geogrid validate --plan`` and in
``GET /plans/{id}/validate``, with the ids, the area and the fix, Chinese first. Areas
are measured here in UTM 51N with pyproj, apart from the validator's own projection.
"""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely
import shapely.affinity
from typer.testing import CliRunner

from geogrid.cli import app
from geogrid.hierarchy import check_plan
from geogrid.model import DEFAULT_LEVELS
from geogrid.services.planning import PlanningService

UTM = 32651
G4, G5 = "grid-310115005004", "grid-310115005005"


def _m2(geom) -> float:
    return float(gpd.GeoSeries([geom], crs=4490).to_crs(UTM).area.iloc[0])


def _square_in(geom, side_deg: float = 0.0003):
    """A square of ``side_deg`` (about 30 m) around a point inside ``geom``."""
    p = shapely.point_on_surface(geom)
    return shapely.box(p.x - side_deg / 2, p.y - side_deg / 2, p.x + side_deg / 2,
                       p.y + side_deg / 2)


def _grid_over_neighbour(store, plan_id: int):
    """Redraw grid 005 to take a square of grid 004 as well; return the square."""
    grids = store.areas(plan_id, level="grid")
    square = _square_in(grids.set_index("id").geometry[G4])
    assert shapely.within(square, grids.set_index("id").geometry[G4])
    grids = grids.copy()
    row = (grids["id"] == G5).to_numpy()
    grids.loc[row, "geometry"] = shapely.union(grids.geometry[row].iat[0], square)
    street = store.areas(plan_id, level="street")["id"].iat[0]
    with store.write() as conn:
        store.replace_areas(conn, plan_id, "grid", grids, parent_uid=street, actor="t")
    return square


def _draft(store) -> int:
    return store.copy_plan(int(store.active_plan()["id"]), name="edited", actor="t")


def _overlaps(report: dict) -> list[dict]:
    return [i for g in report["grids"] for i in g["issues"] if i["kind"] == "overlap"]


def test_the_demo_validates_clean_on_every_level(demo_store):
    report = PlanningService(demo_store).validate(int(demo_store.active_plan()["id"]))
    assert report["ok"], [i for g in report["grids"] for i in g["issues"]
                          if i["severity"] == "error"]
    assert sum(g.get("n_errors", 0) for g in report["grids"]) == 0
    # the upper levels were measured too: check_plan of the same areas finds nothing either
    areas = demo_store.areas(int(demo_store.active_plan()["id"]))
    assert check_plan(areas, DEFAULT_LEVELS).counts_nonzero() == {}


def test_an_overlap_between_two_grids_of_a_stored_plan_is_reported(demo_store):
    plan_id = _draft(demo_store)
    square = _grid_over_neighbour(demo_store, plan_id)
    report = PlanningService(demo_store).validate(plan_id)
    assert not report["ok"]
    [over] = [i for i in _overlaps(report) if set(i["ids"]) == {G4, G5}]
    assert over["value"] == pytest.approx(_m2(square), rel=0.01)
    assert over["severity"] == "error"
    msg = over["message"]
    assert msg.index("网格") < msg.index("grids")          # Chinese first
    assert "重叠" in msg and "overlap" in msg and G4 in msg and G5 in msg
    assert "修改二者的共同边界" in msg and "redraw their shared boundary" in msg
    lon, lat = over["location"]
    assert shapely.within(shapely.Point(lon, lat), square.buffer(1e-6))
    [whole] = [g for g in report["grids"] if g.get("scope") == "hierarchy"]
    assert whole["grid_id"] == "street-lujiazui" and "every level" in whole["text"]
    # grid 005's 居民区 do not cover the square it took: a gap under grid 005
    gaps = [i for i in whole["issues"] if i["kind"] == "gap" and i["ids"][0] == G5]
    assert gaps and gaps[0]["value"] == pytest.approx(_m2(square), rel=0.01)
    # only that grid: the findings naming its areas, no others
    only = PlanningService(demo_store).validate(plan_id, G5)
    assert any(set(i["ids"]) == {G4, G5} for i in _overlaps(only))
    assert all(g["grid_id"] != "grid-310115005001-c001" for g in only["grids"])


def test_the_cli_and_the_api_report_the_overlap(demo_cli):
    store = demo_cli
    plan_id = _draft(store)
    square = _grid_over_neighbour(store, plan_id)
    res = CliRunner().invoke(app, ["validate", "--plan", str(plan_id), "--json"])
    assert res.exit_code == 1, res.output
    report = json.loads(res.stdout[res.stdout.index("{"):])
    [over] = [i for i in _overlaps(report) if set(i["ids"]) == {G4, G5}]
    assert over["value"] == pytest.approx(_m2(square), rel=0.01)
    res = CliRunner().invoke(app, ["validate", "--plan", str(plan_id)])
    assert res.exit_code == 1 and "Traceback" not in res.output
    text = " ".join(res.output.split())   # the console wraps long lines
    assert f"错误 ERROR overlap [{G4}, {G5}]" in text
    assert f"{over['value']:.1f} m²" in text and "各层级 every level" in text

    from fastapi.testclient import TestClient

    from api import create_app
    from geogrid.settings import Settings
    from geogrid.store.users import create_user, issue_token

    create_user(store, "pl", "planner")
    hdr = {"Authorization": f"Bearer {issue_token(store, 'pl')}"}
    with TestClient(create_app(Settings(database_url=str(store.engine.url)),
                               store=store)) as client:
        body = client.get(f"/plans/{plan_id}/validate", headers=hdr).json()
        text = client.get(f"/plans/{plan_id}/validate", params={"format": "text"},
                          headers=hdr).text
    assert body["ok"] is False
    [over] = [i for i in _overlaps(body) if set(i["ids"]) == {G4, G5}]
    assert over["value"] == pytest.approx(_m2(square), rel=0.01)
    assert "every level" in text and G4 in text and "重叠" in text


def test_a_building_group_moved_out_of_its_microgrid_is_reported(demo_store):
    plan_id = _draft(demo_store)
    groups = demo_store.areas(plan_id, level="building_group")
    one = groups.iloc[[0]].copy()
    mg = one["parent_id"].iat[0]
    home = demo_store.areas(plan_id, uids=[mg]).geometry.iat[0]
    moved = shapely.affinity.translate(one.geometry.iat[0], xoff=0.01)   # about 950 m east
    one["geometry"] = [moved]
    with demo_store.write() as conn:
        demo_store.replace_areas(conn, plan_id, "building_group",
                                 gpd.GeoDataFrame(pd_concat(groups, one), crs=groups.crs),
                                 parent_uid=None, actor="t")
    report = PlanningService(demo_store).validate(plan_id)
    outside = [i for g in report["grids"] for i in g["issues"]
               if i["kind"] == "outside_parent" and one["id"].iat[0] in i["ids"]]
    assert outside and outside[0]["severity"] == "error"
    want = _m2(shapely.difference(moved, home))
    assert outside[0]["value"] == pytest.approx(want, rel=0.01)
    assert "楼组" in outside[0]["message"] or "超出上级范围" in outside[0]["message"]
    assert "lies outside the parent" in outside[0]["message"]


def pd_concat(groups, one):
    """``groups`` with the row of ``one`` replaced by it."""
    import pandas as pd

    rest = groups[groups["id"] != one["id"].iat[0]]
    return pd.concat([rest, one], ignore_index=True)
