"""The road graph model: :class:`RoadGraph`, its assembly from segments, and subgraphs.

A :class:`RoadGraph` is a directed graph held as a ``scipy.sparse`` CSR matrix
of edge weights (metres, or seconds when built with ``weight="time"``) plus
arrays of node coordinates and a table of *segments*: the road pieces between
two nodes, each with its geometry, length, speed and one-way code. A two-way
segment gives two directed edges, a one-way segment one. Parallel edges
between the same pair of nodes are reduced to the cheapest.

The builders (:mod:`geogrid.routing.build` for unnoded centrelines,
:mod:`geogrid.routing.osm` for OSM XML) both end in ``_assemble``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from shapely.geometry import LineString

from .._errors import InputError
from ..crs import STORAGE_CRS, metric_crs
from ..road_kinds import NOT_ROUTABLE, SPEEDS_KMH

__all__ = [
    "RoadGraph",
    "subgraph",
    "largest_component",
    "parse_oneway",
    "parse_maxspeed",
    "DEFAULT_SPEEDS_KMH",
    "EXCLUDED_KINDS",
    "ACCESS_SPEED_MPS",
]


#: Free-flow speeds (km/h) by OSM ``highway`` / ``kind_detail`` class (or Tilezen ``kind``)
#: in a dense Chinese city centre, used when a road has no ``maxspeed``; from the one
#: road-class table, :data:`geogrid.road_kinds.KINDS`.
DEFAULT_SPEEDS_KMH: dict[str, float] = dict(SPEEDS_KMH)
_FALLBACK_SPEED_KMH = 25.0

#: Line kinds that are not roads a responder can use (rail, ferry, unbuilt roads…);
#: dropped by :func:`graph_from_lines` unless ``exclude_kinds`` says otherwise.
EXCLUDED_KINDS = NOT_ROUTABLE

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
        raise InputError(f"weight 须为 'length' 或 'time' / "
                         f"weight must be 'length' or 'time', got {weight!r}.", field="weight",
                         value=weight, fix="按长度 (米) 用 weight='length', 按时间 (秒) 用 weight='time' / "
                                           "Pass weight='length' (metres) or weight='time' (seconds).")
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

    def _memo(self, name: str, build: Callable[[RoadGraph], Any]) -> Any:
        """A structure derived from the graph, built by ``build(self)`` on first use and kept."""
        cache = self.__dict__.setdefault("_derived", {})
        if name not in cache:
            cache[name] = build(self)
        return cache[name]

    def _memoised(self, name: str) -> Any:
        """The structure :meth:`_memo` keeps under ``name``, or ``None`` if it was never built."""
        return self.__dict__.get("_derived", {}).get(name)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the graph without its derived structures (the route index is native code)."""
        state = self.__dict__.copy()
        state.pop("_derived", None)
        return state

    @cached_property
    def _frac_key(self) -> np.ndarray:
        counts = np.diff(self.seg_offsets)
        return np.repeat(np.arange(self.n_segments, dtype=float), counts) + self.coords_frac

    @cached_property
    def _seg_lists(self) -> tuple[list, list, list, list, list]:
        """``seg_a``, ``seg_b``, ``seg_oneway``, ``seg_length_m`` and ``seg_speed_mps`` as plain
        lists: a query reads a few of them, and plain ints and floats are cheaper to read and
        add than NumPy scalars (the sums are the same IEEE operations)."""
        return (self.seg_a.tolist(), self.seg_b.tolist(), self.seg_oneway.tolist(),
                self.seg_length_m.tolist(), self.seg_speed_mps.tolist())

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

def _ragged_arange(counts: np.ndarray) -> np.ndarray:
    """``concatenate([arange(c) for c in counts])`` without a Python loop."""
    counts = np.asarray(counts, np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    starts = np.cumsum(counts) - counts
    return np.arange(total, dtype=np.int64) - np.repeat(starts, counts)


# --------------------------------------------------------------------------- subgraphs


def subgraph(graph: RoadGraph, nodes) -> RoadGraph:
    """The graph induced by ``nodes`` (a boolean mask or node indices), renumbered.

    Segments with both ends kept are kept; node order is preserved.
    """
    mask = np.zeros(graph.n_nodes, bool)
    nodes = np.asarray(nodes)
    if nodes.dtype == bool:
        if nodes.shape != (graph.n_nodes,):
            raise InputError(f"nodes 掩码长度须为 {graph.n_nodes} / "
                             f"nodes mask must have length {graph.n_nodes}, got {nodes.shape}.",
                             field="nodes", value=list(nodes.shape), fix="每个节点一个标志 / Pass one flag per node.")
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
