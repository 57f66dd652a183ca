"""The microgrid partition engine: one parent polygon in, microgrids that tile it out.

:func:`partition` runs the whole pipeline (see the package docstring for the
design): inputs → seeds → :func:`~geogrid.partition.tessellate.tessellate` →
cell graph → METIS → contiguity repair → balance refinement → walking-distance
attachment (residential) → microgrids, assignment, 楼组 and report.

The result keeps the cell tessellation and the cell graph, so the editing
helpers in :mod:`geogrid.partition.edit` can move cells and re-dissolve them
without ever leaving a gap or an overlap.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from .._errors import InputError
from ..codes import reading_order
from ..rule_metrics import NEED_TOLERANCE, rule_metrics
from ..walking import WalkNetwork
from .business import (business_weights, cell_dissimilarity, group_by_type, majority_share,
                       type_clusters, type_counts)
from .graph import (CellGraph, cv, cv_lower_bound, ensure_parts, metis_partition,
                    rebisect_pairs, refine_balance, repair_contiguity)
from .groups import building_groups
from .loads import cell_loads, type_profiles
from .inputs import (BarrierClass, EstimationRules, WorkloadWeights, prepare_compounds,
                     prepare_lines, prepare_objects, prepare_parent, walk_lines)
from .report import microgrid_table, summary
from .attach import attach_nearest, settled
from .boundary import offroad_lengths, smooth_boundaries, strips_to_compounds
from .compounds import keep_whole_groups, piece_limit
from .count import balance_goal, settle_count
from .roadcuts import refine_on_roads
from .seeds import object_seeds
from .tessellate import affinity_factor, tessellate

__all__ = ["PartitionOptions", "PartitionResult", "partition", "DEFAULT_TARGET_WORKLOAD"]

#: households-equivalent per microgrid when neither a count nor a target is given
DEFAULT_TARGET_WORKLOAD = 300.0

#: how much higher a workload CV may be to split heavy compounds into only the pieces
#: they need (rather than wherever balance is easiest)
NEED_CV_ALLOWANCE = 0.05
#: affinity per metre of an in-block edge within 15 m of a road or water (a path's)
NEAR_ROAD_AFFINITY = 0.5

#: how much higher a workload CV may be to move shops, institutions, offices and plazas
#: into the microgrid of the housing nearest to them on foot
ATTACH_CV_ALLOWANCE = 0.03

#: type emphases tried (up to the requested weight) by the business cut
TYPE_LADDER = (0.0, 0.25, 0.5, 0.75, 1.0)

#: how much higher a workload CV may be to move boundaries onto roads
SMOOTH_CV_ALLOWANCE = 0.03


@dataclass(frozen=True)
class PartitionOptions:
    """Knobs of :func:`partition`. Give ``n_microgrids`` *or* ``target_workload`` (which
    gives ⌊W/t⌋ or ⌈W/t⌉ microgrids, :mod:`.count`, and the report says which and why).

    kind
        ``"residential"``, ``"business"`` or ``"mixed"``; default: the parent's
        ``kind`` column, else residential when most workload is households.
    type_weight
        Business rule balance in [0, 1] between adjacency (0) and business type
        similarity (1); used for business and mixed parents.
    cv_target
        Balance goal: barrier-crossing refinement moves are tried only while
        the CV of microgrid workloads is above it.
    keep_whole
        A compound stays in one microgrid when its workload is at most
        ``keep_whole × target``.
    group_size, group_households
        楼组: buildings per group; households per estimated group.
    outline_seeds_m2
        Footprints larger than this get extra seeds along their outline so
        their cell wraps the whole building.
    compound_need
        A compound heavier than ``keep_whole × target`` is cut into no more
        pieces than it needs, along its internal paths (kept when the CV rises
        by at most :data:`NEED_CV_ALLOWANCE`).
    smooth_boundaries
        Residential: move cells between microgrids while that shortens the
        boundary lying more than 15 m from any road or water
        (:mod:`.boundary`), within :data:`SMOOTH_CV_ALLOWANCE` of the CV.
    wall_strips
        Residential, opt-in: after the smoothing, the land between a compound's
        wall and the street (a strip of cells outside compounds) joins the
        compound's microgrid wherever the boundary follows the wall off roads
        and the move shortens it (:func:`.boundary.strips_to_compounds`), even
        when that takes shops or offices of the strip away from the microgrid
        of their nearest housing on foot: walls before walking distance.
    road_cv_allowance
        Residential: pairs of neighbouring microgrids are cut anew where that
        moves their boundary onto roads (:mod:`.roadcuts`) while the workload
        CV stays at most this much above the cut before attachment and
        smoothing, and compounds cut beyond their need are merged back;
        0 (the default) turns the pass off.
    measure_rules
        Add the division-rule metrics (:func:`geogrid.rule_metrics.rule_metrics`,
        measured on the result's polygons) to the report under ``rules``.
    seed, starts
        METIS seed, and how many seeded starts to try (default 8 for graphs
        up to 2,000 vertices, else 1); the most balanced result is kept.
    """

    n_microgrids: int | None = None
    target_workload: float | None = None
    weights: WorkloadWeights = field(default_factory=WorkloadWeights)
    estimation: EstimationRules = field(default_factory=EstimationRules)
    kind: str | None = None
    type_weight: float = 0.5
    cv_target: float = 0.15
    keep_whole: float = NEED_TOLERANCE
    group_size: int = 3
    group_households: float = 120.0
    outline_seeds_m2: float = 500.0
    nearest_attachment: bool = True
    compound_need: bool = True
    smooth_boundaries: bool = True
    wall_strips: bool = False
    road_cv_allowance: float = 0.0
    measure_rules: bool = True
    seed: int = 0
    starts: int | None = None

    @classmethod
    def from_kwargs(cls, **kwargs) -> PartitionOptions:
        names = {f for f in cls.__dataclass_fields__}
        unknown = set(kwargs) - names
        if unknown:
            raise InputError(f"划分选项 {sorted(unknown)} 不可用。unknown partition option(s) "
                             f"{sorted(unknown)}.", field="options", value=sorted(unknown),
                             fix=f"可用的选项 known options: {sorted(names)}.")
        if "weights" in kwargs:
            kwargs["weights"] = WorkloadWeights.coerce(kwargs["weights"])
        if isinstance(kwargs.get("estimation"), dict):
            kwargs["estimation"] = EstimationRules(**kwargs["estimation"])
        opts = cls(**kwargs)
        opts.check()
        return opts

    def check(self) -> None:
        if self.n_microgrids is not None and self.target_workload is not None:
            raise InputError("微网格数 (n_microgrids / --n) 和目标工作量 (target_workload / "
                             "--target) 只能给一个。give n_microgrids or target_workload, not both.",
                             field="n_microgrids", value=(self.n_microgrids, self.target_workload),
                             fix="去掉其中一个。Drop one of them.")
        if self.n_microgrids is not None and (int(self.n_microgrids) != self.n_microgrids
                                              or self.n_microgrids < 1):
            raise InputError(f"微网格数须为正整数, 收到 {self.n_microgrids!r}。n_microgrids must be "
                             f"a positive integer, got {self.n_microgrids!r}.",
                             field="n_microgrids", value=self.n_microgrids,
                             fix="例如 --n 12。e.g. --n 12.")
        if self.target_workload is not None and not self.target_workload > 0:
            raise InputError(f"目标工作量须为正数, 收到 {self.target_workload!r}。target_workload "
                             f"must be positive, got {self.target_workload!r}.",
                             field="target_workload", value=self.target_workload,
                             fix="例如 --target 300 (约 300 户一个微网格)。e.g. --target 300 "
                                 "(about 300 households per microgrid).")
        if not 0.0 <= self.road_cv_allowance <= 1.0:
            raise InputError(f"道路边界优化的均衡度放宽量须在 0 到 1 之间, 收到 "
                             f"{self.road_cv_allowance!r}。road_cv_allowance must be in [0, 1], "
                             f"got {self.road_cv_allowance!r}.", field="road_cv_allowance",
                             value=self.road_cv_allowance,
                             fix="例如 0.04, 0 为关闭。Use e.g. 0.04, or 0 to turn it off.")
        if not 0.0 <= self.type_weight <= 1.0:
            raise InputError(f"业态权重须在 0 到 1 之间, 收到 {self.type_weight!r}。type_weight "
                             f"must be in [0, 1], got {self.type_weight!r}.",
                             field="type_weight", value=self.type_weight,
                             fix="例如 0.5。e.g. 0.5.")
        if self.kind is not None and self.kind not in ("residential", "business", "mixed"):
            raise InputError(f"类型须为 residential (居住)、business (商务) 或 mixed (混合), 收到 "
                             f"{self.kind!r}。kind must be residential, business or mixed, got "
                             f"{self.kind!r}.", field="kind", value=self.kind,
                             fix="例如 --kind residential。e.g. --kind residential.")

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        return out


@dataclass(frozen=True)
class PartitionResult:
    """The outcome of :func:`partition` (and of every edit, which returns a new one).

    microgrids   GeoDataFrame in the parent's CRS, one row per microgrid: ``id``
                 (1..k in reading order), ``parent_id``, ``code`` (when the parent
                 has a 12-digit code), ``workload``, ``households``, object counts,
                 ``n_building_groups``, ``building_groups`` (lists of object ids),
                 ``area_m2``, ``compactness``, ``road_crossings``, ``geometry``.
    assignment   Series object id → microgrid id; every object inside the parent once.
    cells        GeoDataFrame of the tessellation: ``cell``, ``microgrid``,
                 ``workload``, ``households``, ``compound_id``, ``block``,
                 ``object_ids``, ``geometry`` (parent CRS).
    edges        cell adjacency: ``a``, ``b``, ``length``, ``cls``, ``source``,
                 ``affinity`` (the METIS weight before scaling).
    objects      the normalised objects (parent CRS): workload, estimates, ``cell``.
    groups       楼组: ``group_id``, ``microgrid``, ``object_ids``, ``households``,
                 ``estimated``.
    report       JSON-able dict (see :mod:`geogrid.partition.report`).
    """

    microgrids: gpd.GeoDataFrame
    assignment: pd.Series
    cells: gpd.GeoDataFrame
    edges: pd.DataFrame
    objects: gpd.GeoDataFrame
    groups: pd.DataFrame
    report: dict
    options: PartitionOptions
    parent: gpd.GeoSeries
    metric_crs: CRS
    context: dict = field(default_factory=dict, repr=False)  # metric-CRS state for edits

    def graph(self) -> CellGraph:
        """The cell graph (vertex weight = cell workload)."""
        return _graph_from(self.cells["workload"].to_numpy(float), self.edges)


def partition(parent, objects: gpd.GeoDataFrame, roads: gpd.GeoDataFrame | None = None,
              compounds: gpd.GeoDataFrame | None = None, barriers=None, *,
              options: PartitionOptions | None = None, **kwargs) -> PartitionResult:
    """Partition ``parent`` into microgrids that tile it exactly.

    Parameters
    ----------
    parent : GeoDataFrame/GeoSeries with one Polygon or MultiPolygon (a grid or
        community), with a CRS (EPSG:4490 in storage). Optional columns ``id``,
        ``kind`` and ``code`` are used.
    objects : management objects (see :mod:`geogrid.model`): ``id``, ``type``,
        ``households``, ``business_type``, … Points or Polygons.
    roads : optional road lines (not noded) with ``kind``/``kind_detail``.
    compounds : optional compound polygons (added to those among the objects).
    barriers : optional water/rail lines or polygons (strong boundaries).
    options / kwargs : :class:`PartitionOptions` or its fields as keywords
        (``n_microgrids=12``, ``target_workload=300``, ``type_weight=0.7``…).

    Returns
    -------
    PartitionResult

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> parent = gpd.GeoSeries([shapely.box(121.50, 31.23, 121.51, 31.24)], crs="EPSG:4490")
    >>> pts = [shapely.Point(121.500 + 0.001 * i, 31.231 + 0.0008 * (i % 9)) for i in range(10)]
    >>> objs = gpd.GeoDataFrame({"id": [f"b{i}" for i in range(10)], "type": "building",
    ...                          "households": 50.0}, geometry=pts, crs="EPSG:4490")
    >>> res = partition(parent, objs, n_microgrids=2)
    >>> len(res.microgrids), res.assignment.size
    (2, 10)
    """
    options = _resolve_options(options, kwargs)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    parent_m, crs, mcrs, parent_id, parent_row, parent_src = prepare_parent(parent)
    objs, notes = prepare_objects(objects, parent_m, crs, mcrs, weights=options.weights,
                                  rules=options.estimation, parent_src=parent_src)
    road_lines, road_cls, road_ids = prepare_lines(roads, parent_m, crs, mcrs, name="roads")
    bar_lines, bar_cls, bar_ids = prepare_lines(barriers, parent_m, crs, mcrs, name="barriers",
                                                barrier=True)
    comps = prepare_compounds(objs, compounds, parent_m, crs, mcrs)
    timings["inputs"] = time.perf_counter() - t0

    kind = _kind(options, parent_row, objs)
    k, target = _count_and_target(objs, options, notes)

    lines = (np.concatenate([road_lines, bar_lines]), np.concatenate([road_cls, bar_cls]),
             np.concatenate([road_ids, bar_ids]))
    built = _cell_graph(parent_m, objs, comps, lines, kind, target, options, timings)
    if options.n_microgrids is None and options.compound_need:
        notes["count"], k, chosen = settle_count(built[5].weight, built[2]["compound_id"], target,
                                                 options.cv_target, options.keep_whole)
        if chosen != target:  # another count: drawn as if it had been given
            target = chosen
            built = _cell_graph(parent_m, objs, comps, lines, kind, target, options, timings)
    tess, virtual, cells, edges, shares, graph = built

    t = time.perf_counter()
    net = WalkNetwork(walk_lines(roads, parent_m, mcrs)) if kind == "residential" else None
    labels, cg, k_eff, kept_whole = _cut(graph, cells, objs, edges, kind, k, target, options,
                                         net)
    timings["partition"] = time.perf_counter() - t

    context = {
        "parent_id": parent_id, "parent_code": parent_row.get("code"), "kind": kind,
        "target": target, "k_requested": k, "notes": notes, "kept_whole": kept_whole,
        "shares": shares, "n_regions": tess.n_regions, "n_faces": tess.n_faces,
        "timings": timings, "t0": t0, "cv_lower_bound": cv_lower_bound(cg.weight, k_eff),
    }
    state = {"parent_m": parent_m, "crs": crs, "mcrs": mcrs, "objs": objs, "cells": cells,
             "edges": edges, "options": options, "context": context}
    result = assemble(state, labels, renumber=True)
    if options.measure_rules:
        t = time.perf_counter()
        result.report["rules"] = rule_metrics(parent, result.microgrids, objects, roads, barriers,
                                              weights=options.weights)
        result.report["timings_s"]["rules"] = round(time.perf_counter() - t, 3)
    return result


def _resolve_options(options: PartitionOptions | None, kwargs: dict) -> PartitionOptions:
    if options is None:
        return PartitionOptions.from_kwargs(**kwargs)
    if kwargs:
        options = replace(options, **kwargs)
        options.check()
    return options


def _count_and_target(objs, options: PartitionOptions, notes: dict) -> tuple[int, float]:
    """Number of microgrids and workload per microgrid (objects all weightless: counts)."""
    total = float(objs["workload"].sum())
    notes["zero_workload"] = False
    if total <= 0 and len(objs):
        objs["workload"] = 1.0  # nothing weighs anything: balance object counts
        total = float(len(objs))
        notes["zero_workload"] = True
    if options.n_microgrids is not None:
        k = int(options.n_microgrids)
        return k, (total / k if k else 0.0)
    target = float(options.target_workload or DEFAULT_TARGET_WORKLOAD)
    return (max(1, int(round(total / target))) if total > 0 else 1), target


def _cell_graph(parent_m, objs, comps, lines, kind: str, target: float,
                options: PartitionOptions, timings: dict):
    """Tessellation, cells, edges, compound shares and the cell graph for ``target``."""
    t = time.perf_counter()
    tess, virtual = _tessellation(parent_m, objs, comps, lines, target, options)
    timings["tessellate"] = timings.get("tessellate", 0.0) + time.perf_counter() - t
    t = time.perf_counter()
    cells, edges, shares = _cells_and_edges(tess, virtual, objs, comps, kind, options, lines[0])
    graph = _graph_from(cells["workload"].to_numpy(float), edges)
    timings["graph"] = timings.get("graph", 0.0) + time.perf_counter() - t
    return tess, virtual, cells, edges, shares, graph


def _tessellation(parent_m, objs, comps, lines, target: float, options: PartitionOptions):
    """Seeds (:mod:`.seeds`) → cells that tile the parent (:func:`.tessellate`)."""
    seeds, seed_label, virtual = object_seeds(objs, comps, target,
                                              outline_m2=options.outline_seeds_m2)
    geoms = np.asarray(objs.geometry.values, dtype=object)
    fp_rows = np.flatnonzero((objs["type"].to_numpy(dtype=object) == "building")
                             & (shapely.get_type_id(geoms) != 0))
    footprints = shapely.intersection(geoms[fp_rows], parent_m)
    tess = tessellate(parent_m, seeds, seed_label, lines=lines[0], line_classes=lines[1],
                      line_ids=lines[2], compounds=comps, footprints=footprints,
                      footprint_label=seed_label[fp_rows])
    n_obj = len(objs)
    # the first n_obj seeds are the objects' primary seeds, in row order
    objs["cell"] = np.array([tess.label_cell[int(lab)] for lab in seed_label[:n_obj]]) \
        if n_obj else np.empty(0, dtype=int)
    return tess, virtual


def _cells_and_edges(tess, virtual, objs, comps, kind: str, options: PartitionOptions, lines):
    """Cell loads and the weighted cell adjacency (business: type affinity too;
    residential: the off-road metres of each edge, ``off_m``)."""
    cells = tess.cells
    cell_work, cell_hh, shares = cell_loads(objs, cells, tess, virtual, comps)
    cells["workload"] = cell_work
    cells["households"] = cell_hh
    edges = tess.edges.copy()
    edges["affinity"] = edges["length"].to_numpy() * affinity_factor(edges["cls"].to_numpy())
    if kind == "residential" and options.smooth_boundaries and len(edges):
        edges["off_m"] = offroad_lengths(cells, edges, lines)
        # in-block edges beside a road cut like a path; the off-road rest at full price
        soft = edges["cls"].to_numpy() <= int(BarrierClass.WALL)
        near = edges["length"].to_numpy() - edges["off_m"].to_numpy()
        edges["affinity"] = np.where(soft, edges["off_m"].to_numpy() * affinity_factor(
            edges["cls"].to_numpy()) + near * NEAR_ROAD_AFFINITY, edges["affinity"].to_numpy())
    if kind in ("business", "mixed") and options.type_weight > 0 and len(edges):
        profiles = type_profiles(objs, len(cells))
        d = cell_dissimilarity(profiles, edges["a"].to_numpy(), edges["b"].to_numpy())
        edges["base_affinity"] = edges["affinity"].to_numpy()
        edges["dissimilarity"] = d
        edges["affinity"] = business_weights(edges["affinity"].to_numpy(), d,
                                             options.type_weight)
    return cells, edges, shares


def _cut(graph: CellGraph, cells, objs, edges, kind: str, k: int, target: float,
         options: PartitionOptions, net: WalkNetwork | None = None):
    """Cell → part label: whole compounds contracted, best of seeded starts, attachment.

    Business (业态相近): type emphasis ``x`` (edge weights, type clusters and
    the type pass all at ``x``) is tried at each step of :data:`TYPE_LADDER` up
    to ``type_weight`` (and at ``type_weight``); the cut with the highest
    majority-type share is kept (then the lower CV). The candidates of a
    weight include those of every lower ladder weight, so the grouping by type
    never falls as the weight rises.
    """
    if "dissimilarity" not in edges.columns or options.type_weight <= 0:
        return _cut_need(graph, cells, objs, edges, kind, k, target, options, net)
    counts = type_counts(objs, graph.n)[0]
    steps = sorted({x for x in TYPE_LADDER if x <= options.type_weight} | {options.type_weight})
    best, best_key = None, None
    for x in steps:
        ex = edges.assign(affinity=business_weights(edges["base_affinity"].to_numpy(),
                                                    edges["dissimilarity"].to_numpy(), x))
        out = _cut_need(_graph_from(graph.weight, ex), cells, objs, ex, kind, k, target,
                        replace(options, type_weight=x))
        key = (-round(majority_share(out[0], counts), 6), round(_label_cv(graph, out[0]), 6))
        if best_key is None or key < best_key:
            best, best_key = out, key
    return best


def _cut_need(graph: CellGraph, cells, objs, edges, kind: str, k: int, target: float,
              options: PartitionOptions, net: WalkNetwork | None = None):
    """With ``compound_need`` the cut that splits heavy compounds into only the
    pieces they need is kept when its workload CV is at most
    :data:`NEED_CV_ALLOWANCE` above the cut that splits them freely. A
    residential cut is then refined onto roads
    (:func:`.roadcuts.refine_on_roads`, with ``road_cv_allowance`` > 0)."""
    loose = replace(options, compound_need=False)
    free = _cut_once(graph, cells, objs, edges, kind, k, target, loose, net)
    if not options.compound_need or np.array_equal(
            keep_whole_groups(graph, cells, target, loose)[0],
            keep_whole_groups(graph, cells, target, options)[0]):
        out = free  # no compound too heavy for one microgrid: the same cut
    else:
        needed = _cut_once(graph, cells, objs, edges, kind, k, target, options, net)
        out = needed if needed[0] is free[0] or _label_cv(graph, needed[0]) <= \
            _label_cv(graph, free[0]) + NEED_CV_ALLOWANCE else free
    if kind != "residential":
        return out[:4]
    return (refine_on_roads(graph, out[0], out[4], out[5], cells, edges, target, options),) \
        + out[1:4]


def _smooth(graph: CellGraph, labels, cells, edges, cg: CellGraph, k: int, target: float,
            options: PartitionOptions, reached=None) -> np.ndarray:
    """Shorten the off-road boundary (:func:`.boundary.smooth_boundaries`); the
    cells of a block that joined the microgrid of its nearest housing whole
    (``reached``, :func:`.attach.settled`) stay there.

    The CV may rise by :data:`SMOOTH_CV_ALLOWANCE`, but not above ``cv_target``
    or 10 % above the data's floor, whichever is higher. With ``wall_strips``
    the strips outside walls then join their compounds' microgrids
    (:func:`.boundary.strips_to_compounds`, within the same CV limit) and the
    smoothing runs once more.
    """
    off = CellGraph.from_edges(graph.n, graph.weight, edges["a"].to_numpy(),
                               edges["b"].to_numpy(), edges["length"].to_numpy(float),
                               edges["off_m"].to_numpy(float), np.zeros(len(edges))).affinity
    now = _label_cv(graph, labels)
    floor = cv_lower_bound(cg.weight, k)
    # up to the allowance, and no further than 10 % above the data's floor (or the goal)
    limit = max(now, min(now + SMOOTH_CV_ALLOWANCE, max(options.cv_target, 1.1 * floor + 0.01)))
    for step in range(2 if options.wall_strips else 1):
        if step:
            labels = strips_to_compounds(graph, labels, off, cells["compound_id"].notna(),
                                         cells["block"].to_numpy(), cv_limit=limit)
        movable = None if reached is None else ~settled(reached, labels, cells)
        labels = smooth_boundaries(graph, labels, off, cv_limit=limit, movable=movable,
                                   limit=piece_limit(graph, labels, cells, target, options))
    return labels


def _label_cv(graph: CellGraph, labels: np.ndarray) -> float:
    w = np.bincount(labels, weights=graph.weight)
    return cv(w[w > 0])


def _cut_once(graph: CellGraph, cells, objs, edges, kind: str, k: int, target: float,
              options: PartitionOptions, net: WalkNetwork | None = None):
    group, kept_whole = keep_whole_groups(graph, cells, target, options)
    typed = kind in ("business", "mixed") and options.type_weight > 0 and len(objs)
    counts = type_counts(objs, graph.n)[0] if typed else None
    if typed:
        alone = np.bincount(group, minlength=graph.n)[group] == 1
        clusters = type_clusters(graph, counts, options.type_weight, k, alone)
        group = np.where(alone, clusters, group)
    cg, vmap = graph.contract(group)
    k_eff = min(k, cg.n) if cg.n else 1
    labels = _best_of_starts(cg, k_eff, options)[vmap]
    if options.compound_need and cg.n < graph.n:
        # compound pieces were indivisible: balance cell by cell, within their piece limits
        goal = balance_goal(cg.weight, k_eff, options.cv_target)
        labels = refine_balance(graph, labels, cv_target=goal,
                                limit=piece_limit(graph, labels, cells, target, options))
    unrefined = _label_cv(graph, labels)
    reached = np.full(graph.n, -1, dtype=np.int64)
    if kind == "residential" and options.nearest_attachment:
        labels, reached = attach_nearest(graph, labels, cells, objs, edges, options.cv_target,
                                         cv_allowance=ATTACH_CV_ALLOWANCE, net=net)
    if kind == "residential" and "off_m" in edges.columns:
        # may move an object back where that shortens the off-road boundary, unless its
        # whole block reached the microgrid of its nearest housing
        labels = _smooth(graph, labels, cells, edges, cg, k_eff, target, options, reached)
    if typed:
        labels = group_by_type(graph, labels, counts, options.type_weight,
                               movable=cells["compound_id"].isna().to_numpy())
    labels = repair_contiguity(graph, labels)  # no-op unless something above misbehaved
    return labels, cg, k_eff, kept_whole, unrefined, reached


# ----------------------------------------------------------------------------- assembly
def assemble(state: dict, cell_part: np.ndarray, *, renumber: bool = True) -> PartitionResult:
    """Build microgrids, assignment, 楼组 and report from a cell → part labelling.

    With ``renumber`` the parts become microgrids 1..k in reading order
    (north→south bands, west→east; see :func:`geogrid.codes.reading_order`);
    without, the labels are the microgrid ids already (edits keep ids stable).
    ``state`` holds the metric-CRS inputs kept in ``PartitionResult.context``.
    """
    t = time.perf_counter()
    parent_m, crs, mcrs = state["parent_m"], state["crs"], state["mcrs"]
    objs, cells, edges = state["objs"], state["cells"], state["edges"]
    options, context = state["options"], state["context"]
    cell_part = np.asarray(cell_part, dtype=np.int64)
    used, dense = np.unique(cell_part, return_inverse=True)
    geoms_m = _dissolve(np.asarray(cells.geometry.values, dtype=object), dense, len(used))
    if renumber:
        serial = reading_order(gpd.GeoSeries(geoms_m, crs=mcrs))
    else:
        serial = used.astype(np.int64)
    mg_of_cell = serial[dense]
    cells = cells.copy()
    cells["microgrid"] = mg_of_cell
    objs = objs.copy()
    # an object belongs to the microgrid its location is in; a compound split over
    # several microgrids too (its households are shared out in the cells' loads
    # and listed under report["compounds"]["split"])
    objs["microgrid"] = mg_of_cell[objs["cell"].to_numpy()] if len(objs) else []
    assignment = pd.Series(objs["microgrid"].to_numpy(), index=pd.Index(objs["id"], name="id"),
                           name="microgrid")
    order = np.argsort(serial, kind="stable")
    ids = serial[order]
    mg_geom_m = geoms_m[order]
    groups = building_groups(_group_items(objs, cells, context), group_size=options.group_size,
                             group_households=options.group_households)
    table = microgrid_table(mg_geom_m, ids, cells, edges, objs, groups)
    table.insert(1, "parent_id", context.get("parent_id"))
    code = context.get("parent_code")
    if isinstance(code, str) and len(code) == 12 and code.isdigit() and ids.max(initial=0) <= 999:
        table.insert(2, "code", [f"{code}{int(i):03d}" for i in table["id"]])
    mg = gpd.GeoDataFrame(table, geometry=gpd.GeoSeries(mg_geom_m, crs=mcrs).to_crs(crs).values,
                          crs=crs)
    cells_out = cells.to_crs(crs)
    members = objs.groupby("cell")["id"].apply(list) if len(objs) else pd.Series(dtype=object)
    cells_out["object_ids"] = [members.get(c, []) for c in cells_out["cell"]]
    objs_out = objs.to_crs(crs)
    if len(objs):
        objs_out["seed"] = gpd.GeoSeries(objs["seed"].values, crs=mcrs).to_crs(crs).values
    context = dict(context)
    context["timings"] = dict(context.get("timings", {}))
    context["timings"]["assemble"] = time.perf_counter() - t
    if "t0" in context:
        context["timings"]["total"] = time.perf_counter() - context.pop("t0")
    report = summary(mg, cells_out, edges, objs_out, groups, options, context)
    new_state = dict(state, objs=objs, cells=cells, context=context)
    return PartitionResult(microgrids=mg, assignment=assignment, cells=cells_out, edges=edges,
                           objects=objs_out, groups=groups, report=report, options=options,
                           parent=gpd.GeoSeries([parent_m], crs=mcrs).to_crs(crs),
                           metric_crs=mcrs, context=new_state)


def _dissolve(geoms: np.ndarray, group: np.ndarray, n: int) -> np.ndarray:
    """Union the cells of each group (an exact coverage: shared edges vanish whole)."""
    out = np.empty(n, dtype=object)
    order = np.argsort(group, kind="stable")
    bounds = np.flatnonzero(np.diff(group[order])) + 1
    for idx in np.split(order, bounds):
        if len(idx) == 0:
            continue
        g = group[idx[0]]
        if len(idx) == 1:
            out[g] = geoms[idx[0]]
            continue
        u = shapely.coverage_union_all(geoms[idx])
        if not shapely.is_valid(u):
            u = shapely.union_all(geoms[idx])
        out[g] = u
    return out


# ----------------------------------------------------------------------------- helpers
def _kind(options: PartitionOptions, parent_row: dict, objs: gpd.GeoDataFrame) -> str:
    if options.kind:
        return options.kind
    k = parent_row.get("kind")
    if isinstance(k, str) and k in ("residential", "business", "mixed"):
        return k
    hh = float(objs["hh_work"].sum()) if len(objs) else 0.0
    total = float(objs["workload"].sum()) if len(objs) else 0.0
    return "residential" if total > 0 and hh >= 0.5 * total else "business"


def _graph_from(work: np.ndarray, edges: pd.DataFrame) -> CellGraph:
    soft = np.where(edges["cls"].to_numpy() < int(BarrierClass.MAJOR), edges["length"], 0.0) \
        if len(edges) else np.empty(0)
    return CellGraph.from_edges(len(work), work, edges["a"].to_numpy(), edges["b"].to_numpy(),
                                edges["length"].to_numpy(float), edges["affinity"].to_numpy(float),
                                soft)


def _best_of_starts(graph: CellGraph, k: int, options: PartitionOptions) -> np.ndarray:
    """METIS → repair → refine from several seeds; keep the best result.

    Small graphs get ``starts`` seeded runs (``seed, seed+1, …``), large ones a
    single run; the best has the lowest CV (to 0.001), then the least length of
    major road inside microgrids, then the lowest seed. Deterministic. The
    balance goal is ``cv_target``, or just above the lower bound
    (:func:`~geogrid.partition.graph.cv_lower_bound`) when the data cannot
    reach it: balance that cannot be had is not bought with road crossings.
    """
    starts = options.starts if options.starts is not None else (8 if graph.n <= 2000 else 1)
    # never trade boundaries for balance no partition can reach
    goal = balance_goal(graph.weight, k, options.cv_target)
    hard = graph.length - graph.soft  # per CSR entry: length on major roads
    src = np.repeat(np.arange(graph.n), np.diff(graph.indptr))
    best, best_key = None, None
    for t in range(max(1, int(starts))):
        seed = options.seed + t
        lab = metis_partition(graph, k, seed=seed)
        lab = repair_contiguity(graph, lab)
        lab = ensure_parts(graph, lab, k, seed=seed)
        lab = refine_balance(graph, lab, cv_target=goal)
        w = np.bincount(lab, weights=graph.weight)
        if cv(w) > goal:  # coarse cells: re-split stuck pairs of parts
            lab = rebisect_pairs(graph, lab)
            w = np.bincount(lab, weights=graph.weight)
        inside = float(hard[lab[src] == lab[graph.indices]].sum())
        key = (max(round(cv(w), 3), round(goal, 3)), round(inside, 1), t)
        if best_key is None or key < best_key:
            best, best_key = lab, key
    return best


def _group_items(objs, cells, context) -> pd.DataFrame:
    """Residential items per microgrid for 楼组 formation.

    One item per residential object in its microgrid; a compound split over
    several microgrids gives one item per microgrid with its share.
    """
    cols = ["microgrid", "object_id", "households", "point", "footprint"]
    hh = objs["hh_work"].to_numpy(float)
    shares = context.get("shares", {})
    res = hh > 0
    split_rows = np.array(sorted(r for r in shares if res[r]), dtype=np.int64)
    whole = res.copy()
    whole[split_rows] = False
    seeds = np.asarray(objs["seed"].values, dtype=object)
    frame = pd.DataFrame({
        "microgrid": objs["microgrid"].to_numpy()[whole].astype(np.int64),
        "object_id": objs["id"].to_numpy(dtype=object)[whole],
        "households": hh[whole],
        "point": seeds[whole],
        "footprint": (objs["type"].to_numpy(dtype=object) == "building")[whole],
    }, columns=cols)
    extra = []
    mg_of_cell = cells["microgrid"].to_numpy()
    for r in split_rows:
        per_mg: dict[int, float] = {}
        for c, h in shares[r].items():
            per_mg[int(mg_of_cell[c])] = per_mg.get(int(mg_of_cell[c]), 0.0) + h
        for mgid, h in sorted(per_mg.items()):
            extra.append((mgid, objs["id"].iloc[r], h, seeds[r], False))
    if extra:
        frame = pd.concat([frame, pd.DataFrame(extra, columns=cols)], ignore_index=True)
    return frame
