"""Road-network routing for dispatch: build a graph, snap points, find routes.

A :class:`RoadGraph` is a directed graph held as a ``scipy.sparse`` CSR matrix
of edge weights (metres, or seconds when built with ``weight="time"``) plus
arrays of node coordinates and a table of *segments*: the road pieces between
two nodes, each with its geometry, length, speed and one-way code. A two-way
segment gives two directed edges, a one-way segment one. Parallel edges
between the same pair of nodes are reduced to the cheapest.

Two builders produce the same structure:

* :func:`graph_from_lines` takes road centrelines (a GeoDataFrame in
  EPSG:4490) that need not be noded: lines that cross without a shared
  vertex are split at the crossing (unless they are on different levels,
  i.e. a bridge over a road), end points closer than ``snap_tolerance_m``
  are merged, and a dangling end point that stops short of another line by
  less than the tolerance is extended onto it. Every repair is counted in
  :attr:`RoadGraph.notes`.
* :func:`read_osm_xml` reads an OSM XML file of an already noded network
  (such as an OSMnx export) with the standard library's XML parser.

Queries
-------
Points are snapped to the nearest *segment* (or node) in a local metric CRS,
with a ``cKDTree`` over the midpoints of short straight pieces of every
segment (exact: the search widens until no other piece can be nearer). A
route from a snapped point leaves along its segment in the directions the
segment allows, so a point half-way along a one-way street has to drive on
to the next junction.

:func:`shortest_path` and :func:`nearest_responder` run SciPy's compiled
Dijkstra with a *limit*. The limit starts at a multiple of the straight-line
distance and is only raised when the answer is not yet proven: Dijkstra
settles every node whose distance is at most the limit exactly, so a best
candidate whose cost is within the limit cannot be beaten by anything beyond
it. Dispatch questions are local (the nearest responder is rarely more than a
few kilometres away), so the search usually settles a few hundred nodes
instead of the whole city. ``nearest_responder`` searches once, backwards
from the incident on the reversed graph, and reads off every responder's
distance to the incident.

When there is no path (different components, or a point farther than
``max_snap_m`` from every road) the result is a straight line with
``Route.fallback = True`` and a ``reason``; it is never passed off as a road
route.

Example
-------
>>> import geopandas as gpd
>>> from shapely.geometry import LineString
>>> roads = gpd.GeoDataFrame(
...     {"oneway": [None, None]},
...     geometry=[LineString([(121.500, 31.230), (121.510, 31.230)]),
...               LineString([(121.505, 31.225), (121.505, 31.235)])],
...     crs="EPSG:4490")
>>> g = graph_from_lines(roads)
>>> g.n_nodes   # the crossing became a node: 4 ends + 1 junction
5
>>> r = shortest_path(g, (121.500, 31.230), (121.505, 31.235))
>>> round(r.distance_m)   # about 476 m east, then 555 m north
1031

Road data © OpenStreetMap contributors (ODbL) where it comes from OSM.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import cached_property
from os import PathLike
from typing import IO, Any, Iterable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree
from shapely.geometry import LineString

from ._errors import InputError, NotFoundError, ValidationError, ValidationProblem
from .crs import STORAGE_CRS, metric_crs, require_storage_crs

__all__ = [
    "RoadGraph",
    "Snap",
    "Route",
    "graph_from_lines",
    "read_osm_xml",
    "subgraph",
    "largest_component",
    "snap",
    "shortest_path",
    "nearest_responder",
    "parse_oneway",
    "parse_maxspeed",
    "DEFAULT_SPEEDS_KMH",
    "EXCLUDED_KINDS",
    "ACCESS_SPEED_MPS",
]

#: Free-flow speeds (km/h) by OSM ``highway`` / ``kind_detail`` class in a
#: dense Chinese city centre, used when a road has no ``maxspeed``.
DEFAULT_SPEEDS_KMH: dict[str, float] = {
    "motorway": 80.0, "motorway_link": 50.0, "trunk": 60.0, "trunk_link": 40.0,
    "primary": 40.0, "primary_link": 30.0, "secondary": 35.0, "secondary_link": 30.0,
    "tertiary": 30.0, "tertiary_link": 25.0, "unclassified": 25.0, "residential": 20.0,
    "living_street": 10.0, "service": 15.0, "road": 25.0,
    "pedestrian": 5.0, "footway": 5.0, "path": 5.0, "steps": 3.0, "cycleway": 12.0,
    "track": 10.0, "pier": 5.0,
    # Tilezen ``kind`` values, for files that only carry those
    "highway": 60.0, "major_road": 35.0, "minor_road": 20.0,
}
_FALLBACK_SPEED_KMH = 25.0

#: Line kinds that are not roads a responder can use; dropped by
#: :func:`graph_from_lines` unless ``exclude_kinds`` says otherwise.
EXCLUDED_KINDS = frozenset({
    "rail", "subway", "light_rail", "tram", "monorail", "funicular", "narrow_gauge",
    "ferry", "aerialway", "platform", "construction", "proposed", "abandoned",
})

#: Speed (m/s) on the short straight "access" legs between a point and the
#: road it was snapped to. Walking pace.
ACCESS_SPEED_MPS = 1.4

_ONEWAY_FORWARD = {"yes", "true", "1", "forward"}
_ONEWAY_BACKWARD = {"-1", "reverse", "backward"}
_ONEWAY_NONE = {"no", "false", "0", "", "none", "nan"}

_NODE_EPS_M = 1e-3  # node coincidence in metres, after snapping


# --------------------------------------------------------------------------- helpers


def parse_oneway(value: Any) -> int | None:
    """Map an OSM ``oneway`` value to ``1`` (forward), ``-1`` (backward) or ``0``.

    ``yes``/``true``/``1`` → 1, ``-1``/``reverse`` → -1, ``no``/``false``/``0``
    and missing values → 0. Anything else (``alternating``, ``reversible``)
    returns ``None`` so the caller can count it; builders treat it as two-way.
    """
    if value is None or value is pd.NA:
        return 0
    if isinstance(value, bool | np.bool_):
        return 1 if value else 0
    if isinstance(value, int | float | np.integer | np.floating):
        if isinstance(value, float | np.floating) and math.isnan(value):
            return 0
        return {1: 1, -1: -1, 0: 0}.get(int(value)) if float(value).is_integer() else None
    text = str(value).strip().lower()
    if text in _ONEWAY_FORWARD:
        return 1
    if text in _ONEWAY_BACKWARD:
        return -1
    if text in _ONEWAY_NONE:
        return 0
    return None


_SPEED_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$", re.I)


def parse_maxspeed(value: Any) -> float | None:
    """Return an OSM ``maxspeed`` in km/h (``"40"``, ``"30 mph"``), or ``None``.

    For a list such as ``"40;60"`` the lowest value is used.
    """
    if value is None or value is pd.NA:
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        v = float(value)
        return v if math.isfinite(v) and v > 0 else None
    speeds = []
    for part in str(value).split(";"):
        m = _SPEED_RE.match(part)
        if m:
            v = float(m.group(1)) * (1.609344 if (m.group(2) or "").lower() == "mph" else 1.0)
            if v > 0:
                speeds.append(v)
    return min(speeds) if speeds else None


def _speed_kmh(maxspeed: Any, *classes: Any, default: float | None) -> float:
    v = parse_maxspeed(maxspeed)
    if v is not None:
        return v
    for c in classes:
        if isinstance(c, str) and c in DEFAULT_SPEEDS_KMH:
            return DEFAULT_SPEEDS_KMH[c]
    return default if default is not None else _FALLBACK_SPEED_KMH


def _text(value: Any) -> str | None:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return str(value)


def _truthy(value: Any) -> bool:
    if value is None or value is pd.NA:
        return False
    if isinstance(value, float | np.floating):
        return not math.isnan(value) and value != 0
    if isinstance(value, int | np.integer | bool | np.bool_):
        return bool(value)
    return str(value).strip().lower() not in {"", "no", "false", "0", "nan", "none"}


def _check_weight(weight: str) -> str:
    if weight not in ("length", "time"):
        raise InputError(f"weight must be 'length' or 'time', got {weight!r}.", field="weight",
                         value=weight, fix="Pass weight='length' (metres) or weight='time' (seconds).")
    return weight


# --------------------------------------------------------------------------- data classes


@dataclass(frozen=True, eq=False, repr=False)
class RoadGraph:
    """A directed road graph: CSR weights, node coordinates and segment geometry.

    Node ``i`` is at (``lon[i]``, ``lat[i]``) in EPSG:4490 and (``x[i]``,
    ``y[i]``) in :attr:`crs`, a local transverse Mercator in metres.
    ``matrix[u, v]`` is the weight of the cheapest edge ``u → v``;
    ``edge_segment[k]`` and ``edge_forward[k]`` say which segment, and in which
    direction, the ``k``-th stored entry of ``matrix`` follows.

    Segment ``s`` runs from node ``seg_a[s]`` to ``seg_b[s]``; its vertices
    are ``coords_lonlat[seg_offsets[s]:seg_offsets[s + 1]]`` (and the same
    slice of ``coords_xy``); ``seg_oneway[s]`` is 0 (both ways), 1 (a → b only)
    or -1 (b → a only).
    """

    lon: np.ndarray
    lat: np.ndarray
    x: np.ndarray
    y: np.ndarray
    node_ids: np.ndarray
    crs: CRS
    weight: str
    matrix: csr_array
    edge_segment: np.ndarray
    edge_forward: np.ndarray
    seg_a: np.ndarray
    seg_b: np.ndarray
    seg_length_m: np.ndarray
    seg_speed_mps: np.ndarray
    seg_oneway: np.ndarray
    seg_name: np.ndarray
    seg_kind: np.ndarray
    seg_offsets: np.ndarray
    coords_lonlat: np.ndarray
    coords_xy: np.ndarray
    coords_frac: np.ndarray
    notes: tuple[str, ...] = ()

    # ---- sizes
    @property
    def n_nodes(self) -> int:
        return int(self.lon.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of directed edges (after reducing parallel edges)."""
        return int(self.matrix.nnz)

    @property
    def n_segments(self) -> int:
        return int(self.seg_a.shape[0])

    def __repr__(self) -> str:
        return (f"RoadGraph(nodes={self.n_nodes}, edges={self.n_edges}, "
                f"segments={self.n_segments}, weight={self.weight!r})")

    def summary(self) -> dict[str, Any]:
        """Sizes, total length and build notes as a JSON-able dict."""
        return {"nodes": self.n_nodes, "edges": self.n_edges, "segments": self.n_segments,
                "weight": self.weight, "length_km": round(float(self.seg_length_m.sum()) / 1000, 3),
                "components": int(self.components[0]), "notes": list(self.notes)}

    # ---- derived structures, built on first use
    @cached_property
    def reverse(self) -> csr_array:
        """The transposed weight matrix: edge ``v → u`` for each ``u → v``."""
        return _csr32(self.matrix.T.tocsr())

    @cached_property
    def _edge_keys(self) -> np.ndarray:
        rows = np.repeat(np.arange(self.n_nodes, dtype=np.int64), np.diff(self.matrix.indptr))
        return rows * self.n_nodes + self.matrix.indices

    @cached_property
    def degree(self) -> np.ndarray:
        """Out-degree plus in-degree of every node."""
        out = np.diff(self.matrix.indptr)
        inn = np.bincount(self.matrix.indices, minlength=self.n_nodes)
        return out + inn

    @cached_property
    def components(self) -> tuple[int, np.ndarray]:
        """Weakly connected components: ``(count, label per node)``; isolated nodes included."""
        return connected_components(self.matrix, directed=True, connection="weak")

    @cached_property
    def _node_tree(self) -> tuple[cKDTree, np.ndarray]:
        usable = np.flatnonzero(self.degree > 0)
        return cKDTree(np.column_stack([self.x[usable], self.y[usable]])), usable

    @cached_property
    def _pieces(self) -> _PieceIndex:
        return _PieceIndex.build(self)

    @cached_property
    def _frac_key(self) -> np.ndarray:
        counts = np.diff(self.seg_offsets)
        return np.repeat(np.arange(self.n_segments, dtype=float), counts) + self.coords_frac

    @cached_property
    def _to_metric(self) -> Transformer:
        return Transformer.from_crs(STORAGE_CRS, self.crs, always_xy=True)

    @cached_property
    def _ref_speed(self) -> float:
        return float(np.median(self.seg_speed_mps)) if self.n_segments else 1.0

    # ---- conversions
    def project(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        """EPSG:4490 lon/lat → metres in :attr:`crs`."""
        x, y = self._to_metric.transform(np.asarray(lon, float), np.asarray(lat, float))
        return np.asarray(x, float), np.asarray(y, float)

    def segment_geometry(self, s: int) -> LineString:
        """Lon/lat geometry of segment ``s`` (from ``seg_a`` to ``seg_b``)."""
        return LineString(self.coords_lonlat[self.seg_offsets[s]:self.seg_offsets[s + 1]])

    def segments_frame(self) -> gpd.GeoDataFrame:
        """All segments as a GeoDataFrame in EPSG:4490 (for maps and inspection)."""
        idx = np.repeat(np.arange(self.n_segments), np.diff(self.seg_offsets))
        return gpd.GeoDataFrame(
            {"a": self.seg_a, "b": self.seg_b, "length_m": self.seg_length_m,
             "speed_kmh": self.seg_speed_mps * 3.6, "oneway": self.seg_oneway,
             "name": self.seg_name, "kind": self.seg_kind},
            geometry=shapely.linestrings(self.coords_lonlat, indices=idx), crs=STORAGE_CRS)

    def edge_position(self, u, v) -> np.ndarray:
        """Positions in ``matrix.data`` of edges ``u → v`` (vectorised); -1 where absent."""
        u = np.asarray(u, np.int64)
        v = np.asarray(v, np.int64)
        keys = u * self.n_nodes + v
        ek = self._edge_keys
        if len(ek) == 0:
            return np.full(keys.shape, -1)
        pos = np.minimum(np.searchsorted(ek, keys), len(ek) - 1)
        return np.where(ek[pos] == keys, pos, -1)

    def to_networkx(self):
        """The weighted directed graph as a ``networkx.DiGraph`` (needs networkx)."""
        import networkx as nx

        g = nx.DiGraph()
        g.add_nodes_from(range(self.n_nodes))
        rows = np.repeat(np.arange(self.n_nodes), np.diff(self.matrix.indptr))
        g.add_weighted_edges_from(zip(rows.tolist(), self.matrix.indices.tolist(),
                                      self.matrix.data.tolist()))
        return g


@dataclass(frozen=True)
class Snap:
    """Where a lon/lat point meets the graph.

    ``segment`` is the snapped segment (``-1`` when snapped to a node) and
    ``t`` the position along it from ``seg_a`` (0) to ``seg_b`` (1), by length.
    ``node`` is the snapped node, or the nearer end of the segment.
    """

    lon: float
    lat: float
    node: int
    segment: int
    t: float
    distance_m: float
    snapped_lon: float
    snapped_lat: float

    def to_dict(self) -> dict[str, Any]:
        return {"lon": self.lon, "lat": self.lat, "node": self.node, "segment": self.segment,
                "t": round(self.t, 6), "distance_m": round(self.distance_m, 3),
                "snapped": [self.snapped_lon, self.snapped_lat]}


@dataclass(frozen=True)
class Route:
    """A route in lon/lat (EPSG:4490).

    ``distance_m`` includes the straight access legs from each end point to
    the road (``access_m``). ``cost`` is in the graph's weight unit (metres or
    seconds) and is what routes are ranked by. ``nodes`` lists the graph
    nodes passed. A straight-line stand-in has ``fallback=True``, no nodes and
    a ``reason``.
    """

    distance_m: float
    duration_s: float
    cost: float
    nodes: tuple[int, ...]
    geometry: LineString
    access_m: float = 0.0
    fallback: bool = False
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "distance_m": round(self.distance_m, 2), "duration_s": round(self.duration_s, 1),
            "cost": round(self.cost, 3), "nodes": list(self.nodes),
            "geometry": shapely.geometry.mapping(self.geometry) if self.geometry is not None else None,
            "access_m": round(self.access_m, 2), "fallback": self.fallback, "reason": self.reason,
        }


# --------------------------------------------------------------------------- assembly


def _csr32(m) -> csr_array:
    m = csr_array(m)
    m.sort_indices()
    return csr_array((m.data.astype(np.float64), m.indices.astype(np.int32),
                      m.indptr.astype(np.int32)), shape=m.shape)


def _assemble(*, node_lonlat: np.ndarray, node_xy: np.ndarray, node_ids: np.ndarray, crs: CRS,
              seg_a: np.ndarray, seg_b: np.ndarray, offsets: np.ndarray,
              coords_lonlat: np.ndarray, coords_xy: np.ndarray, oneway: np.ndarray,
              speed_kmh: np.ndarray, names: np.ndarray, kinds: np.ndarray, weight: str,
              notes: list[str]) -> RoadGraph:
    n = node_lonlat.shape[0]
    m = seg_a.shape[0]
    counts = np.diff(offsets)

    step = np.zeros(len(coords_xy))
    if len(coords_xy) > 1:
        d = np.hypot(*np.diff(coords_xy, axis=0).T)
        step[1:] = d
        step[offsets[:-1]] = 0.0  # no step across segment boundaries
    cum = np.cumsum(step)
    start_cum = cum[offsets[:-1]] if m else np.zeros(0)
    cum = cum - np.repeat(start_cum, counts)
    length = cum[offsets[1:] - 1] if m else np.zeros(0)
    frac = np.divide(cum, np.repeat(length, counts), out=np.zeros_like(cum),
                     where=np.repeat(length, counts) > 0)
    speed_mps = np.asarray(speed_kmh, float) / 3.6
    seg_w = length if weight == "length" else length / speed_mps

    fwd = oneway >= 0
    bwd = oneway <= 0
    s_f = np.flatnonzero(fwd)
    s_b = np.flatnonzero(bwd)
    u = np.concatenate([seg_a[s_f], seg_b[s_b]]).astype(np.int64)
    v = np.concatenate([seg_b[s_f], seg_a[s_b]]).astype(np.int64)
    w = np.concatenate([seg_w[s_f], seg_w[s_b]])
    es = np.concatenate([s_f, s_b]).astype(np.int32)
    ef = np.concatenate([np.ones(len(s_f), bool), np.zeros(len(s_b), bool)])
    order = np.lexsort((w, v, u))
    u, v, w, es, ef = u[order], v[order], w[order], es[order], ef[order]
    keep = np.ones(len(u), bool)
    if len(u) > 1:
        keep[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    dropped = int((~keep).sum())
    if dropped:
        notes.append(f"reduced {dropped} parallel edge(s) to the cheapest")
    u, v, w, es, ef = u[keep], v[keep], w[keep], es[keep], ef[keep]
    indptr = np.zeros(n + 1, np.int32)
    np.cumsum(np.bincount(u, minlength=n), out=indptr[1:])
    matrix = csr_array((w.astype(np.float64), v.astype(np.int32), indptr), shape=(n, n))

    return RoadGraph(
        lon=np.ascontiguousarray(node_lonlat[:, 0], float),
        lat=np.ascontiguousarray(node_lonlat[:, 1], float),
        x=np.ascontiguousarray(node_xy[:, 0], float), y=np.ascontiguousarray(node_xy[:, 1], float),
        node_ids=node_ids, crs=crs, weight=weight, matrix=matrix, edge_segment=es, edge_forward=ef,
        seg_a=seg_a.astype(np.int32), seg_b=seg_b.astype(np.int32), seg_length_m=length,
        seg_speed_mps=speed_mps, seg_oneway=oneway.astype(np.int8), seg_name=names,
        seg_kind=kinds, seg_offsets=offsets.astype(np.int64), coords_lonlat=coords_lonlat,
        coords_xy=coords_xy, coords_frac=frac, notes=tuple(notes))


def _metric_crs_for(lon: np.ndarray, lat: np.ndarray) -> CRS:
    pts = gpd.GeoSeries(shapely.points([lon.min(), lon.max()], [lat.min(), lat.max()]),
                        crs=STORAGE_CRS)
    return metric_crs(pts)


# --------------------------------------------------------------------------- from lines


def _level(layer: Any, bridge: Any, tunnel: Any) -> int:
    """Vertical level of a road: OSM ``layer`` if numeric, else +1 bridge, -1 tunnel, 0."""
    try:
        value = float(layer)
        if math.isfinite(value):
            return int(value)
    except (TypeError, ValueError):
        pass
    if _truthy(bridge):
        return 1
    if _truthy(tunnel):
        return -1
    return 0


def graph_from_lines(roads: gpd.GeoDataFrame, *, snap_tolerance_m: float = 2.0,
                     weight: str = "length", respect_oneway: bool = True,
                     respect_levels: bool = True, exclude_kinds: Iterable[str] | None = EXCLUDED_KINDS,
                     default_speed_kmh: float | None = None) -> RoadGraph:
    """Build a :class:`RoadGraph` from road centrelines that may not be noded.

    Parameters
    ----------
    roads
        LineStrings / MultiLineStrings in EPSG:4490. Optional columns:
        ``oneway`` (yes/1/true, -1/reverse, no), ``name``, ``maxspeed`` (km/h),
        ``highway`` / ``kind_detail`` / ``kind`` (road class, for speeds and
        ``exclude_kinds``), ``layer`` / ``bridge`` / ``tunnel`` /
        ``is_bridge`` / ``is_tunnel`` (levels), ``junction`` (roundabouts are
        one-way).
    snap_tolerance_m
        End points closer than this are merged; a dangling end point within
        this distance of another line is extended onto it. ``0`` disables both.
    weight
        ``"length"`` (metres) or ``"time"`` (seconds at ``maxspeed`` or the
        class speed in :data:`DEFAULT_SPEEDS_KMH`).
    respect_oneway
        ``False`` for walking: every segment is two-way.
    respect_levels
        Lines on different levels (a bridge and the road below) are joined
        only where one's end point is on the other, never where they merely
        cross.
    exclude_kinds
        Rows whose ``highway``, ``kind`` or ``kind_detail`` is in this set are
        dropped (rail, ferry, ... by default).

    Raises
    ------
    ValidationError
        listing every row with a null, empty, non-line or non-finite geometry.
    """
    _check_weight(weight)
    require_storage_crs(roads, "roads")
    if snap_tolerance_m < 0 or not math.isfinite(snap_tolerance_m):
        raise InputError(f"snap_tolerance_m must be a finite number >= 0, got {snap_tolerance_m!r}.",
                         field="snap_tolerance_m", value=snap_tolerance_m, fix="Use e.g. 2.0.")
    notes: list[str] = []
    columns = set(roads.columns)
    frame = roads
    if exclude_kinds:
        excl = set(exclude_kinds)
        mask = np.zeros(len(frame), bool)
        for col in ("highway", "kind", "kind_detail", "railway", "route"):
            if col in columns:
                mask |= frame[col].isin(excl).to_numpy()
        if mask.any():
            notes.append(f"excluded {int(mask.sum())} non-road line(s) by kind")
            frame = frame.loc[~mask]
    if len(frame) == 0:
        raise InputError("roads has no usable lines.", field="roads", value=len(roads),
                         fix="Pass at least one LineString road (check exclude_kinds).")

    geoms = frame.geometry.to_numpy()
    problems: list[ValidationProblem] = []
    gtype = shapely.get_type_id(geoms)
    for i, (idx, g, t) in enumerate(zip(frame.index, geoms, gtype)):
        if g is None:
            problems.append(ValidationProblem(idx, "geometry", "missing geometry"))
        elif t not in (1, 5):
            problems.append(ValidationProblem(idx, "geometry",
                                              f"{g.geom_type} is not a LineString or MultiLineString"))
        elif shapely.is_empty(g):
            problems.append(ValidationProblem(idx, "geometry", "empty geometry"))
        elif not np.isfinite(shapely.get_coordinates(g)).all():
            problems.append(ValidationProblem(idx, "geometry", "non-finite coordinate"))
    if problems:
        raise ValidationError("roads has unusable geometries", problems,
                              fix="Drop or repair those rows before building the graph.")

    crs = metric_crs(frame)
    metric = frame.geometry.to_crs(crs).to_numpy()
    parts, src = shapely.get_parts(metric, return_index=True)

    # per source row attributes
    n_rows = len(frame)

    def col(name):
        return frame[name].tolist() if name in columns else [None] * n_rows

    ow_raw, junction = col("oneway"), col("junction")
    highway, kind_detail, kind, maxspeed, name = (col(c) for c in
                                                  ("highway", "kind_detail", "kind", "maxspeed", "name"))
    bad_oneway = 0
    ow_row = np.zeros(n_rows, np.int8)
    sp_row = np.zeros(n_rows)
    name_row = np.empty(n_rows, object)
    kind_row = np.empty(n_rows, object)
    for i in range(n_rows):
        code = 0
        if respect_oneway:
            code = parse_oneway(ow_raw[i])
            if code is None:
                bad_oneway += 1
                code = 0
            elif _text(ow_raw[i]) is None and _text(junction[i]) in ("roundabout", "circular"):
                code = 1
        ow_row[i] = code
        classes = (highway[i], kind_detail[i], kind[i])
        sp_row[i] = _speed_kmh(maxspeed[i], *classes, default=default_speed_kmh)
        name_row[i] = _text(name[i])
        kind_row[i] = next((_text(c) for c in classes if _text(c)), None)
    lv_row = np.zeros(n_rows, np.int64)
    if respect_levels:
        layer = col("layer")
        bridge = [b if _truthy(b) else ib for b, ib in zip(col("bridge"), col("is_bridge"))]
        tunnel = [t if _truthy(t) else it for t, it in zip(col("tunnel"), col("is_tunnel"))]
        lv_row[:] = [_level(*v) for v in zip(layer, bridge, tunnel)]
    if bad_oneway:
        notes.append(f"treated {bad_oneway} unrecognised oneway value(s) as two-way")

    coords, cidx = shapely.get_coordinates(parts, return_index=True)
    # drop consecutive duplicate vertices
    keep = np.ones(len(coords), bool)
    keep[1:] = ~((cidx[1:] == cidx[:-1]) & np.all(coords[1:] == coords[:-1], axis=1))
    coords, cidx = coords[keep], cidx[keep]
    counts = np.bincount(cidx, minlength=len(parts))
    good = counts >= 2
    if (~good).any():
        notes.append(f"dropped {int((~good).sum())} zero-length line(s)")
    line_ids = np.flatnonzero(good)
    remap = np.full(len(parts), -1)
    remap[line_ids] = np.arange(len(line_ids))
    sel = good[cidx]
    coords, cidx = coords[sel].copy(), remap[cidx[sel]]
    src = src[line_ids]
    nl = len(line_ids)
    offsets = np.zeros(nl + 1, np.int64)
    np.cumsum(np.bincount(cidx, minlength=nl), out=offsets[1:])
    level = lv_row[src]

    forced: list[tuple[int, float, float]] = []  # (line, x, y) split points from gap snapping
    if snap_tolerance_m > 0:
        _snap_gaps(coords, offsets, snap_tolerance_m, forced, notes)

    lines = shapely.linestrings(coords, indices=cidx)
    pieces = _node_lines(lines, coords, offsets, level, forced, respect_levels)
    piece_line, piece_off, piece_xy = pieces

    # nodes from piece end points
    m = len(piece_line)
    starts = piece_xy[piece_off[:-1]]
    ends = piece_xy[piece_off[1:] - 1]
    ep = np.vstack([starts, ends])
    labels, node_xy = _cluster(ep, _NODE_EPS_M)
    a, b = labels[:m], labels[m:]
    piece_xy[piece_off[:-1]] = node_xy[a]
    piece_xy[piece_off[1:] - 1] = node_xy[b]
    loops = a == b
    if loops.any():
        notes.append(f"dropped {int(loops.sum())} degenerate loop piece(s)")
        keep_p = ~loops
        kept = np.flatnonzero(keep_p)
        cnt = np.diff(piece_off)[kept]
        sel = np.repeat(piece_off[:-1][kept], cnt) + _ragged_arange(cnt)
        piece_xy = piece_xy[sel]
        piece_off = np.zeros(len(kept) + 1, np.int64)
        np.cumsum(cnt, out=piece_off[1:])
        piece_line, a, b = piece_line[kept], a[kept], b[kept]
    # drop unused nodes (all nodes are piece ends, but loops may orphan some)
    used = np.zeros(len(node_xy), bool)
    used[a] = True
    used[b] = True
    new_id = np.cumsum(used) - 1
    a, b, node_xy = new_id[a], new_id[b], node_xy[used]

    inv = Transformer.from_crs(crs, STORAGE_CRS, always_xy=True)
    lon, lat = inv.transform(piece_xy[:, 0], piece_xy[:, 1])
    coords_ll = np.column_stack([lon, lat])
    nlon, nlat = inv.transform(node_xy[:, 0], node_xy[:, 1])
    row_of_piece = src[piece_line]
    return _assemble(
        node_lonlat=np.column_stack([nlon, nlat]), node_xy=node_xy,
        node_ids=np.full(len(node_xy), None, object), crs=crs, seg_a=a, seg_b=b, offsets=piece_off,
        coords_lonlat=coords_ll, coords_xy=piece_xy, oneway=ow_row[row_of_piece],
        speed_kmh=sp_row[row_of_piece], names=name_row[row_of_piece], kinds=kind_row[row_of_piece],
        weight=weight, notes=notes)


def _ragged_arange(counts: np.ndarray) -> np.ndarray:
    """``concatenate([arange(c) for c in counts])`` without a Python loop."""
    counts = np.asarray(counts, np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    starts = np.cumsum(counts) - counts
    return np.arange(total, dtype=np.int64) - np.repeat(starts, counts)


def _cluster(points: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Label points that are within ``radius`` of each other (transitively); return labels and centres."""
    n = len(points)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros((0, 2))
    pairs = cKDTree(points).query_pairs(radius, output_type="ndarray")
    if len(pairs):
        adj = csr_array((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
        _, labels = connected_components(adj, directed=False)
    else:
        labels = np.arange(n)
    k = labels.max() + 1
    cnt = np.bincount(labels, minlength=k)
    cx = np.bincount(labels, weights=points[:, 0], minlength=k) / cnt
    cy = np.bincount(labels, weights=points[:, 1], minlength=k) / cnt
    return labels, np.column_stack([cx, cy])


def _snap_gaps(coords: np.ndarray, offsets: np.ndarray, tol: float,
               forced: list[tuple[int, float, float]], notes: list[str]) -> None:
    """Close gaps of at most ``tol`` metres at line ends; mutates ``coords`` in place.

    1. End points within ``tol`` of each other are moved onto one of them:
       preferably one that already lies on another line (so an existing
       T-junction is not broken), else the position most of them share.
    2. An end point that is still alone and touches no other line is moved
       onto the nearest other line within ``tol``; the point is added to
       ``forced`` so that line is split there.
    """
    nl = len(offsets) - 1
    end_pos = np.concatenate([offsets[:-1], offsets[1:] - 1])
    end_line = np.concatenate([np.arange(nl), np.arange(nl)])

    def touching(tree, pos):
        qi, li = tree.query(shapely.points(coords[end_pos[pos]]), predicate="intersects")
        hit = np.zeros(len(pos), bool)
        hit[qi[li != end_line[pos[qi]]]] = True
        return hit

    line_idx = np.repeat(np.arange(nl), np.diff(offsets))
    lines = shapely.linestrings(coords, indices=line_idx)
    tree = shapely.STRtree(lines)
    ends = coords[end_pos]
    labels, _ = _cluster(ends, tol)
    size = np.bincount(labels)
    multi = np.flatnonzero(size[labels] > 1)
    if len(multi):
        touch = touching(tree, multi)
        key = np.column_stack([labels[multi], ends[multi]])
        _, inv, cnt = np.unique(key, axis=0, return_inverse=True, return_counts=True)
        score = touch * 1e6 + cnt[inv.ravel()]
        order = np.lexsort((-score, labels[multi]))
        lab_sorted = labels[multi][order]
        first = np.ones(len(order), bool)
        first[1:] = lab_sorted[1:] != lab_sorted[:-1]
        rep = np.empty((labels.max() + 1, 2))
        rep[lab_sorted[first]] = ends[multi][order][first]
        target = rep[labels[multi]]
        moved = np.any(ends[multi] != target, axis=1)
        if moved.any():
            coords[end_pos[multi[moved]]] = target[moved]
            notes.append(f"merged {int(moved.sum())} end point(s) within {tol:g} m of another end point")
            lines = shapely.linestrings(coords, indices=line_idx)
            tree = shapely.STRtree(lines)
    lone = np.flatnonzero(size[labels] == 1)
    if len(lone) == 0:
        return
    lone = lone[~touching(tree, lone)]
    if len(lone) == 0:
        return
    pts = shapely.points(coords[end_pos[lone]])
    qi, li = tree.query(pts, predicate="dwithin", distance=tol)
    other = li != end_line[lone[qi]]
    qi, li = qi[other], li[other]
    if len(qi) == 0:
        return
    dist = shapely.distance(pts[qi], lines[li])
    order = np.lexsort((li, dist, qi))
    qi, li = qi[order], li[order]
    first = np.ones(len(qi), bool)
    first[1:] = qi[1:] != qi[:-1]
    qi, li = qi[first], li[first]
    proj = shapely.line_interpolate_point(lines[li], shapely.line_locate_point(lines[li], pts[qi]))
    pxy = shapely.get_coordinates(proj)
    coords[end_pos[lone[qi]]] = pxy
    for line, (px, py) in zip(li.tolist(), pxy.tolist()):
        forced.append((line, px, py))
    notes.append(f"extended {len(qi)} dangling end point(s) onto a line within {tol:g} m")


def _node_lines(lines: np.ndarray, coords: np.ndarray, offsets: np.ndarray, level: np.ndarray,
                forced: list[tuple[int, float, float]], respect_levels: bool):
    """Split every line at its crossings with other lines; return (line of piece, offsets, coords)."""
    nl = len(lines)
    tree = shapely.STRtree(lines)
    left, right = tree.query(lines, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    inter = shapely.intersection(lines[left], lines[right])
    parts, pidx = shapely.get_parts(inter, return_index=True)
    pxy, cidx = shapely.get_coordinates(parts, return_index=True)
    pair = pidx[cidx]
    li, ri = left[pair], right[pair]
    if respect_levels and len(pxy):
        diff = level[li] != level[ri]
        if diff.any():
            # different levels: keep only points at an end of either line
            d = np.full(len(pxy), np.inf)
            for line in (li, ri):
                for pos in (offsets[line], offsets[line + 1] - 1):
                    d = np.minimum(d, np.hypot(*(pxy - coords[pos]).T))
            ok = ~diff | (d <= _NODE_EPS_M)
            pxy, li, ri = pxy[ok], li[ok], ri[ok]
    cut_line = np.concatenate([li, ri])
    cut_xy = np.vstack([pxy, pxy]) if len(pxy) else np.zeros((0, 2))
    if forced:
        f = np.asarray(forced, float)
        cut_line = np.concatenate([cut_line, f[:, 0].astype(np.int64)])
        cut_xy = np.vstack([cut_xy, f[:, 1:]])
    cut_pos = shapely.line_locate_point(lines[cut_line], shapely.points(cut_xy)) if len(cut_line) else np.zeros(0)

    step = np.zeros(len(coords))
    step[1:] = np.hypot(*np.diff(coords, axis=0).T)
    step[offsets[:-1]] = 0.0
    cum = np.cumsum(step)
    cum -= np.repeat(cum[offsets[:-1]], np.diff(offsets))
    length = cum[offsets[1:] - 1]

    order = np.lexsort((cut_pos, cut_line))
    cut_line, cut_pos, cut_xy = cut_line[order], cut_pos[order], cut_xy[order]
    bounds = np.searchsorted(cut_line, np.arange(nl + 1))
    eps = _NODE_EPS_M
    out_line: list[int] = []
    out_xy: list[np.ndarray] = []
    for line in range(nl):
        c = coords[offsets[line]:offsets[line + 1]]
        s = cum[offsets[line]:offsets[line + 1]]
        L = length[line]
        lo, hi = bounds[line], bounds[line + 1]
        pos = cut_pos[lo:hi]
        sel = (pos > eps) & (pos < L - eps)
        pos, pts = pos[sel], cut_xy[lo:hi][sel]
        if len(pos) > 1:
            uniq = np.ones(len(pos), bool)
            uniq[1:] = np.diff(pos) > eps
            pos, pts = pos[uniq], pts[uniq]
        if len(pos) == 0:
            pieces = [c]
        else:
            cuts = np.concatenate([[0.0], pos, [L]])
            cpts = np.vstack([c[:1], pts, c[-1:]])
            pieces = []
            for k in range(len(cuts) - 1):
                inner = c[(s > cuts[k] + eps) & (s < cuts[k + 1] - eps)]
                pieces.append(np.vstack([cpts[k:k + 1], inner, cpts[k + 1:k + 2]]))
        for p in pieces:
            if np.hypot(*(p[0] - p[-1])) <= eps and len(p) > 2:
                # a closed piece: split it at half its length so it has two nodes
                pl = shapely.LineString(p)
                half = shapely.line_interpolate_point(pl, pl.length / 2)
                hxy = np.asarray(half.coords[0])
                ps = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(p, axis=0).T))])
                mid = pl.length / 2
                first = np.vstack([p[ps < mid - eps], hxy])
                second = np.vstack([hxy, p[ps > mid + eps]])
                for q in (first, second):
                    out_line.append(line)
                    out_xy.append(q)
            else:
                out_line.append(line)
                out_xy.append(p)
    cnt = np.fromiter((len(p) for p in out_xy), np.int64, count=len(out_xy))
    off = np.zeros(len(out_xy) + 1, np.int64)
    np.cumsum(cnt, out=off[1:])
    return np.asarray(out_line, np.int64), off, np.vstack(out_xy)


# --------------------------------------------------------------------------- OSM XML


def read_osm_xml(source: str | PathLike | IO[bytes], *, weight: str = "length",
                 respect_oneway: bool = True, highways: Iterable[str] | None = None,
                 default_speed_kmh: float | None = None) -> RoadGraph:
    """Read an OSM XML file of a noded road network (e.g. an OSMnx export).

    Every ``<node>`` becomes a graph node (so the node count matches the
    file; nodes that no way uses stay isolated and are never snapped to) and
    every pair of consecutive nodes of a ``<way>`` a segment. Ways keep their
    ``highway``, ``oneway``, ``name`` and ``maxspeed``; ``highways`` limits
    the ways read to those classes.
    """
    _check_weight(weight)
    wanted = set(highways) if highways is not None else None
    ids: list[int] = []
    lons: list[float] = []
    lats: list[float] = []
    ways: list[tuple[list[int], dict[str, str]]] = []
    try:
        for _, elem in ET.iterparse(source, events=("end",)):
            tag = elem.tag
            if tag == "node":
                ids.append(int(elem.get("id")))
                lons.append(float(elem.get("lon")))
                lats.append(float(elem.get("lat")))
                elem.clear()
            elif tag == "way":
                refs = [int(nd.get("ref")) for nd in elem.iter("nd")]
                tags = {t.get("k"): t.get("v") for t in elem.iter("tag")}
                ways.append((refs, tags))
                elem.clear()
    except ET.ParseError as exc:
        raise InputError(f"source is not valid OSM XML: {exc}.", field="source",
                         fix="Pass an .osm XML file (OSMnx save_graph_xml writes one).") from None
    if not ids:
        raise InputError("source has no <node> elements.", field="source",
                         fix="Pass an OSM XML file with nodes and ways.")
    node_ids = np.asarray(ids, np.int64)
    order = np.argsort(node_ids)
    lon = np.asarray(lons)
    lat = np.asarray(lats)
    notes: list[str] = []
    seg_a: list[int] = []
    seg_b: list[int] = []
    ow: list[int] = []
    spd: list[float] = []
    names: list[str | None] = []
    kinds: list[str | None] = []
    missing = bad_oneway = skipped = 0
    for refs, tags in ways:
        hw = tags.get("highway")
        if wanted is not None and hw not in wanted:
            skipped += 1
            continue
        pos = np.searchsorted(node_ids, refs, sorter=order)
        pos = np.minimum(pos, len(order) - 1)
        idx = order[pos]
        ok = node_ids[idx] == np.asarray(refs, np.int64)
        if not ok.all():
            missing += int((~ok).sum())
        code = parse_oneway(tags.get("oneway")) if respect_oneway else 0
        if code is None:
            bad_oneway += 1
            code = 0
        if respect_oneway and code == 0 and tags.get("junction") in ("roundabout", "circular") \
                and tags.get("oneway") is None:
            code = 1
        speed = _speed_kmh(tags.get("maxspeed"), hw, default=default_speed_kmh)
        idx = idx.tolist()
        okl = ok.tolist()
        for k in range(len(idx) - 1):
            if okl[k] and okl[k + 1] and idx[k] != idx[k + 1]:
                seg_a.append(idx[k])
                seg_b.append(idx[k + 1])
                ow.append(code)
                spd.append(speed)
                names.append(tags.get("name"))
                kinds.append(hw)
    if missing:
        notes.append(f"ignored {missing} way reference(s) to nodes missing from the file")
    if bad_oneway:
        notes.append(f"treated {bad_oneway} unrecognised oneway value(s) as two-way")
    if skipped:
        notes.append(f"skipped {skipped} way(s) outside the requested highway classes")
    isolated = len(ids) - len(set(seg_a) | set(seg_b))
    if isolated:
        notes.append(f"{isolated} node(s) are used by no way and stay isolated")
    crs = _metric_crs_for(lon, lat)
    fwd = Transformer.from_crs(STORAGE_CRS, crs, always_xy=True)
    x, y = fwd.transform(lon, lat)
    node_xy = np.column_stack([x, y])
    a = np.asarray(seg_a, np.int64)
    b = np.asarray(seg_b, np.int64)
    pairs = np.column_stack([a, b]).ravel()
    offsets = np.arange(0, 2 * len(a) + 1, 2, dtype=np.int64)
    return _assemble(
        node_lonlat=np.column_stack([lon, lat]), node_xy=node_xy, node_ids=node_ids, crs=crs,
        seg_a=a, seg_b=b, offsets=offsets, coords_lonlat=np.column_stack([lon[pairs], lat[pairs]]),
        coords_xy=node_xy[pairs], oneway=np.asarray(ow, np.int8), speed_kmh=np.asarray(spd, float),
        names=np.asarray(names, object), kinds=np.asarray(kinds, object), weight=weight, notes=notes)


# --------------------------------------------------------------------------- subgraphs


def subgraph(graph: RoadGraph, nodes) -> RoadGraph:
    """The graph induced by ``nodes`` (a boolean mask or node indices), renumbered.

    Segments with both ends kept are kept; node order is preserved.
    """
    mask = np.zeros(graph.n_nodes, bool)
    nodes = np.asarray(nodes)
    if nodes.dtype == bool:
        if nodes.shape != (graph.n_nodes,):
            raise InputError(f"nodes mask must have length {graph.n_nodes}, got {nodes.shape}.",
                             field="nodes", value=list(nodes.shape), fix="Pass one flag per node.")
        mask[:] = nodes
    else:
        mask[nodes.astype(np.int64)] = True
    new_id = np.cumsum(mask) - 1
    keep = mask[graph.seg_a] & mask[graph.seg_b]
    segs = np.flatnonzero(keep)
    cnt = np.diff(graph.seg_offsets)[segs]
    idx = np.repeat(graph.seg_offsets[:-1][segs], cnt) + _ragged_arange(cnt)
    off = np.zeros(len(segs) + 1, np.int64)
    np.cumsum(cnt, out=off[1:])
    notes = list(graph.notes) + [f"subgraph of {int(mask.sum())} of {graph.n_nodes} node(s)"]
    return _assemble(
        node_lonlat=np.column_stack([graph.lon, graph.lat])[mask],
        node_xy=np.column_stack([graph.x, graph.y])[mask], node_ids=graph.node_ids[mask],
        crs=graph.crs, seg_a=new_id[graph.seg_a[segs]], seg_b=new_id[graph.seg_b[segs]], offsets=off,
        coords_lonlat=graph.coords_lonlat[idx], coords_xy=graph.coords_xy[idx],
        oneway=graph.seg_oneway[segs], speed_kmh=graph.seg_speed_mps[segs] * 3.6,
        names=graph.seg_name[segs], kinds=graph.seg_kind[segs], weight=graph.weight,
        notes=[n for n in notes if not n.startswith("reduced ")])


def largest_component(graph: RoadGraph, *, strong: bool = True) -> RoadGraph:
    """The largest strongly (or weakly) connected part of ``graph``.

    Dispatch graphs should be strongly connected: a point snapped onto a
    fragment that one-way streets or missing data cut off can be reached but
    not left (or the reverse), and every route to it would fall back to a
    straight line.
    """
    _, labels = connected_components(graph.matrix, directed=True,
                                     connection="strong" if strong else "weak")
    return subgraph(graph, labels == np.argmax(np.bincount(labels)))


# --------------------------------------------------------------------------- snapping


_PIECE_M = 20.0  # segments are indexed in pieces of at most this length


@dataclass(frozen=True)
class _PieceIndex:
    """Nearest-segment search: a KD-tree over the midpoints of short straight pieces.

    Every segment is cut (for indexing only) into straight pieces no longer
    than ``_PIECE_M``. A piece at distance ``d`` from a point has its
    midpoint within ``d + half`` of it, where ``half`` is the largest
    half-length; so once the ``k`` nearest midpoints reach beyond
    ``best + half``, no other piece can be nearer than the best one found.
    """

    tree: cKDTree
    p0: np.ndarray
    p1: np.ndarray
    seg: np.ndarray
    f0: np.ndarray
    f1: np.ndarray
    half: float

    @classmethod
    def build(cls, g: RoadGraph) -> _PieceIndex:
        xy, frac, off = g.coords_xy, g.coords_frac, g.seg_offsets
        starts = np.ones(len(xy), bool)
        starts[off[1:] - 1] = False  # a segment's last vertex starts no piece
        i = np.flatnonzero(starts)
        a, b = xy[i], xy[i + 1]
        length = np.hypot(*(b - a).T)
        n_sub = np.maximum(1, np.ceil(length / _PIECE_M)).astype(np.int64)
        rep = np.repeat(np.arange(len(i)), n_sub)
        k = _ragged_arange(n_sub)
        u0 = k / n_sub[rep]
        u1 = (k + 1) / n_sub[rep]
        d = (b - a)[rep]
        p0 = a[rep] + u0[:, None] * d
        p1 = a[rep] + u1[:, None] * d
        fa, fb = frac[i][rep], frac[i + 1][rep]
        seg = np.searchsorted(off, i[rep], side="right") - 1
        half = float((np.hypot(*(p1 - p0).T).max() / 2) if len(p0) else 0.0)
        return cls(cKDTree((p0 + p1) / 2), p0, p1, seg, fa + u0 * (fb - fa), fa + u1 * (fb - fa), half)

    def _project(self, q: np.ndarray, j: np.ndarray):
        p0, v = self.p0[j], self.p1[j] - self.p0[j]
        vv = np.einsum("...i,...i->...", v, v)
        w = q - p0
        u = np.clip(np.divide(np.einsum("...i,...i->...", w, v), vv, out=np.zeros_like(vv), where=vv > 0),
                    0.0, 1.0)
        proj = p0 + u[..., None] * v
        return np.linalg.norm(q - proj, axis=-1), u, proj

    def nearest(self, x: np.ndarray, y: np.ndarray, bound: float | None):
        """For each point: (segment or -1, fraction along it, distance or inf, snapped x, y)."""
        q = np.column_stack([x, y])
        npts, total = len(q), len(self.p0)
        seg = np.full(npts, -1, np.int64)
        t = np.zeros(npts)
        dist = np.full(npts, np.inf)
        sxy = np.full((npts, 2), np.nan)
        if total == 0 or npts == 0:
            return seg, t, dist, sxy[:, 0], sxy[:, 1]
        k = min(8, total)
        ub = np.inf if bound is None else bound + self.half
        dmid, j = self.tree.query(q, k=k, distance_upper_bound=ub)
        dmid, j = dmid.reshape(npts, k), j.reshape(npts, k)
        valid = j < total
        js = np.where(valid, j, 0)
        d, u, proj = self._project(q[:, None, :], js)
        d = np.where(valid, d, np.inf)
        best = np.argmin(d, axis=1)
        rows = np.arange(npts)
        db = d[rows, best]
        # proven when the k-th midpoint is beyond best + half (or fewer than k were in range)
        proven = ~valid[:, -1] | (dmid[:, -1] >= db + self.half) | (k == total)
        pick_j = js[rows, best]
        pick_u = u[rows, best]
        pick_p = proj[rows, best]
        for r in np.flatnonzero(~proven).tolist():
            cand = np.asarray(self.tree.query_ball_point(q[r], db[r] + self.half), np.int64)
            dd, uu, pp = self._project(q[r][None, :], cand)
            c = int(np.argmin(dd))
            db[r], pick_j[r], pick_u[r], pick_p[r] = dd[c], cand[c], uu[c], pp[c]
        hit = np.isfinite(db) if bound is None else db <= bound
        seg[hit] = self.seg[pick_j[hit]]
        t[hit] = np.clip(self.f0[pick_j[hit]] + pick_u[hit] * (self.f1[pick_j[hit]] - self.f0[pick_j[hit]]),
                         0.0, 1.0)
        dist[hit] = db[hit]
        sxy[hit] = pick_p[hit]
        return seg, t, dist, sxy[:, 0], sxy[:, 1]




def _snap_arrays(graph: RoadGraph, x: np.ndarray, y: np.ndarray, to: str,
                 max_distance: float | None = None):
    """Vectorised snapping in metric coordinates → (node, segment, t, distance, sx, sy).

    With ``max_distance``, points farther than that from every segment (or
    node) get ``distance = inf``, ``node = segment = -1``; the bounded search
    is several times faster than an unbounded one.
    """
    k = len(x)
    bound = None if max_distance is None or not math.isfinite(max_distance) else float(max_distance)
    if to == "node":
        tree, usable = graph._node_tree
        if len(usable) == 0:
            raise NotFoundError("the graph has no edges to snap to.", field="graph",
                                fix="Build the graph from at least one road line.")
        d, i = tree.query(np.column_stack([x, y]), distance_upper_bound=bound if bound is not None else np.inf)
        found = np.isfinite(d)
        node = np.where(found, usable[np.minimum(i, len(usable) - 1)], -1)
        safe = np.maximum(node, 0)
        return (node, np.full(k, -1), np.zeros(k), d, np.where(found, graph.x[safe], np.nan),
                np.where(found, graph.y[safe], np.nan))
    if to != "edge":
        raise InputError(f"to must be 'edge' or 'node', got {to!r}.", field="to", value=to,
                         fix="Use to='edge' (nearest road) or to='node' (nearest junction).")
    seg, t, d, sx, sy = graph._pieces.nearest(np.asarray(x, float), np.asarray(y, float), bound)
    if graph.n_segments == 0:
        raise NotFoundError("the graph has no segments to snap to.", field="graph",
                            fix="Build the graph from at least one road line.")
    found = seg >= 0
    safe = np.maximum(seg, 0)
    node = np.where(found, np.where(t <= 0.5, graph.seg_a[safe], graph.seg_b[safe]), -1)
    return node, seg, t, d, sx, sy


def _points_at(graph: RoadGraph, seg: np.ndarray, t: np.ndarray, coords: np.ndarray) -> np.ndarray:
    """Points at fractions ``t`` along segments ``seg`` (vectorised), in ``coords``' space.

    Segment index plus vertex fraction is non-decreasing over the flat vertex
    array, so one ``searchsorted`` finds every point's vertex pair.
    """
    seg = np.asarray(seg, np.int64)
    t = np.asarray(t, float)
    pos = np.searchsorted(graph._frac_key, seg + t, side="right")
    k = np.clip(pos, graph.seg_offsets[seg] + 1, graph.seg_offsets[seg + 1] - 1)
    f0, f1 = graph.coords_frac[k - 1], graph.coords_frac[k]
    span = f1 - f0
    r = np.clip(np.divide(t - f0, span, out=np.zeros_like(t), where=span > 0), 0.0, 1.0)
    return coords[k - 1] + r[:, None] * (coords[k] - coords[k - 1])


def _cut(graph: RoadGraph, s: int, t0: float, t1: float) -> np.ndarray:
    """Lon/lat vertices of segment ``s`` from fraction ``t0`` to ``t1`` (reversed if ``t0 > t1``)."""
    lo, hi = graph.seg_offsets[s], graph.seg_offsets[s + 1]
    lo_t, hi_t = (t0, t1) if t0 <= t1 else (t1, t0)
    f = graph.coords_frac[lo:hi]
    inner = graph.coords_lonlat[lo:hi][(f > lo_t) & (f < hi_t)]
    ends = _points_at(graph, np.array([s, s]), np.array([lo_t, hi_t]), graph.coords_lonlat)
    pts = np.vstack([ends[:1], inner, ends[1:]])
    return pts if t0 <= t1 else pts[::-1]


def snap(graph: RoadGraph, lon, lat, *, to: str = "edge") -> Snap | list[Snap]:
    """Snap lon/lat point(s) in EPSG:4490 to the nearest segment (``to="edge"``) or node.

    Scalars give one :class:`Snap`, arrays a list. Isolated nodes are never
    snapped to.
    """
    scalar = np.ndim(lon) == 0
    lon_a = np.atleast_1d(np.asarray(lon, float))
    lat_a = np.atleast_1d(np.asarray(lat, float))
    if lon_a.shape != lat_a.shape or not (np.isfinite(lon_a).all() and np.isfinite(lat_a).all()):
        raise InputError("lon and lat must be finite and of the same shape.", field="lon",
                         value=(lon, lat), fix="Pass matching arrays of finite coordinates.")
    x, y = graph.project(lon_a, lat_a)
    node, seg, t, d, sx, sy = _snap_arrays(graph, x, y, to)
    if to == "node":
        sll = np.column_stack([graph.lon[node], graph.lat[node]])
    else:
        sll = _points_at(graph, seg, t, graph.coords_lonlat)
    out = [Snap(float(lon_a[j]), float(lat_a[j]), int(node[j]), int(seg[j]), float(t[j]),
                float(d[j]), float(sll[j, 0]), float(sll[j, 1])) for j in range(len(lon_a))]
    return out[0] if scalar else out


# --------------------------------------------------------------------------- routing


@dataclass
class _Anchor:
    """A route end: the query point and how it joins the graph."""

    lon: float
    lat: float
    x: float
    y: float
    node: int = -1          # a node anchor
    seg: int = -1           # or a point on a segment
    t: float = 0.0
    access_m: float = 0.0


def _anchors(graph: RoadGraph, places: Sequence[Any], names: Sequence[str], snap_to: str,
             max_snap_m: float | None = None) -> list[_Anchor]:
    """Route ends from node indices, :class:`Snap` objects or (lon, lat) pairs (snapped together)."""
    out: list[_Anchor | None] = []
    todo: list[tuple[int, float, float]] = []
    for k, (where, name) in enumerate(zip(places, names)):
        if isinstance(where, Snap):
            x, y = graph.project([where.lon], [where.lat])
            out.append(_Anchor(where.lon, where.lat, float(x[0]), float(y[0]),
                               node=where.node if where.segment < 0 else -1, seg=where.segment,
                               t=where.t, access_m=where.distance_m))
        elif isinstance(where, int | np.integer) and not isinstance(where, bool):
            i = int(where)
            if not 0 <= i < graph.n_nodes:
                raise InputError(f"{name} node {i} is not in the graph (0..{graph.n_nodes - 1}).",
                                 field=name, value=i, fix="Pass a node index or a (lon, lat) pair.")
            out.append(_Anchor(float(graph.lon[i]), float(graph.lat[i]), float(graph.x[i]),
                               float(graph.y[i]), node=i))
        else:
            try:
                lon, lat = (float(v) for v in where)
            except (TypeError, ValueError):
                raise InputError(f"{name} must be a node index, a (lon, lat) pair or a Snap; got {where!r}.",
                                 field=name, value=where,
                                 fix="Pass e.g. (121.5, 31.23) in EPSG:4490.") from None
            if not (math.isfinite(lon) and math.isfinite(lat)):
                raise InputError(f"{name} has a non-finite coordinate: {where!r}.", field=name, value=where,
                                 fix="Pass finite (lon, lat) in EPSG:4490.")
            out.append(None)
            todo.append((k, lon, lat))
    if todo:
        lon = np.array([p[1] for p in todo])
        lat = np.array([p[2] for p in todo])
        x, y = graph.project(lon, lat)
        node, seg, t, d, _, _ = _snap_arrays(graph, x, y, snap_to, max_snap_m)
        for r, (k, lo, la) in enumerate(todo):
            out[k] = _Anchor(lo, la, float(x[r]), float(y[r]), node=int(node[r]) if seg[r] < 0 else -1,
                             seg=int(seg[r]), t=float(t[r]), access_m=float(d[r]))
    return out


def _w(graph: RoadGraph, s: int, metres: float) -> float:
    return metres if graph.weight == "length" else metres / graph.seg_speed_mps[s]


def _access_cost(graph: RoadGraph, metres: float) -> float:
    return metres if graph.weight == "length" else metres / ACCESS_SPEED_MPS


def _out_entries(graph: RoadGraph, a: _Anchor) -> list[tuple[int, float, int, float]]:
    """Nodes reachable from an anchor along its segment: (node, cost, segment, t_node)."""
    if a.seg < 0:
        return [(a.node, 0.0, -1, 0.0)]
    s, t, L = a.seg, a.t, graph.seg_length_m[a.seg]
    ow = graph.seg_oneway[s]
    out = []
    if ow >= 0:
        out.append((int(graph.seg_b[s]), _w(graph, s, (1 - t) * L), s, 1.0))
    if ow <= 0:
        out.append((int(graph.seg_a[s]), _w(graph, s, t * L), s, 0.0))
    return out


def _in_entries(graph: RoadGraph, a: _Anchor) -> list[tuple[int, float, int, float]]:
    """Nodes from which an anchor is reached along its segment: (node, cost, segment, t_node)."""
    if a.seg < 0:
        return [(a.node, 0.0, -1, 0.0)]
    s, t, L = a.seg, a.t, graph.seg_length_m[a.seg]
    ow = graph.seg_oneway[s]
    out = []
    if ow >= 0:
        out.append((int(graph.seg_a[s]), _w(graph, s, t * L), s, 0.0))
    if ow <= 0:
        out.append((int(graph.seg_b[s]), _w(graph, s, (1 - t) * L), s, 1.0))
    return out


def _direct(graph: RoadGraph, o: _Anchor, d: _Anchor) -> float:
    """Cost of going from ``o`` to ``d`` along their common segment without a node; inf if impossible."""
    if o.seg < 0 or o.seg != d.seg:
        return math.inf
    s, L, ow = o.seg, graph.seg_length_m[o.seg], graph.seg_oneway[o.seg]
    if d.t >= o.t and ow >= 0:
        return _w(graph, s, (d.t - o.t) * L)
    if d.t <= o.t and ow <= 0:
        return _w(graph, s, (o.t - d.t) * L)
    return math.inf


def _with_source(m: csr_array, targets: Sequence[int], costs: Sequence[float]) -> csr_array:
    """``m`` plus a virtual node ``n`` with edges to ``targets``; shares no state with ``m``."""
    n = m.shape[0]
    t = np.asarray(targets, np.int32)
    c = np.asarray(costs, np.float64)
    order = np.argsort(t, kind="stable")
    indptr = np.empty(n + 2, np.int32)
    indptr[:-1] = m.indptr
    indptr[-1] = m.indptr[-1] + len(t)
    return csr_array((np.concatenate([m.data, c[order]]), np.concatenate([m.indices, t[order]]),
                      indptr), shape=(n + 1, n + 1), copy=False)


def _search(m: csr_array, src: int, limit0: float, best_of) -> tuple[np.ndarray, np.ndarray, float]:
    """Limited Dijkstra from ``src``, widened until ``best_of(dist)`` is proven optimal."""
    limit = limit0
    while True:
        dist, pred = dijkstra(m, directed=True, indices=src, return_predecessors=True, limit=limit)
        best = best_of(dist)
        if best <= limit or math.isinf(limit):
            return dist, pred, best
        # every node at distance <= best is settled within this limit
        limit = best * (1 + 1e-12) + 1e-9 if math.isfinite(best) else math.inf


def _path_nodes(pred: np.ndarray, start: int, stop: int) -> list[int]:
    """Follow predecessors from ``start`` until ``stop`` (exclusive) or a root."""
    path = [start]
    p = start
    while True:
        p = int(pred[p])
        if p < 0 or p == stop:
            break
        path.append(p)
    return path


def _path_coords(graph: RoadGraph, nodes: Sequence[int]) -> tuple[np.ndarray, float, float]:
    """Lon/lat coordinates, metres and seconds along ``nodes`` (forward edges)."""
    if len(nodes) < 2:
        p = np.array([[graph.lon[nodes[0]], graph.lat[nodes[0]]]]) if nodes else np.zeros((0, 2))
        return p, 0.0, 0.0
    u = np.asarray(nodes[:-1])
    v = np.asarray(nodes[1:])
    pos = graph.edge_position(u, v)
    seg = graph.edge_segment[pos]
    fwd = graph.edge_forward[pos]
    starts = graph.seg_offsets[seg]
    cnt = graph.seg_offsets[seg + 1] - starts
    rel = _ragged_arange(cnt)
    rep_cnt = np.repeat(cnt, cnt)
    rel = np.where(np.repeat(fwd, cnt), rel, rep_cnt - 1 - rel)
    idx = np.repeat(starts, cnt) + rel
    first = np.ones(len(idx), bool)
    first[(np.cumsum(cnt) - cnt)[1:]] = False  # drop each repeated junction vertex
    coords = graph.coords_lonlat[idx[first]]
    metres = float(graph.seg_length_m[seg].sum())
    secs = float((graph.seg_length_m[seg] / graph.seg_speed_mps[seg]).sum())
    return coords, metres, secs


def _partial(graph: RoadGraph, s: int, t0: float, t1: float) -> tuple[np.ndarray, float, float]:
    if s < 0:
        return np.zeros((0, 2)), 0.0, 0.0
    metres = abs(t1 - t0) * graph.seg_length_m[s]
    return _cut(graph, s, t0, t1), metres, metres / graph.seg_speed_mps[s]


def _build_route(graph: RoadGraph, o: _Anchor, d: _Anchor, nodes: list[int],
                 o_entry: tuple | None, d_entry: tuple | None, cost: float) -> Route:
    pieces = [np.array([[o.lon, o.lat]])]
    metres = secs = 0.0
    if nodes:
        _, _, s, tn = o_entry
        c, m_, t_ = _partial(graph, s, o.t, tn)
        pieces.append(c)
        metres += m_
        secs += t_
        c, m_, t_ = _path_coords(graph, nodes)
        pieces.append(c)
        metres += m_
        secs += t_
        _, _, s, tn = d_entry
        c, m_, t_ = _partial(graph, s, tn, d.t)
        pieces.append(c)
        metres += m_
        secs += t_
    else:  # along one segment
        c, m_, t_ = _partial(graph, o.seg, o.t, d.t)
        pieces.append(c)
        metres += m_
        secs += t_
    pieces.append(np.array([[d.lon, d.lat]]))
    coords = np.vstack(pieces)
    keep = np.ones(len(coords), bool)
    keep[1:] = np.any(np.abs(np.diff(coords, axis=0)) > 1e-12, axis=1)
    coords = coords[keep]
    if len(coords) == 1:
        coords = np.vstack([coords, coords])
    access = o.access_m + d.access_m
    return Route(distance_m=metres + access, duration_s=secs + access / ACCESS_SPEED_MPS,
                 cost=float(cost), nodes=tuple(int(n) for n in nodes), geometry=LineString(coords),
                 access_m=access)


def _fallback(graph: RoadGraph, o: _Anchor, d: _Anchor, reason: str) -> Route:
    metres = float(math.hypot(o.x - d.x, o.y - d.y))
    speed = _ref_speed_mps(graph)
    return Route(distance_m=metres, duration_s=metres / speed,
                 cost=metres if graph.weight == "length" else metres / speed, nodes=(),
                 geometry=LineString([(o.lon, o.lat), (d.lon, d.lat)]), fallback=True, reason=reason)


def _ref_speed_mps(graph: RoadGraph) -> float:
    return graph._ref_speed if graph.n_segments else ACCESS_SPEED_MPS


def _limit0(graph: RoadGraph, straight_m: float) -> float:
    metres = 1.5 * straight_m + 500.0
    return metres if graph.weight == "length" else metres / _ref_speed_mps(graph)


def shortest_path(graph: RoadGraph, origin, dest, *, snap_to: str = "edge",
                  max_snap_m: float = 500.0) -> Route:
    """The cheapest route from ``origin`` to ``dest``.

    ``origin`` and ``dest`` are node indices, ``(lon, lat)`` pairs in
    EPSG:4490 (snapped to the nearest segment, or node with
    ``snap_to="node"``) or :class:`Snap` objects. A point farther than
    ``max_snap_m`` from the graph, or a pair with no path between them,
    gives a straight-line :class:`Route` with ``fallback=True``.
    """
    o, d = _anchors(graph, (origin, dest), ("origin", "dest"), snap_to, max_snap_m)
    for a, name in ((o, "origin"), (d, "dest")):
        if a.access_m > max_snap_m:
            return _fallback(graph, o, d, f"{name} is more than max_snap_m={max_snap_m:g} m "
                                          f"from the nearest road")
    direct = _direct(graph, o, d)
    if o.seg < 0 and d.seg < 0 and o.node == d.node:
        return _build_route(graph, o, d, [o.node], (o.node, 0.0, -1, 0.0), (d.node, 0.0, -1, 0.0), 0.0)
    outs = _out_entries(graph, o)
    ins = _in_entries(graph, d)
    n = graph.n_nodes
    if o.seg < 0:
        m, src = graph.matrix, o.node
    else:
        m, src = _with_source(graph.matrix, [e[0] for e in outs], [e[1] for e in outs]), n
    in_nodes = np.asarray([e[0] for e in ins])
    in_cost = np.asarray([e[1] for e in ins])

    def best_of(dist):
        return min(float((dist[in_nodes] + in_cost).min()) if len(in_nodes) else math.inf, direct)

    straight = math.hypot(o.x - d.x, o.y - d.y)
    dist, pred, best = _search(m, src, _limit0(graph, straight), best_of)
    if math.isinf(best):
        return _fallback(graph, o, d, "no path between origin and dest in the road graph "
                                      "(different components or one-way dead end)")
    access_cost = _access_cost(graph, o.access_m) + _access_cost(graph, d.access_m)
    if direct <= best and math.isfinite(direct):
        return _build_route(graph, o, d, [], None, None, direct + access_cost)
    j = int(np.argmin(dist[in_nodes] + in_cost))
    nodes = _path_nodes(pred, int(in_nodes[j]), n if src == n else -1)[::-1]
    o_entry = next(e for e in outs if e[0] == nodes[0]) if o.seg >= 0 else outs[0]
    return _build_route(graph, o, d, nodes, o_entry, ins[j], best + access_cost)


def nearest_responder(graph: RoadGraph, incident, responders, available=None, *,
                      snap_to: str = "edge", max_snap_m: float = 500.0) -> tuple[int, Route]:
    """The available responder with the cheapest route *to* the incident, and that route.

    Parameters
    ----------
    incident
        ``(lon, lat)`` in EPSG:4490 (or a node index / :class:`Snap`).
    responders
        ``(k, 2)`` array-like of lon/lat in EPSG:4490.
    available
        Boolean mask of length ``k``; ``None`` means all are available.

    One Dijkstra runs backwards from the incident on the reversed graph with
    a limit that is widened only until the best responder is proven. Costs
    include each responder's straight access leg to the road. Responders with
    a road route always beat those without; when no available responder can
    reach the incident by road, the straight-line nearest is returned with
    ``Route.fallback = True``.

    Raises
    ------
    NotFoundError
        when no responder is available.
    """
    pts = np.asarray(responders, float).reshape(-1, 2)
    k = len(pts)
    mask = np.ones(k, bool) if available is None else np.asarray(available, bool)
    if mask.shape != (k,):
        raise InputError(f"available must have one flag per responder ({k}), got shape {mask.shape}.",
                         field="available", value=list(mask.shape), fix="Pass a boolean mask of length k.")
    cand = np.flatnonzero(mask)
    if len(cand) == 0:
        raise NotFoundError("no responder is available.", field="available",
                            fix="Mark at least one responder as available.")
    if not np.isfinite(pts[cand]).all():
        raise InputError("responders has non-finite coordinates.", field="responders",
                         fix="Pass finite lon/lat pairs in EPSG:4490.")
    inc, = _anchors(graph, (incident,), ("incident",), snap_to, max_snap_m)
    rx, ry = graph.project(pts[cand, 0], pts[cand, 1])
    straight = np.hypot(rx - inc.x, ry - inc.y)

    def anchor_of(j: int) -> _Anchor:
        return _Anchor(float(pts[cand[j], 0]), float(pts[cand[j], 1]), float(rx[j]), float(ry[j]))

    def fallback(reason: str) -> tuple[int, Route]:
        j = int(np.argmin(straight))
        return int(cand[j]), _fallback(graph, anchor_of(j), inc, reason)

    if inc.access_m > max_snap_m:
        return fallback(f"incident is more than max_snap_m={max_snap_m:g} m from the nearest road")
    node, seg, t, dsnap, _, _ = _snap_arrays(graph, rx, ry, snap_to, max_snap_m)
    ok = dsnap <= max_snap_m
    if not ok.any():
        return fallback(f"no available responder is within max_snap_m={max_snap_m:g} m of a road")
    ins = _in_entries(graph, inc)
    n = graph.n_nodes
    if inc.seg < 0:
        m, src = graph.reverse, inc.node
    else:
        m, src = _with_source(graph.reverse, [e[0] for e in ins], [e[1] for e in ins]), n

    # each responder leaves along its segment towards one or two nodes (vectorised)
    acc = np.where(ok, dsnap, np.inf)
    if graph.weight == "time":
        acc = acc / ACCESS_SPEED_MPS
    okj = np.flatnonzero(ok)
    direct = np.full(len(cand), math.inf)
    if snap_to == "node":
        ent_j_a, ent_node_a, ent_cost_a = okj, node[okj], acc[okj]
    else:
        s_ = seg[okj]
        length = graph.seg_length_m[s_]
        per_m = np.ones(len(okj)) if graph.weight == "length" else 1.0 / graph.seg_speed_mps[s_]
        ow = graph.seg_oneway[s_]
        fw, bw = ow >= 0, ow <= 0
        ent_j_a = np.concatenate([okj[fw], okj[bw]])
        ent_node_a = np.concatenate([graph.seg_b[s_][fw], graph.seg_a[s_][bw]]).astype(np.int64)
        ent_cost_a = np.concatenate([((1 - t[okj]) * length * per_m + acc[okj])[fw],
                                     (t[okj] * length * per_m + acc[okj])[bw]])
        if inc.seg >= 0:
            same = okj[s_ == inc.seg]
            for j in same.tolist():
                a = anchor_of(j)
                a.seg, a.t = int(seg[j]), float(t[j])
                direct[j] = _direct(graph, a, inc) + acc[j]

    def totals(dist):
        tot = np.full(len(cand), math.inf)
        np.minimum.at(tot, ent_j_a, dist[ent_node_a] + ent_cost_a)
        return np.minimum(tot, direct)

    limit0 = _limit0(graph, float(straight[ok].min()))
    dist, pred, best = _search(m, src, limit0, lambda dist: float(totals(dist).min()))
    if math.isinf(best):
        return fallback("no available responder has a road route to the incident "
                        "(different components or one-way dead end)")
    tot = totals(dist)
    j = int(np.argmin(tot))
    a = anchor_of(j)
    a.seg, a.t, a.access_m = int(seg[j]), float(t[j]), float(dsnap[j])
    a.node = int(node[j]) if a.seg < 0 else -1
    access_cost = acc[j] + _access_cost(graph, inc.access_m)
    if direct[j] <= tot[j] and math.isfinite(direct[j]):
        return int(cand[j]), _build_route(graph, a, inc, [], None, None,
                                          direct[j] - acc[j] + access_cost)
    sel = np.flatnonzero(ent_j_a == j)
    e = sel[int(np.argmin(dist[ent_node_a[sel]] + ent_cost_a[sel]))]
    start = int(ent_node_a[e])
    nodes = _path_nodes(pred, start, n if src == n else -1)
    o_entry = next(x for x in _out_entries(graph, a) if x[0] == start)
    last = nodes[-1]
    d_entry = next((x for x in ins if x[0] == last), ins[0])
    return int(cand[j]), _build_route(graph, a, inc, nodes, o_entry, d_entry,
                                      float(tot[j]) - acc[j] + access_cost)
