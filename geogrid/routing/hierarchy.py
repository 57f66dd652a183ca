"""A customizable contraction hierarchy (CCH) over a :class:`~geogrid.routing.graph.RoadGraph`.

Route queries run on RoutingKit's CCH (Dibbelt, Strasser & Wagner,
"Customizable Contraction Hierarchies", *ACM JEA* 21, 2016), through the
``routingkit-cch`` bindings. Building it has three steps:

1. a nested-dissection node order from the node coordinates (inertial flow),
2. the hierarchy's topology, which depends on the graph but not the weights,
3. a *customization* with the weights, which takes milliseconds and is what
   a change of weights (another speed profile, a closed road) would redo.

A query is a bidirectional search that only climbs the hierarchy; it
settles a few hundred nodes on a city graph instead of the whole graph, so a
route costs microseconds where a full Dijkstra costs milliseconds.

RoutingKit's weights are unsigned 32-bit integers. Weights are scaled by
:attr:`Hierarchy.scale` (units per metre or per second) and rounded, with the
scale chosen so that the longest possible route plus the largest start and
end offsets stays below RoutingKit's infinity with a factor 2 to spare. On
the shipped graphs one unit is tens of micrometres. The hierarchy only
*chooses* the path; the search module reports the cost as the sum of the
floating-point weights along it, added in path order as Dijkstra adds them,
so it equals SciPy's distance whenever both find the same path (routes that
differ by less than one unit may be swapped).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import routingkit_cch as rk
from scipy.sparse.csgraph import connected_components, dijkstra

from .._errors import InputError
from .graph import ACCESS_SPEED_MPS, RoadGraph

__all__ = ["Hierarchy", "hierarchy", "OFFSET_BUDGET_M"]

#: RoutingKit's infinity (``std::numeric_limits<unsigned>::max() / 2 - 1``).
_RK_INF = 2**31 - 2
#: Start and end offsets (the rest of a segment plus a straight access leg)
#: are budgeted up to this many metres of access; ``max_snap_m`` above it is refused.
OFFSET_BUDGET_M = 10_000.0


@dataclass(frozen=True, eq=False)
class Hierarchy:
    """A customized CCH of one graph; immutable and safe to share between threads.

    ``query`` reuses one RoutingKit query object per thread (allocating one
    costs as much as a small search), so concurrent calls do not share search
    state. ``weights`` are the graph's edge weights as plain floats, in
    ``matrix.data`` order, for summing a path's cost.
    """

    cch: Any
    metric: Any
    scale: float
    max_offset: float
    n_nodes: int
    weights: list = field(default_factory=list, repr=False)

    def to_units(self, cost: float) -> int:
        """A start or end offset in the graph's weight unit → RoutingKit units."""
        if not 0 <= cost <= self.max_offset:
            raise InputError(
                f"路线端点离道路节点太远 ({cost:g}, 上限 {self.max_offset:g}) / a route end is {cost:g} "
                f"weight units from its road node, more than the {self.max_offset:g} the route index "
                f"allows.", field="max_snap_m", value=cost,
                fix=f"请把 max_snap_m 设为不超过 {OFFSET_BUDGET_M:g} 米 / Keep max_snap_m at or below "
                    f"{OFFSET_BUDGET_M:g} m.")
        return int(round(cost * self.scale))

    def query(self, sources: Sequence[tuple[int, int]],
              targets: Sequence[tuple[int, int]]) -> tuple[list[int], list[int]] | None:
        """The cheapest path from any source to any target, as (nodes, arcs), or ``None``.

        ``sources`` and ``targets`` are ``(node, offset in units)`` pairs; the
        path minimises source offset + path + target offset. ``arcs`` are the
        positions of the path's edges in ``graph.matrix.data``.
        """
        if not sources or not targets or self.metric is None:
            return None
        q = _thread_query(self.metric)
        res = q.run_multi(sources if isinstance(sources, list) else list(sources),
                          targets if isinstance(targets, list) else list(targets))
        try:
            if res.distance is None or res.distance >= _RK_INF:
                return None
            return list(res.node_path), list(res.arc_path)
        finally:
            del res  # RoutingKit requires the result to go before its query is reused or freed


#: per thread, {id(metric): (metric, query)}. RoutingKit's query must be freed on the
#: thread that made it; a module-level ``threading.local`` is cleared by its own thread
#: when that thread ends (one held by a Hierarchy would be cleared by whichever thread
#: collects the Hierarchy), and eviction below also runs on the owning thread.
_QUERIES = threading.local()
_QUERIES_PER_THREAD = 4


def _thread_query(metric: Any) -> Any:
    """This thread's reusable query on ``metric`` (made once per thread and metric)."""
    cache = getattr(_QUERIES, "by_metric", None)
    if cache is None:
        cache = _QUERIES.by_metric = {}
    hit = cache.get(id(metric))
    if hit is not None and hit[0] is metric:
        return hit[1]
    while len(cache) >= _QUERIES_PER_THREAD:
        cache.pop(next(iter(cache)))
    q = rk.CCHQuery(metric)
    cache[id(metric)] = (metric, q)
    return q


def _route_bound(graph: RoadGraph) -> float:
    """An upper bound on the cost of any cheapest route in ``graph``.

    In a strongly connected graph every route goes through node 0 at worst,
    so eccentricity out of node 0 plus eccentricity into it bounds it; two
    SciPy Dijkstra runs. Otherwise the sum of all weights bounds any simple path.
    """
    m = graph.matrix
    n_strong, _ = connected_components(m, directed=True, connection="strong")
    if n_strong == 1:
        out = dijkstra(m, directed=True, indices=0)
        inn = dijkstra(graph.reverse, directed=True, indices=0)
        return float(out.max() + inn.max())
    return float(m.data.sum())


def _build(graph: RoadGraph) -> Hierarchy:
    m = graph.matrix
    if graph.n_edges == 0:
        return Hierarchy(None, None, 1.0, 0.0, graph.n_nodes)
    tail = np.repeat(np.arange(graph.n_nodes, dtype=np.uint32), np.diff(m.indptr)).tolist()
    head = m.indices.astype(np.uint32).tolist()
    order = rk.compute_order_inertial(graph.n_nodes, tail, head, graph.lat.astype(np.float32).tolist(),
                                      graph.lon.astype(np.float32).tolist())
    cch = rk.CCH(order, tail, head, False)
    access = OFFSET_BUDGET_M if graph.weight == "length" else OFFSET_BUDGET_M / ACCESS_SPEED_MPS
    seg_w = graph.seg_length_m if graph.weight == "length" else graph.seg_length_m / graph.seg_speed_mps
    max_offset = float(seg_w.max()) + access
    budget = _route_bound(graph) + 2 * max_offset
    scale = min(1e6, (_RK_INF / 2) / max(budget, 1e-9))
    weights = np.rint(m.data * scale)
    if not math.isfinite(scale) or weights.max() >= _RK_INF / 4:
        raise InputError("路网过大, 无法建立路线索引 / the road graph is too long to index.", field="graph",
                         value=budget, fix="请按区拆分路网 / Split the network into districts.")
    metric = rk.CCHMetric(cch, weights.astype(np.uint32).tolist())
    return Hierarchy(cch, metric, scale, max_offset, graph.n_nodes, m.data.tolist())


def hierarchy(graph: RoadGraph) -> Hierarchy:
    """The graph's contraction hierarchy, built on first use and kept with the graph."""
    return graph._memo("hierarchy", _build)
