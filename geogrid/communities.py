"""Derived 居民区 / 商务区, microgrid quotas, and the edges a data extract cuts.

Three pure steps used to build a street when only map data exist (no official
community boundaries, no official microgrid count per community):

* :func:`derive_communities` tiles each grid with communities: a residential
  grid with one 居民区 per named compound (小区) inside it, every point of the
  grid going to its nearest compound; a business grid with one 商务区 (the
  named business district the grid is). Every row is flagged ``derived``: it is
  an estimate from the data, not the street's registered community;
* :func:`pro_rata_quota` scales a reported microgrid count to the share of the
  street's area the data cover, then shares it among communities by weight
  (largest remainder, at least one each);
* :func:`extent_edges` finds the stretches of a polygon's boundary that run along
  the data's rectangular extent: straight cut lines of the extract, not a real
  boundary.

>>> import geopandas as gpd, shapely
>>> grid = gpd.GeoDataFrame({"id": ["g"], "name": ["住区"], "kind": ["residential"],
...     "code": ["310115005001"]}, geometry=[shapely.box(0, 0, 2, 1)], crs=4490)
>>> comps = gpd.GeoDataFrame({"id": ["a", "b"], "name": ["甲村", "乙村"]},
...     geometry=[shapely.box(0.1, 0.1, 0.4, 0.4), shapely.box(1.6, 0.6, 1.9, 0.9)], crs=4490)
>>> out = derive_communities(grid, comps)
>>> list(out["name"]), round(float(shapely.area(out.geometry.values).sum()), 6)
(['甲村居民区', '乙村居民区'], 2.0)
>>> pro_rata_quota(252, 5.0, 6.89, {"a": 3.0, "b": 1.0})
{'a': 137, 'b': 46}
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import shapely

__all__ = ["derive_communities", "derived_community_code", "pro_rata_quota", "extent_edges",
           "DERIVED_NOTE"]

#: what a derived community says about itself (Chinese first)
DERIVED_NOTE = ("由数据中的小区与商务区推算, 非民政登记边界 / derived from the named compounds "
                "and business districts in the map data, not the registered boundary")
#: spacing (degrees, about 10 m) of the points sampled along each compound's outline
_SAMPLE_DEG = 1e-4
#: parts of a derived community smaller than this (deg², about 10 m²) join a neighbour
_SPECK_DEG2 = 1e-9
#: precision grid of derived communities (deg), that of the demo's grids
_GRID_DEG = 1e-7


def derive_communities(grids: gpd.GeoDataFrame, compounds: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Communities tiling every grid: ``id, level, kind, name, code, parent_id, attrs``.

    ``grids`` needs ``id, name, kind, code``; ``compounds`` (polygons) ``id, name``.
    A residential grid with no compound in it, and every business grid, becomes one
    community covering the whole grid. A community's code is its grid's code, ``-`` and a
    2-digit serial in the order the compounds are given (``310115005003-01``): it begins
    with the grid's code, yet can never be taken for a 15-digit CJ/T 213 unit-grid code,
    which the microgrids keep (the standard has no slot for a level between).
    """
    rows, geoms = [], []
    for grid in grids.itertuples():
        inside = compounds[compounds.representative_point().within(grid.geometry)]
        if grid.kind != "residential" or inside.empty:
            suffix = "商务区" if grid.kind == "business" else "居民区"
            parts = [(f"{grid.name}{suffix}", [], grid.geometry)]
        else:
            regions = _nearest_regions(grid.geometry, list(inside.geometry))
            parts = [(f"{name}居民区", [cid], geom)
                     for name, cid, geom in zip(inside["name"], inside["id"], regions)]
        for serial, (name, members, geom) in enumerate(parts, start=1):
            rows.append({"id": f"{grid.id}-c{serial:03d}", "level": "community",
                         "kind": grid.kind, "name": name, "code": derived_community_code(grid.code, serial),
                         "parent_id": grid.id,
                         "attrs": {"derived": True, "derived_from": members or [grid.id],
                                   "note": DERIVED_NOTE}})
            geoms.append(geom)
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=grids.crs)


def derived_community_code(grid_code, serial: int) -> str | None:
    """``310115005003-01``: the code of a derived community, its grid's code, ``-`` and serial.

    None under a grid without a code. The dash keeps it apart from every unit-grid code.

    >>> derived_community_code("310115005003", 1), derived_community_code(None, 1)
    ('310115005003-01', None)
    """
    if grid_code is None or grid_code != grid_code or not str(grid_code):
        return None
    return f"{grid_code}-{int(serial):02d}"


def _nearest_regions(parent, seeds: list) -> list:
    """Split ``parent`` so that each point goes to the nearest of ``seeds`` (exact tiling)."""
    points, owner = [], []
    for i, seed in enumerate(seeds):
        ring = shapely.boundary(seed)
        ring = shapely.segmentize(ring, max(_SAMPLE_DEG, ring.length / 200))
        coords = shapely.get_coordinates(ring)
        points.append(coords)
        owner.append(np.full(len(coords), i))
    pts, owner = np.concatenate(points), np.concatenate(owner)
    pts, first = np.unique(pts.round(9), axis=0, return_index=True)
    owner = owner[first]
    cells = shapely.get_parts(shapely.voronoi_polygons(
        shapely.multipoints(pts), extend_to=shapely.box(*parent.buffer(0.01).bounds),
        ordered=True))
    cells = shapely.make_valid(cells)
    cell_owner = owner
    regions, taken = [], None
    for i in range(len(seeds)):
        zone = shapely.union_all(cells[cell_owner == i]).union(seeds[i])
        piece = parent.intersection(zone) if taken is None else \
            parent.intersection(zone).difference(taken)
        regions.append(piece)
        taken = piece if taken is None else taken.union(piece)
    # whatever floating point left out goes to the last region: the tiling stays exact
    regions[-1] = regions[-1].union(parent.difference(taken))
    regions = _absorb_specks(regions)
    # snap-round to 1e-7° (1 cm) like the grids: removes the zero-width spikes that the
    # cuts leave, which would otherwise become sliver cells; the last region takes the rest
    done, taken = [], shapely.Polygon()
    for region in regions[:-1]:
        piece = shapely.set_precision(region, _GRID_DEG).difference(taken, grid_size=_GRID_DEG)
        done.append(piece)
        taken = taken.union(piece, grid_size=_GRID_DEG)
    last = shapely.set_precision(parent, _GRID_DEG).difference(taken, grid_size=_GRID_DEG)
    return [_polygonal(r) for r in [*done, last]]


def _absorb_specks(regions: list, min_area: float = _SPECK_DEG2) -> list:
    """Give every part smaller than ``min_area`` to the region sharing most boundary with it
    (kept where it is when it touches no other region), so no region has sliver parts."""
    regions = list(regions)
    for i in range(len(regions)):
        parts = shapely.get_parts(regions[i])
        small = [p for p in parts if p.area < min_area]
        if not small or len(small) == len(parts):
            continue
        for part in small:
            edge = part.boundary.buffer(1e-9)
            shared = [0.0 if j == i else edge.intersection(r).area for j, r in enumerate(regions)]
            j = int(np.argmax(shared))
            if shared[j] > 0:
                regions[i] = regions[i].difference(part)
                regions[j] = regions[j].union(part)
    return regions


def _polygonal(geom):
    polys = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area > 0]
    return shapely.MultiPolygon(polys)


def pro_rata_quota(reported: int, covered_km2: float, street_km2: float,
                   weights: Mapping[str, float]) -> dict[str, int]:
    """``round(reported × covered / street)`` microgrids, shared by ``weights``.

    Each key gets at least one; the rest goes by largest remainder of its share
    of the weights (equal shares when every weight is zero).
    """
    total = max(len(weights), int(round(reported * covered_km2 / street_km2)))
    keys = list(weights)
    w = np.array([max(0.0, float(weights[k])) for k in keys])
    w = w / w.sum() if w.sum() > 0 else np.full(len(keys), 1.0 / len(keys))
    spare = total - len(keys)
    exact = w * spare
    base = np.floor(exact).astype(int)
    order = np.argsort(-(exact - base), kind="stable")
    base[order[:spare - int(base.sum())]] += 1
    return {k: int(1 + b) for k, b in zip(keys, base)}


def extent_edges(polygon, extent: tuple[float, float, float, float], *,
                 tolerance: float = 1e-6):
    """The parts of ``polygon``'s boundary lying on the rectangle ``extent`` (a MultiLineString).

    These are the straight lines where a data extract was cut, not boundaries on the
    ground. ``tolerance`` is in the polygon's units.
    """
    frame = shapely.box(*extent).boundary.buffer(tolerance, cap_style="flat")
    on = shapely.intersection(shapely.boundary(polygon), frame)
    lines = [g for g in shapely.get_parts(shapely.line_merge(on))
             if g.geom_type == "LineString" and g.length > 10 * tolerance]
    return shapely.MultiLineString(lines)
