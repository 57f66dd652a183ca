"""Whole-plan invariants, checked independently of the validator under test.

For every area its children of a tiling level tile it (no gap, no overlap); no two
areas of one level overlap anywhere in the plan (also across parents, which a
per-parent check cannot see); 楼组 lie inside their microgrid; microgrid codes are
15-digit unit-grid codes, unique, and every coded area's code begins with the code
of its grid. Measured in metres in UTM 51N (Shanghai): a gap, overlap or spill
counts when something of it is wider than 2 × ``TOLERANCE_M`` (what is left after an
inward buffer by ``TOLERANCE_M``), so the millimetre slivers that shapes cut and
reprojected separately leave along kilometres of shared edge do not, and any real
one does, however small its area.
"""

from __future__ import annotations

import geopandas as gpd
import shapely

__all__ = ["plan_problems", "TOLERANCE_M"]

#: half the width below which a sliver is floating-point noise (m)
TOLERANCE_M = 0.05
_METRIC = 32651


def _real(geom, tolerance: float) -> float:
    """Area (m²) of what of ``geom`` is wider than 2 × ``tolerance``."""
    return float(shapely.area(shapely.buffer(geom, -tolerance)))


def plan_problems(areas: gpd.GeoDataFrame, tolerance: float = TOLERANCE_M) -> list[str]:
    """Every broken invariant of a plan's areas (``id, level, code, parent_id, geometry``)."""
    m = areas.to_crs(_METRIC).set_index("id")
    out = []
    for parent, kids in m[m["parent_id"].notna()].groupby("parent_id"):
        if parent not in m.index:
            out.append(f"{list(kids.index)[:3]}: parent {parent} missing")
            continue
        shape = m.geometry[parent]
        for level, same in kids.groupby("level"):
            union = shapely.union_all(same.geometry.values)
            if level == "building_group":
                outside = _real(union.difference(shape), tolerance)
                if outside > 0:
                    out.append(f"{parent}: 楼组 {outside:.1f} m² outside it")
                continue
            gap = _real(shape.difference(union), tolerance)
            spill = _real(union.difference(shape), tolerance)
            if gap > 0 or spill > 0:
                out.append(f"{parent}: {level} leave {gap:.1f} m² uncovered, "
                           f"{spill:.1f} m² outside")
    for level, same in m[m["level"] != "building_group"].groupby("level"):
        out += [f"{level} {a} and {b} overlap by {area:.1f} m²"
                for a, b, area in _overlaps(same, tolerance)]
    return out + _code_problems(areas)


def _overlaps(frame: gpd.GeoDataFrame, tolerance: float):
    geoms = frame.geometry.values
    left, right = frame.sindex.query(geoms, predicate="intersects")
    for i, j in zip(left, right):
        if i < j:
            area = _real(shapely.intersection(geoms[i], geoms[j]), tolerance)
            if area > 0:
                yield frame.index[i], frame.index[j], area


def _code_problems(areas: gpd.GeoDataFrame) -> list[str]:
    parent = dict(zip(areas["id"], areas["parent_id"]))
    level = dict(zip(areas["id"], areas["level"]))
    code = dict(zip(areas["id"], areas["code"]))

    def grid_of(aid):
        while aid is not None and level.get(aid) != "grid":
            aid = parent.get(aid)
        return aid

    out = []
    mg = areas[areas["level"] == "microgrid"]
    bad = [c for c in mg["code"] if not (isinstance(c, str) and len(c) == 15 and c.isdigit())]
    if bad:
        out.append(f"microgrid codes not 15 digits: {bad[:5]}")
    dup = mg["code"][mg["code"].duplicated()].tolist()
    if dup:
        out.append(f"microgrid codes used twice: {dup[:5]}")
    for aid, c in code.items():
        g = grid_of(parent.get(aid))
        if isinstance(c, str) and g is not None and isinstance(code.get(g), str) \
                and not c.startswith(code[g]):
            out.append(f"{aid}: code {c} does not begin with its grid's {code[g]}")
    return out

