"""All-pairs route table for small graphs: every cheapest route read off, not searched.

On a district graph (up to :data:`TABLE_MAX_NODES` nodes) the cheapest route
between any two nodes is computed once, by SciPy's all-pairs Dijkstra
(:func:`scipy.sparse.csgraph.dijkstra` without ``indices``), and kept as:

* ``dist[s, t]``: SciPy's distance from ``s`` to ``t`` (float64), so a
  reported cost *is* SciPy's;
* the shortest-path tree of every source ``s`` as a heavy-path layout
  (``seq``, ``via``, ``pos``, ``top``; see :class:`RouteTable`), read off
  SciPy's predecessor matrix: a route is the slices of the two or three
  chains it crosses, not a walk of one step per edge;
* ``other[s, t]``: the route's seconds (or metres, when the weights are
  seconds), summed along it from ``s`` as a loop over the route would.

A team of responders (many starts, each with an offset) can keep a
:class:`NearestMap`: per node, its cheapest start, read in a few floats.

A query with a few start and end nodes, each with an offset (a point half-way
along a segment, a team of responders), is then a handful of array reads:
no search, no native call, and no pass over the route's edges except the one
that joins its line. :func:`route_table` builds it; queries use it once it is
built. It takes 24 bytes per node pair (18 with weights that are neither
metres nor seconds): 52 MiB at 1,505 nodes, 68 MiB at 1,721, 143 MiB at
2,500; it is built once per graph, in one to a few seconds (two sweeps over
every tree); larger graphs keep the contraction hierarchy
(:mod:`~geogrid.routing.hierarchy`), whose memory grows with the edges
rather than their square.

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
import sys
from dataclasses import dataclass
from functools import cached_property
from typing import Sequence

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import breadth_first_order, dijkstra

from .geometry import edge_runs
from .graph import RoadGraph

__all__ = ["RouteTable", "NearestMap", "route_table", "built_route_table", "TABLE_MAX_NODES"]

#: Graphs with at most this many nodes get a :class:`RouteTable` (24 bytes per node pair
#: when the graph has under 32,767 edges, else 26: 143 MiB at 2,500 nodes).
TABLE_MAX_NODES = 2_500
#: Costs closer than this (relative) are ties, decided by the shorter route between nodes.
TIE = 1e-9
_ROWS = 256  # source rows converted from predecessors to edge positions at a time


@dataclass(frozen=True, eq=False)
class RouteTable:
    """SciPy's all-pairs distances and every cheapest route laid out as chains; read-only.

    ``seq[s]`` holds the edges of the shortest-path tree from ``s``, one per
    reached node, cut into chains (each node's heaviest subtree continues its
    parent's chain) and laid end to end, every chain in travel order.
    ``pos[s, t]`` is where the edge into ``t`` lies in ``seq[s]`` and
    ``top[s, t]`` where its chain starts (``-1`` at ``s`` and where ``t`` is
    unreachable). A route from ``s`` to ``t`` is then the slices
    ``seq[s, top:pos + 1]`` of the few chains it crosses (at most
    log2(n) + 1 of them, a heavy-path decomposition): a handful of reads, not
    a step per edge. ``via`` holds, beside each edge of ``seq``, the node it
    leaves, so the route's nodes are slices too. ``other[s, t]`` is the route's
    length in the unit the weights are not (seconds when they are metres, row
    ``other_row`` of :class:`~geogrid.routing.geometry.EdgeRuns`), summed from
    ``s`` in path order as a loop over the route would: a route's metres and
    seconds are two reads.
    """

    dist: np.ndarray
    seq: np.ndarray
    via: np.ndarray
    pos: np.ndarray
    top: np.ndarray
    other: np.ndarray | None
    other_row: int
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
        runs = edge_runs(graph)
        row = 1 - runs.weight_row if runs.weight_row in (0, 1) else -1
        seq, pos, top, other = _chains(dist, pred, arc, runs.lengths[row] if row >= 0 else None)
        del pred, arc
        tails = np.repeat(np.arange(n, dtype=pos.dtype), np.diff(graph.matrix.indptr))
        via = np.where(seq >= 0, tails[np.maximum(seq, 0)], -1).astype(pos.dtype)
        return cls(dist, seq, via, pos, top, other, row, tails.tolist(), n)

    @cached_property
    def _dist(self) -> memoryview:
        """``dist`` flat, for plain-float reads (row ``s`` starts at ``s * n``)."""
        return memoryview(self.dist.reshape(-1))

    @cached_property
    def _flat(self) -> tuple[memoryview, memoryview, memoryview, memoryview]:
        """``seq``, ``via``, ``pos`` and ``top`` flat, for plain-int reads (row ``s`` starts at
        ``s * n``)."""
        return tuple(memoryview(a.reshape(-1)) for a in (self.seq, self.via, self.pos, self.top))

    @property
    def nbytes(self) -> int:
        extra = 0 if self.other is None else self.other.nbytes
        return int(self.dist.nbytes + self.seq.nbytes + self.via.nbytes + self.pos.nbytes + self.top.nbytes
                   + extra)

    def cost(self, s: int, t: int) -> float:
        """SciPy's distance from node ``s`` to node ``t`` (``inf`` when unreachable)."""
        return float(self.dist[s, t])

    def lengths(self, s: int, t: int) -> tuple[float, float] | None:
        """Metres and seconds of the route from ``s`` to ``t`` summed in path order (``None``
        where the weights are neither metres nor seconds)."""
        if self.other is None:
            return None
        d, o = self._dist[s * self.n + t], self._other[s * self.n + t]
        return (d, o) if self.other_row == 1 else (o, d)

    @cached_property
    def _other(self) -> memoryview:
        return memoryview(self.other.reshape(-1))

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

    def best_of_many(self, src: np.ndarray, src_cost: np.ndarray, ends: Sequence[tuple]
                     ) -> tuple[int, int, float]:
        """:meth:`best` for an array of start nodes (a team's entries; ``src_cost`` is ``inf``
        where a start may not be used) and a few end entries ``(node, offset, ...)``:
        (start row, end row, cost), or ``(-1, -1, inf)`` when no start reaches an end.

        One gather of the ends' columns over the starts, then the cheapest, ties as in :meth:`best`.
        """
        cols = self.dist.T  # column t of dist as a strided row: a 1-D gather reads it fastest
        if len(ends) == 1:
            d = cols[ends[0][0]][src]
            total = (src_cost + d) + ends[0][1]
        else:  # (start, end) in C order, as in a 2-D gather
            d = np.array([cols[e[0]][src] for e in ends]).T.ravel()
            total = (np.repeat(src_cost, len(ends)) + d) + np.tile([e[1] for e in ends], len(src))
        at = int(total.argmin())
        low = float(total[at])
        if not low < math.inf:
            return -1, -1, math.inf
        near = (total <= low * (1 + TIE)).nonzero()[0]
        if len(near) > 1:  # a tie: the shorter route between the nodes, the first such
            at = int(near[d[near].argmin()])
        k, i = divmod(at, len(ends))
        return k, i, float(total[at])

    def nearest_map(self, src: np.ndarray, src_cost: np.ndarray) -> NearestMap:
        """For every node, the cheapest of the starts ``src`` (offsets ``src_cost``, ``inf`` where a
        start may not be used) to reach it: a team's nearest-responder map (see :class:`NearestMap`)."""
        return NearestMap.build(self.dist, np.asarray(src, np.int64), np.asarray(src_cost, float))

    def nodes(self, s: int, t: int) -> list[int]:
        """The nodes of :meth:`path` alone (its edges are not read)."""
        seq, via, pos, top = self._flat
        base, chunks, end = s * self.n, [], t
        while t != s:
            i = base + t
            h = base + top[i]
            chunks.append((h, base + pos[i] + 1))
            t = via[h]
        nodes: list[int] = []
        for h, e in reversed(chunks):
            nodes += via[h:e].tolist()
        nodes.append(end)
        return nodes

    def path(self, s: int, t: int) -> tuple[list[int], list[int]]:
        """Nodes and edge positions of the cheapest route from ``s`` to ``t`` (reachable)."""
        seq, via, pos, top = self._flat
        base, chunks, end = s * self.n, [], t
        while t != s:  # up the chains: each chain's first edge leaves the node the one before ends at
            i = base + t
            h = base + top[i]
            chunks.append((h, base + pos[i] + 1))
            t = via[h]
        arcs: list[int] = []
        nodes: list[int] = []
        for h, e in reversed(chunks):
            arcs += seq[h:e].tolist()
            nodes += via[h:e].tolist()
        nodes.append(end)
        return nodes, arcs


@dataclass(frozen=True, eq=False)
class NearestMap:
    """Per node ``t``: the start ``best[t]`` with the cheapest ``src_cost + dist[start, t]``, that
    cost ``low[t]`` and the runner-up's ``second[t]`` (another start; ``inf`` if none), as plain
    lists.

    Built once for a team and its availability (one gather of the starts' rows of the
    table and a partial sort per node: a few tenths of a millisecond for 100 starts on
    1,500 nodes), it answers :meth:`RouteTable.best_of_many` for any end entries in a few
    float operations: the cheapest end's ``low`` plus its offset, the same float sum
    ``best_of_many`` makes. Where that answer is not unique to within :data:`TIE` (the
    runner-up or another end is as cheap), :meth:`pick` says so and the caller asks
    ``best_of_many``, whose tie rule decides; so the answers are the same bit for bit.
    """

    best: list
    low: list
    second: list

    @classmethod
    def build(cls, dist: np.ndarray, src: np.ndarray, src_cost: np.ndarray) -> NearestMap:
        n = dist.shape[1]
        if len(src) == 0:
            return cls([-1] * n, [math.inf] * n, [math.inf] * n)
        total = dist[src]
        total += src_cost[:, None]  # the sums best_of_many makes (a + b is b + a), start by node
        best = total.argmin(axis=0)
        cols = np.arange(n)
        low = total[best, cols]
        total[best, cols] = math.inf  # the runner-up: the least of the others
        return cls(best.tolist(), low.tolist(), total.min(axis=0).tolist())

    @property
    def nbytes(self) -> int:
        """Memory of the three lists: their pointers, a 24-byte float per ``low`` and ``second``
        entry and a 28-byte int per ``best`` entry above CPython's cached small ints (256)."""
        lists = sum(sys.getsizeof(v) for v in (self.best, self.low, self.second))
        ints = sum(b > 256 for b in self.best)
        return lists + 24 * (len(self.low) + len(self.second)) + 28 * ints

    def pick(self, ends: Sequence[tuple]) -> tuple[int, int, float] | None:
        """:meth:`RouteTable.best_of_many` for end entries ``(node, offset, ...)``: (start row, end
        row, cost), ``(-1, -1, inf)`` when no start reaches an end, or ``None`` when another
        start or end is within :data:`TIE` of the cheapest (a tie that ``best_of_many`` decides)."""
        low, second = self.low, self.second
        at, c = 0, low[ends[0][0]] + ends[0][1]
        for i in range(1, len(ends)):
            ci = low[ends[i][0]] + ends[i][1]
            if ci < c:
                at, c = i, ci
        if not c < math.inf:
            return -1, -1, math.inf
        near = c * (1 + TIE)
        for i, e in enumerate(ends):
            if second[e[0]] + e[1] <= near or (i != at and low[e[0]] + e[1] <= near):
                return None
        return self.best[ends[at][0]], at, c


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


def _tree_order(dist: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Every source row's nodes ordered so that each comes after its parent in the row's tree.

    Sorting by distance does it unless an edge adds less than the float resolution of the
    distance (a parent and child at equal distance); such rows go breadth-first along the tree.
    """
    n = len(dist)
    order = np.empty((n, n), np.int16 if n < 2**15 else np.int32)
    bad = []
    for lo in range(0, n, _ROWS):  # in row blocks: int64 orders and float parents of all rows are large
        d, p = dist[lo:lo + _ROWS], pred[lo:lo + _ROWS]
        order[lo:lo + _ROWS] = np.argsort(d, axis=1, kind="stable")
        has = p >= 0
        bad += (lo + np.flatnonzero((has & ~(np.take_along_axis(d, np.where(has, p, 0), axis=1) < d))
                                    .any(axis=1))).tolist()
    for s in bad:
        child = np.flatnonzero(pred[s] >= 0)
        tree = csr_array((np.ones(len(child)), (pred[s, child], child)), shape=(n, n))
        first = breadth_first_order(tree, s, directed=True, return_predecessors=False)
        order[s] = np.concatenate([first, np.setdiff1d(np.arange(n), first)])
    return order


def _chains(dist: np.ndarray, pred: np.ndarray, arc: np.ndarray, w: np.ndarray | None):
    """The heavy-path layout ``(seq, pos, top)`` of every row's shortest-path tree, and the
    sums of the edge values ``w`` from each row's source along it (``None`` without ``w``).

    Children before parents, each node's subtree size and heaviest child; then parents
    before children, each node continues its parent's chain if it is that heaviest child,
    else starts a chain of its own at the row's next free position. All rows at once:
    step ``k`` handles the ``k``-th node of every row, and the work arrays are indexed by
    ``(k, row)``, so what a step reads of its own nodes is one contiguous run; only the
    parents' entries are scattered. Unreachable nodes' parents are a sink past the end.
    """
    n = len(dist)
    sink = n * n
    small = np.int16 if n < 2**15 else np.int32  # ranks, subtree sizes, chain lengths, positions
    order = _tree_order(dist, pred)
    rows, blocks = np.arange(n), range(0, n, _ROWS)  # row blocks bound the temporary memory
    rank = np.empty((n, n), small)
    up = np.empty((n, n), np.int32)  # [k, row]: flat (k, row) index of the k-th node's parent
    for lo in blocks:
        o = order[lo:lo + _ROWS].astype(np.intp)
        np.put_along_axis(rank[lo:lo + _ROWS], o, np.arange(n, dtype=small)[None, :], axis=1)
    for lo in blocks:
        p = np.take_along_axis(pred[lo:lo + _ROWS], order[lo:lo + _ROWS].astype(np.intp), axis=1)
        at = np.take_along_axis(rank[lo:lo + _ROWS], np.maximum(p, 0), axis=1) * np.int32(n) + \
            rows[lo:lo + _ROWS, None].astype(np.int32)
        up[:, lo:lo + _ROWS] = np.where(p >= 0, at, sink).T
    del rank
    size, length = np.ones(sink + 1, small), np.ones(sink + 1, small)
    heavy, hsize = np.full(sink + 1, -1, small), np.zeros(sink + 1, small)
    cols = np.arange(n, dtype=np.int64)
    for k in range(n - 1, 0, -1):
        own, p = slice(k * n, k * n + n), up[k].astype(np.intp)
        h = heavy[own]
        length[own] += np.where(h >= 0, length[np.maximum(h, 0).astype(np.intp) * n + cols], 0)
        sv = size[own]
        size[p] += sv
        more = sv > hsize[p]
        hsize[p[more]] = sv[more]
        heavy[p[more]] = k
    heavy[:n] = -1  # a source's children each start a chain
    del size, hsize
    pos, top = np.full(sink + 1, -1, small), np.full(sink + 1, -1, small)
    arcs = None if w is None else np.empty((n, n), arc.dtype)  # [k, row]: the k-th node's edge
    for lo in blocks if w is not None else ():
        arcs[:, lo:lo + _ROWS] = np.take_along_axis(arc[lo:lo + _ROWS], order[lo:lo + _ROWS].astype(np.intp),
                                                    axis=1).T
    arcs = None if arcs is None else arcs.reshape(-1)
    other = None if w is None else np.zeros(sink + 1)
    free = np.zeros(n, np.int64)
    for k in range(1, n):
        own, p = slice(k * n, k * n + n), up[k].astype(np.intp)
        on = heavy[p] == k
        pos[own] = np.where(on, pos[p] + 1, free)
        top[own] = np.where(on, top[p], free)
        free += np.where(on, 0, length[own])
        if other is not None:  # the parent's sum plus the edge: a left-to-right sum from the source
            other[own] = other[p] + w[arcs[own]]
    del heavy, length
    pos, top, other = (_by_node(a, order, sink) for a in (pos, top, other))
    far = ~np.isfinite(dist)  # unreachable nodes took positions after every reached one: none
    pos[far], top[far] = -1, -1
    pos[rows, rows] = top[rows, rows] = -1
    seq = np.full((n, n), -1, arc.dtype)
    for lo in blocks:
        r, c = np.nonzero(pos[lo:lo + _ROWS] >= 0)
        seq[lo + r, pos[lo + r, c]] = arc[lo + r, c]
    return seq, pos, top, other


def _by_node(a: np.ndarray | None, order: np.ndarray, sink: int) -> np.ndarray | None:
    """A work array of :func:`_chains` indexed ``[k, row]`` (flat, sink last) as ``[row, node]``."""
    if a is None:
        return None
    n = len(order)
    a = a[:sink].reshape(n, n)
    out = np.empty((n, n), a.dtype)
    for lo in range(0, n, _ROWS):
        np.put_along_axis(out[lo:lo + _ROWS], order[lo:lo + _ROWS].astype(np.intp), a[:, lo:lo + _ROWS].T, axis=1)
    return out
