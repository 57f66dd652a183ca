"""A tessellation of the parent into cells, one cell per management object.

The microgrids are unions of these cells, so the microgrids tile the parent
exactly because the cells do. The cells are built in a metric CRS from one
planar arrangement of lines, so neighbouring cells share their edges vertex
for vertex:

1. **Regions.** The parent's boundary, the roads and barriers clipped to it,
   and the compound outlines are noded together (OSM roads are not noded) and
   polygonised. Each face whose interior point lies inside the parent is a
   *region*: a piece of a road block, inside or outside a compound. Regions
   joined by compound walls only form a *block*.
2. **Voronoi per scope.** Each object contributes one *seed* (a point; a
   point on the surface of a polygon), large footprints a few more along
   their outline so the cell wraps the whole footprint, and compounds too
   large for one microgrid a lattice of virtual seeds. A region is shared out
   by the Voronoi diagram of a *scope* of seeds, clipped to it: a compound by
   its own seeds (so a compound is a union of whole cells); the rest of a
   block by all seeds of the block, those behind the walls included (the
   street front outside a wall goes to the nearest building, inside or out:
   打破围墙); a block with no seed at all by all seeds. Cells never cross a
   road except into a block that has no object of its own.
3. **Faces.** Region lines and Voronoi edges are noded once more and
   polygonised. A face takes the label of the nearest seed of its region's
   scope (the Voronoi cell it lies in). A face not connected to the face of
   its label's own seed (the far side of a concave region, an empty block not
   touching its seed's cell) joins the neighbouring cell it shares the most
   *affinity* with — the longest boundary, discounted by the barrier between
   them (a sidewalk sliver joins the houses behind the sidewalk, not the
   houses across the main road).
4. **Adjacency.** Every edge of the arrangement borders at most two faces;
   its midpoint finds them (``dwithin`` a micrometre) and the source line it
   lies on (a road of some class, a wall, or none), giving the cell adjacency
   graph with shared lengths and barrier classes.

This is in the spirit of the morphological tessellation of momepy (Fleischmann
et al., 2020, *Computers, Environment and Urban Systems* 80), with roads as
hard limits ("enclosed tessellation").
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from .inputs import BarrierClass

__all__ = ["Tessellation", "tessellate", "AFFINITY", "affinity_factor"]

_TOL = 1e-6  # metres: "lies on" tolerance for points of the noded arrangement
#: the arrangement is snap-rounded to this grid (metres). Lines closer than this
#: (a footprint clipped to the parent's edge, a road drawn along it) merge
#: instead of leaving femtometre slivers that reprojection could turn invalid;
#: the parent's edge moves by at most 0.7 µm.
GRID = 1e-6

#: affinity of two cells per metre of shared boundary, by the line between them.
#: Used to merge seed-less faces and as METIS edge weights (cut is cheap where
#: this is small: microgrid boundaries follow major roads, rivers and rail).
AFFINITY = {
    BarrierClass.NONE: 1.0,
    BarrierClass.WALL: 1.0,      # 打破围墙边界: walls are not boundaries
    BarrierClass.PATH: 0.5,
    BarrierClass.MINOR: 0.15,
    BarrierClass.MAJOR: 0.01,
    BarrierClass.BARRIER: 0.005,
    BarrierClass.OUTER: 0.0,
}
_AFF = np.array([AFFINITY[BarrierClass(i)] for i in range(len(BarrierClass))])


def affinity_factor(classes: np.ndarray) -> np.ndarray:
    """Affinity per metre for an array of :class:`BarrierClass` values."""
    return _AFF[np.asarray(classes, dtype=int)]


@dataclass
class Tessellation:
    """Cells and their adjacency, in the metric CRS.

    ``cells``: GeoDataFrame with ``cell`` (0..n-1), ``label`` (the seed label
    it came from, -1 for a seed-less cell), ``block``, ``compound_id``,
    ``area_m2`` and the geometry. ``edges``: one row per shared piece of
    boundary between two different cells: ``a < b``, ``length``, ``cls`` (a
    :class:`BarrierClass`) and ``source`` (id of the road or compound the edge
    lies on, or None). ``label_cell`` maps every seed label to its cell.
    """

    cells: gpd.GeoDataFrame
    edges: pd.DataFrame
    label_cell: dict[int, int]
    n_regions: int
    n_faces: int


def tessellate(parent_m, seeds: np.ndarray, seed_label: np.ndarray, *,
               lines: np.ndarray | None = None, line_classes: np.ndarray | None = None,
               line_ids: np.ndarray | None = None,
               compounds: gpd.GeoDataFrame | None = None,
               footprints: np.ndarray | None = None,
               footprint_label: np.ndarray | None = None) -> Tessellation:
    """Tessellate ``parent_m`` around ``seeds``.

    Parameters
    ----------
    parent_m : Polygon or MultiPolygon in a metric CRS.
    seeds : array of Points inside the parent.
    seed_label : int array, the cell label of each seed. Several seeds may share
        a label (one object's outline points); the first seed of a label is its
        primary seed, whose face anchors the cell.
    lines, line_classes, line_ids : roads and barriers (clipped to the parent),
        their :class:`BarrierClass` and ids.
    compounds : disjoint compound polygons (``compound_id`` column).
    footprints, footprint_label : building footprints and the label of their
        building; a footprint goes whole to its building's cell.
    """
    crs = compounds.crs if compounds is not None else None
    shapely.prepare(parent_m)

    src, src_cls, src_id, comp_geoms, comp_ids, fp_geoms, fp_label = _source_lines(
        parent_m, lines, line_classes, line_ids, compounds, footprints, footprint_label)

    # --- 1. regions and blocks; seeds → regions ---------------------------------------
    noded1 = shapely.union_all(src, grid_size=GRID)
    seeds = np.asarray(seeds, dtype=object)
    seed_label = np.asarray(seed_label, dtype=int)
    regions, region_tree, region_comp, block, pocket, seed_region = _regions(
        noded1, parent_m, comp_geoms, comp_ids, src, src_cls, src_id, seeds)

    # --- 2. which seeds share out each region ------------------------------------------
    # a building footprint goes to its building; a compound with seeds is shared
    # among its own seeds; any other region among all seeds of its block (those
    # behind walls and in footprints included); a block without seeds among all.
    scope, scope_seeds, split_scopes = _scopes(regions, block, region_comp, seed_region,
                                               seed_label, fp_geoms, fp_label)

    noded2 = _with_voronoi(noded1, regions, scope, scope_seeds, seeds, seed_label)

    # --- 3. faces, each in its region ------------------------------------------------
    faces = _faces(noded2, parent_m)
    face_reps = shapely.point_on_surface(faces)
    face_region = _face_regions(region_tree, face_reps)
    face_tree = shapely.STRtree(faces)

    # --- 4. arrangement edges: the faces on either side, the line they lie on --------
    fe = _arrangement_edges(noded2, faces, src, src_cls, src_id)
    # faces of different regions meet on a region line; if the midpoint search
    # missed the line (it should not), call it a minor road
    cross = face_region[fe["a"].to_numpy()] != face_region[fe["b"].to_numpy()]
    unknown = fe["source"].isna().to_numpy()
    fe.loc[cross & unknown & (fe["cls"].to_numpy() == 0), "cls"] = int(BarrierClass.MINOR)
    fe["aff"] = fe["length"].to_numpy() * affinity_factor(fe["cls"].to_numpy())

    # --- 5. label faces: the seed whose Voronoi cell (in the region's scope) holds it ---
    face_label, primary_face, alias = _label_faces(faces, face_reps, face_region, face_tree,
                                                   fe, scope, scope_seeds, seeds, seed_label,
                                                   seed_region, pocket, split_scopes)
    # --- 6. leftover faces join the neighbour with the most affinity ------------------
    face_label = _absorb(face_label, fe)
    empty = face_label < 0
    next_label = int(seed_label.max(initial=-1)) + 1
    if empty.any():  # islands without any seed (a part of the parent with no object)
        sub = fe[empty[fe["a"].to_numpy()] & empty[fe["b"].to_numpy()]]
        idx = np.flatnonzero(empty)
        pos = {f: i for i, f in enumerate(idx)}
        g = sparse.coo_matrix((np.ones(len(sub)), ([pos[a] for a in sub["a"]],
                                                   [pos[b] for b in sub["b"]])),
                              shape=(len(idx), len(idx)))
        _, comp = connected_components(g, directed=False)
        face_label[idx] = next_label + comp

    # --- 7. cells -------------------------------------------------------------------------
    return _cells(faces, face_label, fe, alias, primary_face, block, face_region, region_comp,
                  next_label, crs, n_regions=len(regions))


def _regions(noded1, parent_m, comp_geoms, comp_ids, src, src_cls, src_id, seeds):
    """Regions of the line arrangement, their compound and block, and each seed's region."""
    regions = _faces(noded1, parent_m)
    region_tree = shapely.STRtree(regions)
    region_comp = np.full(len(regions), None, dtype=object)
    if len(comp_geoms):
        ri, ci = shapely.STRtree(comp_geoms).query(shapely.point_on_surface(regions),
                                                   predicate="within")
        region_comp[ri] = comp_ids[ci]
    re_ = _arrangement_edges(noded1, regions, src, src_cls, src_id)
    block = _blocks(re_, len(regions))
    # a compound's pockets: its regions between inner roads and paths (joined across
    # footprint outlines and Voronoi edges only, never through land outside the walls)
    ca, cb = region_comp[re_["a"].to_numpy()], region_comp[re_["b"].to_numpy()]
    inner = np.array([x is not None and x == y for x, y in zip(ca, cb)], dtype=bool)
    pocket = _blocks(re_[inner], len(regions))

    # --- seeds → regions ----------------------------------------------------------
    seed_region = _first_hit(region_tree, seeds, len(seeds), predicate="intersects")
    missing = seed_region < 0
    if missing.any():
        si, ri = region_tree.query_nearest(seeds[missing], return_distance=False)
        seed_region[np.flatnonzero(missing)[si]] = ri
    return regions, region_tree, region_comp, block, pocket, seed_region


def _face_regions(region_tree, face_reps) -> np.ndarray:
    """The region holding each face's interior point (the nearest if on an edge)."""
    face_region = _first_hit(region_tree, face_reps, len(face_reps), predicate="within")
    lost = face_region < 0
    if lost.any():  # an interior point on a region boundary: take the nearest region
        fi, ri = region_tree.query_nearest(face_reps[lost], return_distance=False)
        face_region[np.flatnonzero(lost)[fi]] = ri
    return face_region


def _source_lines(parent_m, lines, line_classes, line_ids, compounds, footprints,
                  footprint_label):
    """What each piece of the arrangement may lie on: the parent's rings, the lines,
    compound walls and footprint outlines, with their class and source id."""
    lines = np.empty(0, dtype=object) if lines is None else np.asarray(lines, dtype=object)
    line_classes = np.empty(0, dtype=int) if line_classes is None else np.asarray(line_classes)
    line_ids = np.full(len(lines), None, dtype=object) if line_ids is None else \
        np.asarray(line_ids, dtype=object)
    rings = shapely.get_parts(shapely.boundary(parent_m))
    src = [rings, lines]
    src_cls = [np.full(len(rings), int(BarrierClass.OUTER)), line_classes.astype(int)]
    src_id = [np.full(len(rings), None, dtype=object), line_ids]
    comp_geoms = np.empty(0, dtype=object)
    comp_ids = np.empty(0, dtype=object)
    if compounds is not None and len(compounds):
        comp_geoms = np.asarray(compounds.geometry.values, dtype=object)
        comp_ids = compounds["compound_id"].to_numpy(dtype=object)
        walls, widx = shapely.get_parts(shapely.boundary(comp_geoms), return_index=True)
        src += [walls]
        src_cls += [np.full(len(walls), int(BarrierClass.WALL))]
        src_id += [comp_ids[widx]]
    fp_geoms = np.empty(0, dtype=object) if footprints is None else \
        np.asarray(footprints, dtype=object)
    fp_label = np.empty(0, dtype=int) if footprint_label is None else \
        np.asarray(footprint_label, dtype=int)
    if len(fp_geoms):
        outl, oidx = shapely.get_parts(shapely.boundary(fp_geoms), return_index=True)
        src += [outl]
        src_cls += [np.full(len(outl), int(BarrierClass.NONE))]
        src_id += [np.array([f"footprint:{fp_label[i]}" for i in oidx], dtype=object)]
    src = np.concatenate(src)
    src_cls = np.concatenate(src_cls)
    src_id = np.concatenate(src_id)
    return src, src_cls, src_id, comp_geoms, comp_ids, fp_geoms, fp_label


def _scopes(regions, block, region_comp, seed_region, seed_label, fp_geoms, fp_label):
    """Region → scope id, and scope id → the seeds (indices) that share it out."""
    region_bldg = np.full(len(regions), -1, dtype=int)
    if len(fp_geoms):
        ri, fi = shapely.STRtree(fp_geoms).query(shapely.point_on_surface(regions),
                                                 predicate="within")
        if len(ri):
            tab = pd.DataFrame({"r": ri, "lab": fp_label[fi], "a": shapely.area(fp_geoms[fi])})
            tab = tab.sort_values(["r", "a", "lab"]).drop_duplicates("r")
            region_bldg[tab["r"].to_numpy()] = tab["lab"].to_numpy()
    seed_block = block[seed_region]
    seed_comp = region_comp[seed_region]
    seeded_block = set(seed_block.tolist())
    seeded_comp = {c for c in seed_comp if c is not None}
    seeded_bldg = set(seed_label[region_bldg[seed_region] == seed_label].tolist())
    keys = []
    for r in range(len(regions)):
        if region_bldg[r] >= 0 and region_bldg[r] in seeded_bldg:
            keys.append(("b", int(region_bldg[r])))
        elif region_comp[r] is not None and region_comp[r] in seeded_comp:
            keys.append(("c", str(region_comp[r])))
        elif int(block[r]) in seeded_block:
            keys.append(("k", int(block[r])))
        else:
            keys.append(("g", 0))
    scope, scope_keys = pd.factorize(pd.Series(keys, dtype=object), sort=True)
    split_scopes = frozenset(i for i, key in enumerate(scope_keys) if key[0] == "c")
    scope = np.asarray(scope, dtype=np.int64)
    scope_seeds: dict[int, np.ndarray] = {}
    all_idx = np.arange(len(seed_label))
    for sc, key in enumerate(scope_keys):
        kind, val = key
        if kind == "b":
            scope_seeds[sc] = all_idx[seed_label == val]
        elif kind == "c":
            scope_seeds[sc] = all_idx[np.array([c == val for c in seed_comp], dtype=bool)]
        elif kind == "k":
            scope_seeds[sc] = all_idx[seed_block == val]
        else:
            scope_seeds[sc] = all_idx
    return scope, scope_seeds, split_scopes


def _with_voronoi(noded1, regions, scope, scope_seeds, seeds, seed_label):
    """The arrangement noded with the Voronoi edges of each scope, clipped to it."""
    vor = []
    for sc in np.unique(scope):
        idx = scope_seeds.get(int(sc), np.empty(0, dtype=int))
        if len(np.unique(seed_label[idx])) < 2:
            continue
        area = shapely.union_all(regions[scope == sc]) if (scope == sc).sum() > 1 \
            else regions[scope == sc][0]
        pts = shapely.multipoints(seeds[idx])
        edges = shapely.voronoi_polygons(pts, only_edges=True, extend_to=area)
        clipped = shapely.intersection(edges, area)
        if not shapely.is_empty(clipped):
            vor.append(clipped)
    if vor:
        return shapely.union_all(np.concatenate([shapely.get_parts(noded1),
                                                 shapely.get_parts(np.array(vor, dtype=object))]),
                                 grid_size=GRID)
    return noded1



def _label_faces(faces, face_reps, face_region, face_tree, fe, scope, scope_seeds, seeds,
                 seed_label, seed_region, pocket=None, split_scopes=frozenset()):
    """Each face's label (the seed whose Voronoi cell in the region's scope holds it),
    the primary face of each label, and labels whose seed's face went to another.

    In ``split_scopes`` (compounds), a face takes the nearest seed of its own
    ``pocket`` (region → the part of its compound between inner roads and
    paths) when that part has one, so cells, and the cuts between them, follow the
    compound's inner paths instead of crossing them."""
    face_label = np.full(len(faces), -1, dtype=int)
    face_scope = scope[face_region]
    order = np.argsort(face_scope, kind="stable")
    for sc, fgrp in _groups(face_scope[order], order):
        idx = scope_seeds.get(int(sc), np.empty(0, dtype=int))
        if len(idx) == 0:
            continue
        if sc in split_scopes:  # a compound: each side of an inner path by its own seeds
            face_label[fgrp] = _nearest_by_block(face_reps[fgrp], pocket[face_region[fgrp]],
                                                 seeds[idx], pocket[seed_region[idx]],
                                                 seed_label[idx])
            continue
        tree = shapely.STRtree(seeds[idx])
        qi, si = tree.query_nearest(face_reps[fgrp], return_distance=False, all_matches=False)
        face_label[fgrp[qi]] = seed_label[idx[si]]
    # the face holding each label's primary seed anchors the label's cell
    primary_face: dict[int, int] = {}
    alias: dict[int, int] = {}
    qi, qf = face_tree.query(seeds, predicate="dwithin", distance=_TOL)
    same = face_region[qf] == seed_region[qi]
    cand = pd.DataFrame({"s": qi[same], "f": qf[same]})
    cand["own"] = face_label[cand["f"].to_numpy()] == seed_label[cand["s"].to_numpy()] \
        if len(cand) else []
    cand = cand.sort_values(["s", "own", "f"], ascending=[True, False, True])
    first = cand.drop_duplicates("s")
    seed_face = np.full(len(seeds), -1, dtype=int)
    seed_face[first["s"].to_numpy()] = first["f"].to_numpy()
    for s_ in np.argsort(seed_label, kind="stable"):
        lab, f = int(seed_label[s_]), int(seed_face[s_])
        if lab in primary_face or lab in alias or f < 0:
            continue
        if face_label[f] == lab:
            primary_face[lab] = f
        else:  # the seed's face went to another label (coincident seeds): share its cell
            alias[lab] = int(face_label[f])
    face_label[[f for f in range(len(faces)) if face_label[f] >= 0
                and face_label[f] not in primary_face]] = -1
    # keep, per label, only the faces connected to its primary face
    face_label = _keep_primary_component(face_label, fe, primary_face)
    return face_label, primary_face, alias


def _cells(faces, face_label, fe, alias, primary_face, block, face_region, region_comp,
           next_label, crs, *, n_regions: int) -> Tessellation:
    """Faces dissolved into cells, each cell's block and compound, and the cell edges."""
    labels, face_cell = np.unique(face_label, return_inverse=True)
    label_cell = {int(lab): int(c) for c, lab in enumerate(labels)}
    for lab, target in alias.items():
        while target in alias:
            target = alias[target]
        label_cell[lab] = label_cell[target]
    geoms = _dissolve(faces, face_cell, len(labels))
    # cell block/compound: those of its primary face
    anchor = np.full(len(labels), -1, dtype=int)
    for lab, f in primary_face.items():
        if lab in label_cell and anchor[label_cell[lab]] < 0:
            anchor[label_cell[lab]] = f
    no_anchor = anchor < 0
    if no_anchor.any():
        largest = pd.DataFrame({"c": face_cell, "a": shapely.area(faces),
                                "f": np.arange(len(faces))})
        largest = largest.sort_values(["c", "a"], ascending=[True, False]).drop_duplicates("c")
        anchor[largest["c"].to_numpy()[no_anchor[largest["c"].to_numpy()]]] = \
            largest["f"].to_numpy()[no_anchor[largest["c"].to_numpy()]]
    cells = gpd.GeoDataFrame({
        "cell": np.arange(len(labels)),
        "label": np.where(labels >= next_label, -1, labels),
        "block": block[face_region[anchor]],
        "compound_id": pd.Series(region_comp[face_region[anchor]], dtype=object),
        "area_m2": shapely.area(geoms),
    }, geometry=geoms, crs=crs)
    ca, cb = face_cell[fe["a"].to_numpy()], face_cell[fe["b"].to_numpy()]
    keep = ca != cb
    edges = pd.DataFrame({"a": np.minimum(ca, cb)[keep], "b": np.maximum(ca, cb)[keep],
                          "length": fe["length"].to_numpy()[keep],
                          "cls": fe["cls"].to_numpy()[keep],
                          "source": fe["source"].to_numpy()[keep]})
    edges = edges.sort_values(["a", "b", "cls"], kind="stable").reset_index(drop=True)
    return Tessellation(cells=cells, edges=edges, label_cell=label_cell,
                        n_regions=n_regions, n_faces=len(faces))


def _faces(noded, parent_m) -> np.ndarray:
    """Polygonise noded lines; keep the faces inside the parent (not in its holes)."""
    polys = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    if len(polys) == 0:
        return polys
    reps = shapely.point_on_surface(polys)
    inside = shapely.contains(parent_m, reps) & (shapely.area(polys) > 0)
    polys = polys[inside]
    # deterministic order: by interior point, west→east then south→north
    reps = reps[inside]
    order = np.lexsort((shapely.get_y(reps), shapely.get_x(reps)))
    return polys[order]


def _first_hit(tree: shapely.STRtree, geoms: np.ndarray, n: int, predicate: str) -> np.ndarray:
    out = np.full(n, -1, dtype=int)
    if n == 0:
        return out
    qi, ti = tree.query(geoms, predicate=predicate)
    if len(qi):
        frame = pd.DataFrame({"q": qi, "t": ti}).sort_values(["q", "t"]).drop_duplicates("q")
        out[frame["q"].to_numpy()] = frame["t"].to_numpy()
    return out


def _two_sides(ei: np.ndarray, fi: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """For each edge, the (up to) two faces it borders."""
    a = np.full(n, -1, dtype=int)
    b = np.full(n, -1, dtype=int)
    if len(ei) == 0:
        return a, b
    frame = pd.DataFrame({"e": ei, "f": fi}).sort_values(["e", "f"])
    frame["k"] = frame.groupby("e").cumcount()
    first = frame[frame["k"] == 0]
    second = frame[frame["k"] == 1]
    a[first["e"].to_numpy()] = first["f"].to_numpy()
    b[second["e"].to_numpy()] = second["f"].to_numpy()
    return a, b


def _keep_primary_component(face_label: np.ndarray, fe: pd.DataFrame,
                            primary_face: dict[int, int]) -> np.ndarray:
    """Unlabel the faces of a label that are not connected to its primary face."""
    la, lb = face_label[fe["a"].to_numpy()], face_label[fe["b"].to_numpy()]
    same = (la == lb) & (la >= 0)
    n = len(face_label)
    g = sparse.coo_matrix((np.ones(int(same.sum())),
                           (fe["a"].to_numpy()[same], fe["b"].to_numpy()[same])), shape=(n, n))
    _, comp = connected_components(g, directed=False)
    out = face_label.copy()
    labelled = np.flatnonzero(face_label >= 0)
    keep_comp = {lab: comp[f] for lab, f in primary_face.items()}
    for f in labelled:
        lab = face_label[f]
        if lab in keep_comp and comp[f] != keep_comp[lab]:
            out[f] = -1
    return out


def _nearest_by_block(points, point_block, seeds, seed_block, seed_label) -> np.ndarray:
    """Label of the nearest seed in each point's block (any block's if its own has none)."""
    out = np.empty(len(points), dtype=int)
    tree = shapely.STRtree(seeds)
    own = np.isin(point_block, seed_block)
    if (~own).any():
        rest = np.flatnonzero(~own)
        out[rest] = seed_label[tree.query_nearest(points[rest], return_distance=False,
                                                  all_matches=False)[1]]
    for blk in np.unique(point_block[own]):
        pi = np.flatnonzero(point_block == blk)
        si = np.flatnonzero(seed_block == blk)
        nearest = shapely.STRtree(seeds[si]).query_nearest(points[pi], return_distance=False,
                                                           all_matches=False)
        out[pi[nearest[0]]] = seed_label[si[nearest[1]]]
    return out


def _absorb(face_label: np.ndarray, fe: pd.DataFrame) -> np.ndarray:
    """Give every seed-less face the label of the neighbour it has most affinity with.

    Done in rounds, all faces of a round at once, so the result does not
    depend on the order of the faces.
    """
    label = face_label.copy()
    a, b, aff = fe["a"].to_numpy(), fe["b"].to_numpy(), fe["aff"].to_numpy()
    length = fe["length"].to_numpy()
    # a tiny positive term so that faces joined only across the parent-free
    # classes (affinity 0) can still be absorbed
    score = aff + 1e-9 * length
    while True:
        la, lb = label[a], label[b]
        m1 = (la < 0) & (lb >= 0)
        m2 = (lb < 0) & (la >= 0)
        if not (m1.any() or m2.any()):
            return label
        frame = pd.DataFrame({"f": np.concatenate([a[m1], b[m2]]),
                              "lab": np.concatenate([lb[m1], la[m2]]),
                              "s": np.concatenate([score[m1], score[m2]])})
        best = frame.groupby(["f", "lab"], sort=True)["s"].sum().reset_index()
        best = best.sort_values(["f", "s", "lab"], ascending=[True, False, True])
        best = best.drop_duplicates("f")
        label[best["f"].to_numpy()] = best["lab"].to_numpy()


def _blocks(re_: pd.DataFrame, n_regions: int) -> np.ndarray:
    """Block id of each region: regions joined across walls (or nothing) only."""
    soft = re_["cls"].to_numpy() <= int(BarrierClass.WALL)
    g = sparse.coo_matrix((np.ones(int(soft.sum())), (re_["a"].to_numpy()[soft],
                                                      re_["b"].to_numpy()[soft])),
                          shape=(n_regions, n_regions))
    return connected_components(g, directed=False)[1]


def _arrangement_edges(noded, faces: np.ndarray, src: np.ndarray, src_cls: np.ndarray,
                       src_id: np.ndarray) -> pd.DataFrame:
    """Edges of a noded arrangement between two different faces.

    Each noded line borders the same face on each side all along, so its
    midpoint finds both (``dwithin`` a micrometre) and the source line it
    lies on (the strongest class wins; none: a Voronoi edge).
    """
    arr = shapely.get_parts(noded)
    arr = arr[shapely.length(arr) > 10 * _TOL]
    mids = shapely.line_interpolate_point(arr, 0.5, normalized=True)
    ei, fi = shapely.STRtree(faces).query(mids, predicate="dwithin", distance=_TOL)
    ea, eb = _two_sides(ei, fi, len(arr))
    si, li = shapely.STRtree(src).query(mids, predicate="dwithin", distance=_TOL)
    ecls = np.zeros(len(arr), dtype=int)
    esrc = np.full(len(arr), None, dtype=object)
    if len(si):
        frame = pd.DataFrame({"e": si, "cls": src_cls[li], "k": li})
        frame = frame.sort_values(["e", "cls", "k"], ascending=[True, False, True])
        top = frame.drop_duplicates("e")
        ecls[top["e"].to_numpy()] = top["cls"].to_numpy()
        esrc[top["e"].to_numpy()] = src_id[top["k"].to_numpy()]
    two = (ea >= 0) & (eb >= 0) & (ea != eb)
    return pd.DataFrame({"a": ea[two], "b": eb[two], "length": shapely.length(arr[two]),
                         "cls": ecls[two], "source": esrc[two]})


def _groups(keys: np.ndarray, order: np.ndarray):
    """Yield ``(key, members)`` for runs of equal ``keys`` (already sorted)."""
    if len(keys) == 0:
        return
    bounds = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    for grp_keys, grp in zip(np.split(keys, bounds), np.split(order, bounds)):
        yield grp_keys[0], grp


def _dissolve(faces: np.ndarray, group: np.ndarray, n: int) -> np.ndarray:
    """Union the faces of each group. The faces form an exact coverage, so the
    fast coverage union applies and shared edges keep their vertices."""
    out = np.empty(n, dtype=object)
    order = np.argsort(group, kind="stable")
    bounds = np.flatnonzero(np.diff(group[order])) + 1
    for idx in np.split(order, bounds):
        g = group[idx[0]]
        if len(idx) == 1:
            out[g] = faces[idx[0]]
        else:
            out[g] = _union_coverage(faces[idx])
    return out


def _union_coverage(polys: np.ndarray):
    u = shapely.coverage_union_all(polys)
    if not shapely.is_valid(u) or shapely.get_type_id(u) not in (3, 6):
        u = shapely.union_all(polys)
    return u
