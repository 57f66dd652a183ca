"""All-pairs route table for small graphs: every cheapest route read off, not searched.

On a district graph (up to :data:`TABLE_MAX_NODES` nodes) the cheapest route
between any two nodes is computed once, by SciPy's all-pairs Dijkstra
(:func:`scipy.sparse.csgraph.dijkstra` without ``indices``), and kept as two
``n × n`` arrays:

* ``dist[s, t]``: SciPy's distance from ``s`` to ``t`` (float64), so a
  reported cost *is* SciPy's;
* ``arc[s, t]``: the position in ``graph.matrix.data`` of the last edge into
  ``t`` on that route (``-1`` at ``s`` and where ``t`` is unreachable),
  read off SciPy's predecessor matrix.

A query with a few start and end nodes, each with an offset (a point half-way
along a segment, a team of responders), is then a handful of array reads,
and the path is a walk back along ``arc`` from the end node: no search, no
native call. :func:`route_table` builds it; queries use it once it is built. On the 1,500–1,700-node shipped graphs the table takes 23–30 MiB
and is built in a few tenths of a second, once per graph; larger graphs keep
the contraction hierarchy (:mod:`~geogrid.routing.hierarchy`), whose memory
grows with the edges rather than their square.

>>> import geopandas as gpd
>>> from shapely.geometry import LineString
>>> from geogrid.routing import graph_from_lines
>>> g = graph_from_lines(gpd.GeoDataFrame(geometry=[
...     LineString([(121.500, 31.230), (121.510, 31.230)]),
...     LineString([(121.505, 31.225), (121.505, 31.235)])], crs="EPSG:4490"))
>>> tab = route_table(g)
>>> nodes, arcs = tab.path(0, 4)
>>> len(nodes), len(arcs), bool(tab.cost(0, 4) == dijkstra(g.matrix, indices=0)[4])
(3, 2, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Sequence

import numpy as np
from scipy.sparse.csgraph import dijkstra

from .graph import RoadGraph

__all__ = ["RouteTable", "route_table", "built_route_table", "TABLE_MAX_NODES"]

#: Graphs with at most this many nodes get a :class:`RouteTable` (10 bytes per node pair
#: when the graph has under 32,767 edges, else 12: 62.5 MiB at 2,500 nodes).
TABLE_MAX_NODES = 2_500
#: Costs closer than this (relative) are ties, decided by the shorter route between nodes.
TIE = 1e-9
_ROWS = 256  # source rows converted from predecessors to edge positions at a time


@dataclass(frozen=True, eq=False)
class RouteTable:
    """SciPy's all-pairs distances and the last edge of every cheapest route; read-only."""

    dist: np.ndarray
    arc: np.ndarray
    tail: list
    n: int

    @classmethod
    def build(cls, graph: RoadGraph) -> RouteTable:
        n = graph.n_nodes
        dist, pred = dijkstra(graph.matrix, directed=True, return_predecessors=True)
        arc = np.full((n, n), -1, np.int16 if graph.n_edges < 2**15 - 1 else np.int32)
        cols = np.arange(n, dtype=np.int64)
        for lo in range(0, n, _ROWS):  # in row blocks: int64 keys for all pairs at once are large
            p = pred[lo:lo + _ROWS]
            has = p >= 0
            pos = graph.edge_position(np.where(has, p, 0), np.broadcast_to(cols, p.shape))
            arc[lo:lo + _ROWS] = np.where(has, pos, -1)
        del pred
        tail = np.repeat(np.arange(n, dtype=np.int64), np.diff(graph.matrix.indptr)).tolist()
        return cls(dist, arc, tail, n)

    @cached_property
    def _dist(self) -> memoryview:
        """``dist`` flat, for plain-float reads (row ``s`` starts at ``s * n``)."""
        return memoryview(self.dist.reshape(-1))

    @cached_property
    def _rows(self) -> memoryview:
        """``arc`` flat, for plain-int reads along a path (row ``s`` starts at ``s * n``)."""
        return memoryview(self.arc.reshape(-1))

    @property
    def nbytes(self) -> int:
        return int(self.dist.nbytes + self.arc.nbytes)

    def cost(self, s: int, t: int) -> float:
        """SciPy's distance from node ``s`` to node ``t`` (``inf`` when unreachable)."""
        return float(self.dist[s, t])

    def best(self, outs: Sequence[tuple], ins: Sequence[tuple]) -> tuple[float, tuple, tuple]:
        """The cheapest ``start offset + route + end offset`` over entries ``(node, offset, ...)``.

        Returns (cost, start entry, end entry); cost is ``inf`` (and the
        entries ``None``) when no start reaches an end. Pairs within
        :data:`TIE` of each other are ties, and a tie goes to the shorter
        route between the nodes: a point at a segment's end node enters by
        that node, not by the far node and back, as the hierarchy's search
        (whose entries start with their offsets) also decides.
        """
        dist, n = self._dist, self.n
        best, bd, bo, bi = math.inf, math.inf, None, None
        for o in outs:
            row = o[0] * n
            for e in ins:
                dd = dist[row + e[0]]
                c = o[1] + dd + e[1]
                if c < math.inf and (bo is None or c < best * (1 - TIE) or
                                     (c <= best * (1 + TIE) and dd < bd)):
                    best, bd, bo, bi = c, dd, o, e
        return best, bo, bi

    def best_of_many(self, src: np.ndarray, src_cost: np.ndarray, ends: np.ndarray,
                     end_cost: np.ndarray) -> tuple[int, int, float]:
        """:meth:`best` for arrays of start nodes and ends: (start row, end row, cost), or
        ``(-1, -1, inf)`` when no start reaches an end."""
        d = self.dist[src[:, None], ends[None, :]]
        total = (src_cost[:, None] + d) + end_cost[None, :]
        low = total.min() if total.size else math.inf
        if not low < math.inf:
            return -1, -1, math.inf
        k, i = divmod(int(np.argmin(np.where(total <= low * (1 + TIE), d, math.inf))), len(ends))
        return k, i, float(total[k, i])

    def path(self, s: int, t: int) -> tuple[list[int], list[int]]:
        """Nodes and edge positions of the cheapest route from ``s`` to ``t`` (reachable)."""
        rows, tail, base = self._rows, self.tail, s * self.n
        arcs = []
        a = rows[base + t]
        while a >= 0:
            arcs.append(a)
            a = rows[base + tail[a]]
        arcs.reverse()
        nodes = [tail[a] for a in arcs]
        nodes.append(t)
        return nodes, arcs


def route_table(graph: RoadGraph) -> RouteTable | None:
    """Build the graph's :class:`RouteTable` (once; it is kept with the graph) and return it;
    ``None`` above :data:`TABLE_MAX_NODES` nodes (or with no edges).

    Queries read the table once it is built and search the hierarchy until then, so
    a process that keeps a graph for many queries (the responder service builds it
    with its road graph) builds it up front, and a short script is not made to wait
    for it: it pays for itself after a few thousand routes.
    """
    return graph._memo("route_table", _build_or_none)


def built_route_table(graph: RoadGraph) -> RouteTable | None:
    """The graph's :class:`RouteTable` if :func:`route_table` has built it, else ``None``."""
    return graph._memoised("route_table")


def _build_or_none(graph: RoadGraph) -> RouteTable | None:
    if graph.n_edges == 0 or graph.n_nodes > TABLE_MAX_NODES:
        return None
    return RouteTable.build(graph)
