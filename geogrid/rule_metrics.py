"""The division rules, measured on any plan: own geometry, independent of the engine.

The seeds set two division rules (see the domain notes):

* residential, 打破围墙边界、内外一网覆盖: streets, rivers and rail lines are
  the boundaries, compound walls are not; a compound is split only as far as
  its workload needs; shops, institutions, offices and plazas join the
  microgrid of the nearest housing;
* business, 业态相近、楼宇相邻: offices of similar business type are grouped.

:func:`rule_metrics` measures a plan against them with shapely/geopandas on the
plan's polygons alone (it never reads a partition's cells or graph), so it can
judge any plan, generated or hand-drawn:

``boundary``  internal boundary length (microgrid edges not on the parent's
              outline) and its share within ``near_m`` (15 m) of a road of each
              class (major / minor / path / rail, and lines that divide no land,
              e.g. piers: none; :func:`road_classes`), of water, and of either;
``walls``     internal boundary within ``wall_m`` (3 m) of a compound outline
              and farther than ``near_m`` from every road and water: a wall
              acting as a boundary;
``compounds`` per compound: pieces (microgrids holding more than 5 % and
              20 m² of it) against need ``⌈w / (1.15 · target)⌉``;
``nearest``   per shop / institution / plaza / office: the microgrid of the
              nearest housing, by walking distance on the road lines (noded
              here) where the object and the housing reach a common network,
              else straight line; ``method`` says which was used;
``business``  typed objects per microgrid: majority-type share and Shannon
              entropy (bits);
``offroad``   the internal boundary farther than ``near_m`` from roads and
              water: inside compounds, along walls (shared by two compounds
              or not) and outside, and the share on roads or water once the
              off-road length the data impose (``floor``) is set aside;
``compactness`` Polsby–Popper ``4πA/P²`` per microgrid;
``floor``     what the data allow: the workload CV no plan of indivisible
              units can beat (and none that cuts no compound beyond its
              need, ``workload_cv_within_need``), whether the grid has a road or water inside
              at all (without one no boundary can lie on one), and the
              off-road boundary that cutting compounds into the pieces they
              need takes along the shortest straight cuts (:mod:`geogrid.cuts`,
              an estimate), with the share on roads this plan could reach if
              that were all; and the same for the *road blocks* (the land
              between roads, rail and water, :func:`road_blocks`): a block
              heavier than one microgrid must be cut off roads whatever the
              walls, and the shortest straight cuts that leave each piece at
              most ``1.15 × target`` (workload where the objects stand,
              compounds spread by area) are ``block_split_offroad_m``; the
              offroad figure ``share_road_or_water_beyond_blocks`` sets that
              aside.

Example
-------
>>> import geopandas as gpd, shapely
>>> grid = shapely.box(121.50, 31.23, 121.51, 31.24)
>>> halves = [shapely.box(121.50, 31.23, 121.505, 31.24), shapely.box(121.505, 31.23, 121.51, 31.24)]
>>> plan = gpd.GeoDataFrame({"id": ["west", "east"]}, geometry=halves, crs="EPSG:4490")
>>> street = shapely.LineString([(121.505, 31.229), (121.505, 31.241)])
>>> road = gpd.GeoDataFrame({"kind": ["major_road"]}, geometry=[street], crs="EPSG:4490")
>>> rule_metrics(grid, plan, roads=road)["grid"]["boundary"]["share_road_or_water"]
1.0
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._errors import InputError
from .crs import metric_crs, require_crs, require_same_crs
from .cuts import shortest_cut_angle
from .road_kinds import road_rank
from .walking import WalkNetwork, outline_points
from .workload import NEED_TOLERANCE, WorkloadWeights, cv_floor_within_need, need_pieces

__all__ = ["rule_metrics", "road_classes", "road_blocks", "NEAR_M", "NEED_TOLERANCE",
           "rule_metrics_text", "ROAD_CLASSES"]

#: a boundary within this distance (metres) of a road or water follows it
NEAR_M = 15.0
_HOUSING_TYPES = {"", "residential", "apartments", "housing", "house", "住宅", "类住宅",
                  "dormitory", "nan", "none"}
_ATTACH_TYPES = {"shop", "institution", "plaza"}


def road_classes(roads: gpd.GeoDataFrame) -> np.ndarray:
    """``major`` / ``minor`` / ``path`` / ``rail`` per road, or ``none`` for a line
    that does not divide the land (ferry, pier, subway…).

    The engine's table (:func:`geogrid.road_kinds.road_rank`): ``kind_detail``
    decides, ``kind`` is the fallback. ``major``: motorway, trunk, primary,
    secondary (and their links); ``minor``: tertiary, residential,
    unclassified, living_street, road; ``path``: service, footway, path,
    cycleway, pedestrian, steps…, so a compound's internal footpaths and
    driveways count as roads when they are in the data.

    >>> import geopandas as gpd, shapely
    >>> line = shapely.LineString([(0, 0), (1, 0)])
    >>> r = gpd.GeoDataFrame({"kind": ["major_road", "major_road", "minor_road", "path"],
    ...                       "kind_detail": ["primary", "tertiary", "service", "pier"]},
    ...                      geometry=[line] * 4, crs="EPSG:3857")
    >>> road_classes(r).tolist()
    ['major', 'minor', 'path', 'none']
    """
    kind = roads["kind"].to_numpy(dtype=object) if "kind" in roads.columns \
        else np.full(len(roads), None, dtype=object)
    det = roads["kind_detail"].to_numpy(dtype=object) if "kind_detail" in roads.columns \
        else np.full(len(roads), None, dtype=object)
    return np.array([road_rank(k, d) or "none" for k, d in zip(kind, det)], dtype=object)


#: road classes of :func:`road_classes` (``none``: lines given as roads that the
#: engine does not cut along, still counted in the share on roads or water)
ROAD_CLASSES = ("major", "minor", "path", "rail", "none")


def rule_metrics(parent, microgrids: gpd.GeoDataFrame, objects: gpd.GeoDataFrame | None = None,
                 roads: gpd.GeoDataFrame | None = None, water=None, *,
                 id_column: str = "id", near_m: float = NEAR_M, wall_m: float = 3.0,
                 target_workload: float | None = None, weights=None) -> dict[str, Any]:
    """Measure a plan against the division rules (see the module docstring).

    ``parent``: GeoDataFrame/GeoSeries with one polygon; ``microgrids``: the
    plan; ``objects``: management objects (``type``, ``households``,
    ``business_type``…); ``roads``: road lines (``kind``/``kind_detail``);
    ``water``: water polygons or lines. All in one CRS. Returns
    ``{"grid": {...}, "microgrids": [{...}, ...]}`` (JSON-able).
    """
    crs = require_crs(microgrids, "microgrids")
    pgeom = _one_geometry(parent, microgrids)
    for name, frame in (("objects", objects), ("roads", roads), ("water", water)):
        if frame is not None:
            require_same_crs(microgrids, frame, names=("microgrids", name))
    mcrs = metric_crs(gpd.GeoSeries([pgeom], crs=crs))

    def to_m(frame):
        return np.asarray(gpd.GeoSeries(np.asarray(frame.geometry.values, dtype=object),
                                        crs=crs).to_crs(mcrs).values, dtype=object)

    parent_m = to_m(gpd.GeoSeries([pgeom], crs=crs))[0]
    mg = to_m(microgrids)
    ids = [_plain(i) for i in (microgrids[id_column] if id_column in microgrids.columns
                               else microgrids.index)]
    window = shapely.buffer(parent_m, 400.0)
    road_m, road_cls = np.empty(0, dtype=object), np.empty(0, dtype=object)
    if roads is not None and len(roads):
        road_m, road_cls = to_m(roads), road_classes(roads)
        keep = shapely.intersects(road_m, window)
        road_m, road_cls = road_m[keep], road_cls[keep]
    water_m = to_m(water) if water is not None and len(water) else np.empty(0, dtype=object)
    per = pd.DataFrame({"id": ids})
    grid: dict[str, Any] = {"n_microgrids": len(ids)}
    # boundaries and walls only see lines within reach of the parent
    reach = shapely.buffer(parent_m, near_m + 1.0)
    near_roads = shapely.intersects(road_m, reach)
    r_clip = shapely.intersection(road_m[near_roads], reach)
    w_clip = shapely.intersection(water_m, reach) if len(water_m) else water_m
    grid["boundary"], per_b, zone = _boundary(parent_m, mg, r_clip, road_cls[near_roads],
                                              w_clip, near_m)
    per = pd.concat([per, per_b], axis=1)
    per["compactness"] = _polsby_popper(mg)
    grid["compactness"] = {"min": _r(per["compactness"].min()), "mean": _r(per["compactness"].mean())}
    if objects is not None and len(objects):
        obj = _objects(objects, to_m(objects), weights)
        target = target_workload or (float(obj["workload"].sum()) / max(1, len(ids)))
        grid["walls"], per["wall_m"] = _walls(parent_m, mg, obj, zone, wall_m)
        grid["compounds"] = _compounds(mg, ids, obj, target)
        grid["nearest"], per["not_nearest"] = _nearest(mg, ids, obj, road_m)
        grid["business"], per_bus = _business(mg, obj)
        per = pd.concat([per, per_bus], axis=1)
        need = {i["id"]: i["need"] for i in grid["compounds"]["items"]}
        grid["floor"] = {"workload_cv": _r(_cv_floor(obj, len(ids), target)),
                         "workload_cv_within_need": _r(_cv_floor(obj, len(ids), target, need)),
                         "road_or_water_inside": bool(grid["boundary"]["road_or_water_inside_m"]
                                                      > 0)}
        grid["floor"].update(_split_floor(obj, grid["compounds"]["items"], zone,
                                          grid["boundary"]["internal_m"], target))
        grid["floor"].update(_block_floor(parent_m, mg, obj, r_clip, road_cls[near_roads],
                                          w_clip, zone, grid["boundary"]["internal_m"], target))
        grid["offroad"] = _offroad(parent_m, mg, obj, zone, wall_m,
                                   grid["floor"]["compound_split_offroad_m"],
                                   grid["floor"]["block_split_offroad_m"])
    return {"grid": grid, "microgrids": [{k: _plain(v) for k, v in row.items()}
                                         for row in per.to_dict("records")]}


def rule_metrics_text(metrics: dict[str, Any]) -> list[str]:
    """Short bilingual lines summarising :func:`rule_metrics` for a report."""
    g = metrics["grid"]
    b = g["boundary"]
    lines = [f"  划分规则 / division rules: 内部边界 {b['internal_m']:.0f} m, 沿道路或水体 (≤{NEAR_M:.0f} m) "
             f"{_pct(b['share_road_or_water'])} (major {_pct(b['share_major'])}, minor "
             f"{_pct(b['share_minor'])}, path {_pct(b['share_path'])}, water {_pct(b['share_water'])})"
             f"{'' if b['road_or_water_inside_m'] > 0 else ' — 网格内无道路/水体 no road or water inside'}"]
    if "walls" in g:
        c, n, bus = g["compounds"], g["nearest"], g["business"]
        lines.append(f"  沿围墙而远离道路的边界 boundary along walls away from roads: "
                     f"{g['walls']['length_m']:.0f} m; 切分过度的小区 compounds cut beyond need: "
                     f"{c['over_cut']}/{c['n']}")
        lines.append(f"  未归入最近住宅微网格的对象 objects not with nearest housing: "
                     f"{n['not_nearest']}/{n['n']} ({n['method']}, worst {n['worst_excess_m']:.0f} m)")
        lines.append(f"  业态 business: majority share {_pct(bus['majority_share'])} (grid-wide "
                     f"{_pct(bus['grid_majority_share'])}), entropy {bus['entropy_bits']}; "
                     f"紧凑度 compactness min {g['compactness']['min']}; 数据下限 floor CV "
                     f"{g['floor']['workload_cv']} (小区不超切 within compound need "
                     f"{g['floor']['workload_cv_within_need']})")
        lines.append(f"  切分小区所需的非道路边界 (估计) off-road boundary needed to split compounds "
                     f"(estimate): {g['floor']['compound_split_offroad_m']:.0f} m, 沿道路比例上限 "
                     f"share on roads at most {_pct(g['floor']['share_road_or_water_max'])}")
        o = g["offroad"]
        lines.append(f"  非道路边界 off-road boundary {o['length_m']:.0f} m: 小区内 in compounds "
                     f"{o['in_compounds_m']:.0f} m, 沿围墙 on walls {o['on_walls_m']:.0f} m, 小区外 "
                     f"outside {o['outside_m']:.0f} m; 扣除数据下限后沿道路或水体 on roads or water "
                     f"beyond the floor {_pct(o['share_road_or_water_where_roads'])}")
        lines.append(f"  无内部道路的街坊所需的非道路边界 (估计) off-road boundary the road blocks "
                     f"need (estimate): {g['floor']['block_split_offroad_m']:.0f} m "
                     f"({g['floor']['blocks_needing_cuts']} 个街坊 blocks); 扣除后沿道路或水体 "
                     f"on roads or water beyond it "
                     f"{_pct(o['share_road_or_water_beyond_blocks'])}")
    return lines


# ----------------------------------------------------------------------------- parts
def _one_geometry(parent, microgrids):
    if isinstance(parent, (gpd.GeoDataFrame, gpd.GeoSeries)):
        require_same_crs(microgrids, parent, names=("microgrids", "parent"))
        if len(parent) != 1:
            raise InputError(f"parent must hold one polygon, got {len(parent)} / 上级区域须为一个面.",
                             field="parent", value=len(parent), fix="Pass one grid at a time.")
        return np.asarray(parent.geometry.values, dtype=object)[0]
    if isinstance(parent, shapely.Geometry):
        return parent
    raise InputError("parent must be a GeoDataFrame, GeoSeries or shapely geometry "
                     "/ 上级区域类型错误.", field="parent", value=type(parent).__name__)


def _internal_lines(parent_m, mg: np.ndarray):
    """Each microgrid's boundary without the parent's outline (0.5 m tolerance)."""
    outline = shapely.buffer(shapely.boundary(parent_m), 0.5)
    return shapely.difference(shapely.boundary(mg), outline)


def _boundary(parent_m, mg, road_m, road_cls, water_m, near_m):
    own = _internal_lines(parent_m, mg)
    internal = shapely.line_merge(shapely.union_all(own)) if len(own) else shapely.LineString()
    zones = {c: shapely.buffer(shapely.union_all(road_m[road_cls == c]), near_m)
             for c in ROAD_CLASSES}
    zones["water"] = shapely.buffer(shapely.union_all(water_m), near_m) if len(water_m) \
        else shapely.Polygon()
    zones["road_or_water"] = shapely.union_all(list(zones.values()))
    total = float(shapely.length(internal))
    out: dict[str, Any] = {"internal_m": round(total, 1)}
    per = pd.DataFrame({"internal_m": np.round(shapely.length(own), 1)})
    for name, zone in zones.items():
        on = float(shapely.length(shapely.intersection(internal, zone)))
        out[f"share_{name}"] = _r(on / total) if total > 0 else None
        if name == "road_or_water":
            mine = shapely.length(shapely.intersection(own, zone))
            per["share_road_or_water"] = np.where(per["internal_m"] > 0,
                                                  np.round(mine / np.maximum(
                                                      shapely.length(own), 1e-9), 3), np.nan)
    inside = shapely.buffer(parent_m, -near_m)
    lines = np.concatenate([road_m, water_m])
    out["road_or_water_inside_m"] = round(float(shapely.length(shapely.intersection(
        shapely.union_all(lines), inside))), 1) if len(lines) else 0.0
    return out, per, zones["road_or_water"]


def _walls(parent_m, mg, obj, away, wall_m):
    """Internal boundary within ``wall_m`` of a compound outline and outside ``away``
    (the roads' and water's reach)."""
    comps = obj.loc[obj["is_compound"], "geom_m"].to_numpy()
    if len(comps) == 0:
        return {"length_m": 0.0, "n_compounds": 0}, np.zeros(len(mg))
    walls = shapely.buffer(shapely.union_all(shapely.boundary(comps)), wall_m)
    own = _internal_lines(parent_m, mg)
    along = shapely.difference(shapely.intersection(own, walls), away)
    # a boundary that merely crosses a wall leaves 2·wall_m stubs: not "along" it
    parts, which = shapely.get_parts(shapely.line_merge(along), return_index=True)
    length = shapely.length(parts)
    keep = length > 2 * wall_m + 1.0
    per = np.round(np.bincount(which[keep], weights=length[keep], minlength=len(mg)), 1)
    # each shared edge belongs to two microgrids
    return {"length_m": round(float(per.sum()) / 2, 1), "n_compounds": int(len(comps))}, per


def _offroad(parent_m, mg, obj, zone, wall_m: float, floor_m: float,
             block_floor_m: float = 0.0) -> dict[str, Any]:
    """Internal boundary outside ``zone`` (within ``near_m`` of a road or water), by where
    it lies.

    ``in_compounds_m`` inside compounds (more than ``wall_m`` from their
    outlines), ``on_walls_m`` within ``wall_m`` of a compound outline (of it,
    ``on_shared_walls_m`` where two compounds meet), ``outside_m`` the rest.
    ``share_road_or_water_where_roads`` is the share on roads or water of the
    internal boundary once the off-road length the data impose (``floor_m``,
    the compound cuts of :func:`_split_floor`, at most the plan's own off-road
    length inside compounds) is set aside: the share "wherever the grid has
    roads". ``share_road_or_water_beyond_blocks`` sets aside instead the
    cuts the road blocks need (``block_floor_m``, :func:`_block_floor`, at
    most the plan's own off-road length). The plain share
    (``boundary.share_road_or_water``) is unchanged.
    """
    own = _internal_lines(parent_m, mg)
    internal = shapely.line_merge(shapely.union_all(own)) if len(own) else shapely.LineString()
    off = shapely.difference(internal, zone)
    comps = obj.loc[obj["is_compound"], "geom_m"].to_numpy()
    rims = shapely.buffer(shapely.boundary(comps), wall_m) if len(comps) else comps
    walls = shapely.union_all(rims) if len(comps) else shapely.Polygon()
    inner = shapely.difference(shapely.union_all(comps), walls) if len(comps) \
        else shapely.Polygon()
    shared = shapely.Polygon()
    if len(comps) > 1:
        i, j = shapely.STRtree(rims).query(rims, predicate="intersects")
        keep = i < j
        shared = shapely.union_all(shapely.intersection(rims[i[keep]], rims[j[keep]]))
    total, off_m = float(shapely.length(internal)), float(shapely.length(off))
    in_comp = float(shapely.length(shapely.intersection(off, inner)))
    on_walls = float(shapely.length(shapely.intersection(off, walls)))
    rest = total - min(floor_m, in_comp)
    rest_blocks = total - min(block_floor_m, off_m)
    return {"length_m": round(off_m, 1), "in_compounds_m": round(in_comp, 1),
            "on_walls_m": round(on_walls, 1),
            "on_shared_walls_m": round(float(shapely.length(shapely.intersection(off, shared))),
                                       1),
            "outside_m": round(max(0.0, off_m - in_comp - on_walls), 1),
            "floor_m": round(float(floor_m), 1),
            "share_road_or_water_where_roads": _r((total - off_m) / rest) if rest > 0 else None,
            "share_road_or_water_beyond_blocks": _r((total - off_m) / rest_blocks)
            if rest_blocks > 0 else None}


def _objects(objects, geom_m, weights) -> pd.DataFrame:
    w = WorkloadWeights.coerce(weights)
    types = objects["type"].astype(str).to_numpy() if "type" in objects.columns \
        else np.full(len(objects), "")
    hh = pd.to_numeric(objects["households"], errors="coerce").fillna(0.0).to_numpy(float) \
        if "households" in objects.columns else np.zeros(len(objects))
    bt = objects["business_type"].astype(str).str.strip().str.lower().to_numpy() \
        if "business_type" in objects.columns else np.full(len(objects), "nan")
    polygonal = np.isin(shapely.get_type_id(geom_m), [3, 6])
    housing = (hh > 0) & np.isin(types, ["building", "compound"])
    typed = ~np.isin(bt, list(_HOUSING_TYPES))
    attach = ~housing & (np.isin(types, list(_ATTACH_TYPES))
                         | ((types == "building") & typed))
    return pd.DataFrame({
        "id": objects["id"].to_numpy() if "id" in objects.columns else objects.index.to_numpy(),
        "type": types, "households": hh, "business_type": np.where(typed, bt, None),
        "workload": w.workload(hh, types),
        "geom_m": geom_m, "point": _surface_points(geom_m),
        "is_compound": (types == "compound") & polygonal, "housing": housing, "attach": attach})


def _surface_points(geoms):
    pts = np.asarray(geoms, dtype=object).copy()
    poly = shapely.get_type_id(pts) != 0
    pts[poly] = shapely.point_on_surface(pts[poly])
    return pts


def _where(mg, points) -> np.ndarray:
    """Position in ``mg`` of the microgrid holding each point (-1: none)."""
    out = np.full(len(points), -1, dtype=np.int64)
    if len(points) == 0:
        return out
    pi, gi = shapely.STRtree(mg).query(points, predicate="intersects")
    frame = pd.DataFrame({"p": pi, "g": gi}).sort_values(["p", "g"]).drop_duplicates("p")
    out[frame["p"].to_numpy()] = frame["g"].to_numpy()
    return out


def _pieces(mg, geoms, min_share=0.05, min_m2=20.0):
    """(object row, microgrid, piece) of each polygon in each microgrid it really enters."""
    polys = np.flatnonzero(np.isin(shapely.get_type_id(geoms), [3, 6]))
    if len(polys) == 0:
        return pd.DataFrame({"o": [], "g": [], "piece": []})
    pi, gi = shapely.STRtree(mg).query(geoms[polys], predicate="intersects")
    piece = shapely.intersection(geoms[polys][pi], mg[gi])
    area = shapely.area(piece)
    total = shapely.area(geoms[polys][pi])
    keep = (area > min_m2) & (area > min_share * total)
    return pd.DataFrame({"o": polys[pi][keep], "g": gi[keep], "piece": piece[keep]})


def _compounds(mg, ids, obj, target: float) -> dict[str, Any]:
    rows = np.flatnonzero(obj["is_compound"].to_numpy())
    geoms = obj["geom_m"].to_numpy()
    if len(rows) == 0:
        return {"n": 0, "over_cut": 0, "items": []}
    pieces = _pieces(mg, geoms[rows])
    count = np.bincount(pieces["o"].astype(int), minlength=len(rows)) if len(pieces) \
        else np.zeros(len(rows), int)
    pts = obj["point"].to_numpy()
    hh = obj["households"].to_numpy()
    members = np.zeros(len(rows))
    res_bldg = np.flatnonzero((obj["type"].to_numpy() == "building") & (hh > 0))
    if len(res_bldg):
        ci, bi = shapely.STRtree(geoms[rows]).query(pts[res_bldg], predicate="within")[::-1]
        np.add.at(members, ci, hh[res_bldg][bi])
    items = []
    for j, r in enumerate(rows):
        w = max(float(hh[r]), float(members[j]))
        need = int(need_pieces([w], target)[0])
        items.append({"id": _plain(obj["id"].iat[r]), "households": round(w, 1),
                      "pieces": int(max(1, count[j])), "need": need})
    return {"n": len(items), "over_cut": sum(i["pieces"] > i["need"] for i in items),
            "cut": sum(i["pieces"] > 1 for i in items), "target": round(target, 1),
            "items": items}


def _anchors(mg, obj):
    """Housing anchors: (point-like geometry, microgrid position, object row)."""
    geoms = obj["geom_m"].to_numpy()
    rows = np.flatnonzero(obj["housing"].to_numpy())
    poly = np.isin(shapely.get_type_id(geoms[rows]), [3, 6])
    pts = rows[~poly]
    g_pts = _where(mg, geoms[pts])
    pieces = _pieces(mg, geoms[rows[poly]], min_share=0.0, min_m2=1.0)
    geo = np.concatenate([geoms[pts], pieces["piece"].to_numpy(dtype=object)])
    where = np.concatenate([g_pts, pieces["g"].to_numpy(dtype=np.int64)])
    ok = where >= 0
    return geo[ok], where[ok]


def _nearest(mg, ids, obj, road_m) -> tuple[dict[str, Any], np.ndarray]:
    """Objects to attach whose microgrid is not that of their nearest housing."""
    att = np.flatnonzero(obj["attach"].to_numpy())
    per = np.zeros(len(mg), dtype=np.int64)
    empty = {"n": int(len(att)), "not_nearest": 0, "method": "none", "worst_excess_m": 0.0,
             "items": []}
    geo, where = _anchors(mg, obj)
    if len(att) == 0 or len(geo) == 0:
        return empty, per
    pts = obj["point"].to_numpy()[att]
    own = _where(mg, pts)
    straight = np.full((len(att), len(mg)), np.inf)
    for g in np.unique(where):
        straight[:, g] = shapely.distance(pts[:, None], geo[where == g][None, :]).min(axis=1)
    walk = _walking(pts, geo, where, len(mg), road_m)
    use_walk = np.isfinite(walk).any(axis=1) if walk is not None else np.zeros(len(att), bool)
    dist = np.where(use_walk[:, None], walk if walk is not None else straight, straight)
    best = dist.argmin(axis=1)
    d_best = dist[np.arange(len(att)), best]
    d_own = np.where(own >= 0, dist[np.arange(len(att)), np.maximum(own, 0)], np.inf)
    excess = d_own - d_best
    bad = (own >= 0) & (best != own) & (excess > 1.0)
    items = [{"id": _plain(obj["id"].iat[att[i]]), "in": ids[own[i]], "nearest": ids[best[i]],
              "excess_m": _r(excess[i], 1)} for i in np.flatnonzero(bad)]
    np.add.at(per, own[bad], 1)
    method = ("walking" if use_walk.all() else "straight-line" if not use_walk.any()
              else f"walking ({int(use_walk.sum())}), straight-line ({int((~use_walk).sum())})")
    worst = max((i["excess_m"] for i in items if i["excess_m"] is not None), default=0.0)
    return {"n": int(len(att)), "not_nearest": len(items), "method": method,
            "worst_excess_m": worst, "in_microgrid_without_housing":
                sum(i["excess_m"] is None for i in items), "items": items}, per


def _walking(pts, anchors, where, k, road_m):
    """Walking distance (:class:`geogrid.walking.WalkNetwork`, the engine's notion too)
    from each point to the nearest anchor of each microgrid; None without roads."""
    net = WalkNetwork(road_m)
    if net.empty:
        return None
    anchor_pts, owner = outline_points(anchors)
    return net.group_distances(pts, anchor_pts, where[owner], k)


def _business(mg, obj) -> tuple[dict[str, Any], pd.DataFrame]:
    typed = obj[obj["business_type"].notna()]
    per = pd.DataFrame({"n_typed": np.zeros(len(mg), int), "majority_share": np.nan,
                        "entropy_bits": np.nan})
    if typed.empty:
        return {"n_typed": 0, "majority_share": None, "grid_majority_share": None,
                "entropy_bits": None, "microgrids_without_typed": int(len(mg))}, per
    g = _where(mg, typed["point"].to_numpy())
    tab = pd.crosstab(g[g >= 0], typed["business_type"].to_numpy()[g >= 0])
    counts = tab.to_numpy(float)
    tot = counts.sum(axis=1)
    p = counts / tot[:, None]
    ent = -(np.where(p > 0, p * np.log2(np.where(p > 0, p, 1)), 0)).sum(axis=1)
    per.loc[tab.index, "n_typed"] = tot.astype(int)
    per.loc[tab.index, "majority_share"] = np.round(counts.max(axis=1) / tot, 3)
    per.loc[tab.index, "entropy_bits"] = np.round(ent, 3)
    grid_counts = counts.sum(axis=0)
    return {"n_typed": int(tot.sum()), "majority_share": _r(counts.max(axis=1).sum() / tot.sum()),
            "grid_majority_share": _r(grid_counts.max() / grid_counts.sum()),
            "entropy_bits": _r(float((ent * tot).sum() / tot.sum())),
            "microgrids_without_typed": int(len(mg) - len(tab))}, per


def _polsby_popper(mg) -> np.ndarray:
    a, p = shapely.area(mg), shapely.length(mg)
    return np.round(np.where(p > 0, 4 * math.pi * a / np.maximum(p * p, 1e-12), 0.0), 4)


def _cv_floor(obj, k: int, target: float, pieces: dict | None = None) -> float:
    """Lowest workload CV any plan of ``k`` microgrids can reach (contiguity ignored).

    Buildings and points are indivisible units; a compound is divisible into
    pieces of at most ``target``, or, with ``pieces`` (compound id → most
    pieces allowed, the compound rule's need), into that many equal pieces;
    :func:`geogrid.workload.cv_floor_within_need` water-fills them into ``k``
    microgrids (the engine chooses its count by the same bound).
    """
    w = obj["workload"].to_numpy(float)
    comp = obj["is_compound"].to_numpy(bool)
    if pieces is not None:
        m = [pieces.get(_plain(oid), 1) if c else 1 for oid, c in zip(obj["id"].to_numpy(), comp)]
    else:
        m = np.where(comp & (target > 0) & (w > target),
                     np.ceil(w / target if target > 0 else 1.0), 1)
    return cv_floor_within_need(w, np.asarray(m, dtype=np.int64), k)


def _split_floor(obj, items, zone, internal_m: float, target: float) -> dict:
    """Off-road boundary that splitting compounds into the pieces they need takes.

    Each compound needing ``m > 1`` pieces is cut by ``m - 1`` parallel
    straight lines, in whichever of 12 directions (every 15°) and wherever
    each piece still holds at most ``NEED_TOLERANCE × target`` (households
    spread by area) the lines are shortest *off roads*: the part of each line
    farther than ``near_m`` from every road and water is what counts, so a cut
    along an internal road or path costs nothing. It is an estimate of the
    least the data impose (a bent cut can be shorter), not a proof;
    ``share_road_or_water_max`` is what this plan's internal boundary length
    would reach with no other off-road boundary.
    """
    need = {i["id"]: (i["need"], i["households"]) for i in items if i["need"] > 1}
    rows = np.flatnonzero(obj["is_compound"].to_numpy()
                          & np.isin(obj["id"].to_numpy(), list(need)))
    total = 0.0
    for r in rows:
        m, hh = need[_plain(obj["id"].iat[r])]
        cap = min(1.0, NEED_TOLERANCE * target / hh) if hh > 0 and target > 0 else 1.0 / m
        total += shortest_cut_angle(obj["geom_m"].iat[r], m, cap, zone)[1]
    share = 1.0 - total / internal_m if internal_m > 0 else None
    return {"compound_split_offroad_m": round(total, 1),
            "share_road_or_water_max": None if share is None else _r(max(0.0, share))}


#: precision (metres) of the overlay that cuts the land into road blocks: a centimetre, far
#: below any boundary the metrics judge, and what keeps GEOS's overlay robust on real layers
_GRID_M = 0.01


def road_blocks(parent_m, road_m, road_cls, water_m) -> np.ndarray:
    """The land of ``parent_m`` between roads, rail and water: one polygon per block.

    Road lines of class ``none`` (piers, ferries) divide nothing; water
    polygons are taken out of the land and their outlines divide it, as
    water lines do. Lines that end inside a block (a dead end) do not divide it.

    >>> grid = shapely.box(0, 0, 100, 100)
    >>> road = np.array([shapely.LineString([(50, -5), (50, 105)]),
    ...                  shapely.LineString([(0, 50), (30, 50)])], dtype=object)
    >>> sorted(shapely.area(road_blocks(grid, road, np.array(["minor", "path"]), [])).round().tolist())
    [5000.0, 5000.0]
    """
    road_m, water_m = np.asarray(road_m, dtype=object), np.asarray(water_m, dtype=object)
    land = shapely.make_valid(parent_m)
    wpoly = water_m[np.isin(shapely.get_type_id(water_m), [3, 6])] if len(water_m) else water_m
    if len(wpoly):      # real water layers hold self-touching rings: made valid first
        wpoly = shapely.make_valid(wpoly)
        land = shapely.difference(land, shapely.union_all(wpoly, grid_size=_GRID_M),
                                  grid_size=_GRID_M)
    lines = np.concatenate([road_m[np.asarray(road_cls) != "none"], shapely.boundary(wpoly),
                            water_m[~np.isin(shapely.get_type_id(water_m), [3, 6])]
                            if len(water_m) else water_m])
    lines = shapely.intersection(lines, land) if len(lines) else lines
    net = shapely.union_all(np.concatenate([[shapely.boundary(land)], lines]), grid_size=_GRID_M)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(net)))
    inside = shapely.contains(land, shapely.point_on_surface(faces)) if len(faces) else faces
    return faces[np.asarray(inside, dtype=bool)] if len(faces) else faces


def _block_floor(parent_m, mg, obj, road_m, road_cls, water_m, zone, internal_m: float,
                 target: float) -> dict:
    """Off-road boundary that cutting the road blocks into the pieces they need takes.

    A block (:func:`road_blocks`) of workload ``W`` needs ``⌈W / (1.15 ·
    target)⌉`` pieces (no more than its objects and its compounds' pieces can
    make); it is cut by the shortest straight cuts
    (:func:`geogrid.cuts.shortest_cut_angle`) that leave each piece at most
    ``1.15 × target``, the workload where the objects stand and a compound's
    own households (beyond those of the buildings in it) spread over its
    area. An estimate of what the data impose wherever the boundary runs
    (inside compounds, along walls or between buildings), not a proof.
    ``blocks`` lists each block the plan or the floor cuts off roads: its
    workload, pieces needed, floor and the plan's own off-road metres in it.
    """
    blocks = road_blocks(parent_m, road_m, road_cls, water_m)
    geoms, w = _masses(obj)
    total, cut, items = 0.0, 0, []
    off = shapely.get_parts(shapely.difference(
        shapely.union_all(_internal_lines(parent_m, mg)), zone))
    off_tree = shapely.STRtree(off)
    if len(blocks) and len(geoms) and target > 0:
        tree = shapely.STRtree(geoms)
        for blk in blocks:
            idx = tree.query(blk, predicate="intersects")
            part = shapely.intersection(geoms[idx], blk)
            point = shapely.get_type_id(part) == 0
            share = np.where(point, 1.0, shapely.area(part) / np.maximum(
                shapely.area(geoms[idx]), 1e-9))
            m, cap = _block_need(np.where(point, share * w[idx], np.nan),
                                 np.where(point, np.nan, share * w[idx]), target)
            floor = shortest_cut_angle(blk, m, cap, zone, masses=(part, share * w[idx]))[1] \
                if m > 1 else 0.0
            total, cut = total + floor, cut + (m > 1)
            near = off_tree.query(blk)
            plan = float(shapely.length(shapely.intersection(
                off[near], shapely.buffer(blk, 0.5))).sum()) if len(near) else 0.0
            if m > 1 or plan > 1.0:
                items.append({"workload": _r(float((share * w[idx]).sum()), 1), "need": m,
                              "floor_m": _r(floor, 1), "plan_offroad_m": _r(plan, 1)})
    share = 1.0 - total / internal_m if internal_m > 0 else None
    return {"block_split_offroad_m": round(total, 1), "blocks_needing_cuts": cut, "blocks": items,
            "share_road_or_water_max_blocks": None if share is None else _r(max(0.0, share))}


def _block_need(points: np.ndarray, areas: np.ndarray, target: float) -> tuple[int, float]:
    """Pieces a block needs and the largest share a piece may hold.

    ``points``: workload of indivisible objects (NaN elsewhere); ``areas``:
    workload spread over compounds (NaN elsewhere). An object heavier than
    ``1.15 × target`` is a piece of its own whatever the cut; the rest needs
    ``⌈rest / (1.15 · target)⌉`` pieces, and no more pieces than there are
    objects and compound pieces. A piece may hold ``1.15 × target`` or the
    heaviest object.

    >>> _block_need(np.array([499.0, 4.0, np.nan]), np.array([np.nan, np.nan, 0.0]), 300.0)[0]
    1
    >>> m, cap = _block_need(np.array([639.0, 400.0, 50.0]), np.full(3, np.nan), 300.0)
    >>> m, round(cap, 3)
    (2, 0.587)
    """
    pts, area = points[np.isfinite(points)], areas[np.isfinite(areas)]
    total = float(pts.sum() + area.sum())
    limit = NEED_TOLERANCE * target
    heavy = pts > limit
    rest = total - float(pts[heavy].sum())
    units = int((~heavy).sum()) + int(need_pieces(area, target).sum()) if rest > 0 else 0
    m = max(int(heavy.sum()), min(int(need_pieces([rest], target)[0]), units) if rest > 0
            else 0, 1)
    cap = min(1.0, max(limit, float(pts.max(initial=0.0))) / total) if total > 0 else 1.0
    return m, cap


def _masses(obj):
    """Workload geometry for the block floor: non-compound objects at their points,
    compounds as polygons with the households their member buildings do not carry."""
    comp = obj["is_compound"].to_numpy(bool)
    pts, geoms = obj["point"].to_numpy(), obj["geom_m"].to_numpy()
    w = obj["workload"].to_numpy(float).copy()
    rows = np.flatnonzero(comp)
    if len(rows):
        members = np.flatnonzero(~comp & (obj["households"].to_numpy(float) > 0))
        ci, bi = shapely.STRtree(geoms[rows]).query(pts[members], predicate="within")[::-1]
        held = np.bincount(ci, weights=obj["households"].to_numpy(float)[members][bi],
                           minlength=len(rows))
        w[rows] = np.maximum(0.0, w[rows] - held)
    out = np.where(comp, geoms, pts)
    keep = w > 0
    return out[keep], w[keep]


def _r(x, nd: int = 3):
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return None
    return round(float(x), nd)


def _pct(x) -> str:
    return "n/a" if x is None else f"{100 * x:.0f} %"


def _plain(v):
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return None if not math.isfinite(float(v)) else float(v)
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v
