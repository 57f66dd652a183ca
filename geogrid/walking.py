"""Walking distance over the road and path lines: one notion for the engine and the metrics.

The residential rule (内外一网覆盖) sends each shop, institution, office and
plaza to the microgrid of its *nearest* housing. Both the partition engine
(:mod:`geogrid.partition.attach`) and the independent rule metrics
(:mod:`geogrid.rule_metrics`) measure "nearest" here, by walking distance on the
same network, so what the engine aims at is what the metrics judge.

:class:`WalkNetwork` nodes the road lines (:func:`shapely.union_all`) and
cuts them every ``step`` metres; every point that enters (an object, a point
of housing) joins the nearest network vertex by a straight connector. Points
whose nearest vertices lie in different network components are ``inf`` apart.
Distances are multi-source Dijkstra runs (:func:`scipy.sparse.csgraph.dijkstra`).

Example
-------
>>> import numpy as np, shapely
>>> net = WalkNetwork([shapely.LineString([(0, 0), (100, 0)])])
>>> d, src = net.nearest(np.array([shapely.Point(0, 5)]),
...                      np.array([shapely.Point(100, 5), shapely.Point(60, 90)]))
>>> round(float(d[0]), 1), int(src[0])
(110.0, 0)
"""

from __future__ import annotations

import numpy as np
import shapely
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

__all__ = ["WalkNetwork", "outline_points", "STEP_M", "ANCHOR_STEP_M"]

#: the road lines are cut every this many metres (vertices to join points to)
STEP_M = 25.0
#: a polygon of housing is reached at points this far apart along its outline
ANCHOR_STEP_M = 20.0


class WalkNetwork:
    """The noded road lines (metric CRS) as a weighted graph of vertices.

    ``empty`` is true when there is no line at all (callers fall back to
    straight-line distance).
    """

    def __init__(self, lines, step: float = STEP_M):
        lines = np.asarray(lines, dtype=object)
        self.key = np.empty((0, 2))
        self.a = self.b = np.empty(0, dtype=np.int64)
        if len(lines) == 0:
            return
        net = shapely.segmentize(shapely.union_all(lines), step)
        parts = [ln for ln in shapely.get_parts(net) if shapely.get_type_id(ln) == 1]
        coords = [shapely.get_coordinates(ln) for ln in parts]
        if not coords:
            return
        seg_a = np.concatenate([c[:-1] for c in coords])
        seg_b = np.concatenate([c[1:] for c in coords])
        key, inv = np.unique(np.round(np.concatenate([seg_a, seg_b]), 2), axis=0,
                             return_inverse=True)
        inv = inv.ravel()
        self.key, self.a, self.b = key, inv[:len(seg_a)], inv[len(seg_a):]
        self._tree = shapely.STRtree(shapely.points(key))

    @property
    def empty(self) -> bool:
        return len(self.key) == 0

    def _graph(self, extra: np.ndarray) -> sparse.csr_matrix:
        """The network plus one connector per point of ``extra`` (nodes n, n+1, …)."""
        n = len(self.key)
        near = self._tree.query_nearest(extra, return_distance=False, all_matches=False)[1]
        conn = shapely.distance(extra, shapely.points(self.key[near]))
        m = n + len(extra)
        src = np.concatenate([self.a, np.arange(n, m)])
        dst = np.concatenate([self.b, near])
        cost = np.concatenate([np.hypot(*(self.key[self.a] - self.key[self.b]).T), conn]) + 1e-6
        return sparse.coo_matrix((cost, (src, dst)), shape=(m, m)).tocsr()

    def nearest(self, points, anchors) -> tuple[np.ndarray, np.ndarray]:
        """Walking distance from each point to its nearest anchor, and that anchor's
        position in ``anchors`` (-1 and ``inf`` when none is reachable)."""
        points = np.asarray(points, dtype=object)
        anchors = np.asarray(anchors, dtype=object)
        far = np.full(len(points), np.inf), np.full(len(points), -1, dtype=np.int64)
        if self.empty or len(points) == 0 or len(anchors) == 0:
            return far
        n = len(self.key)
        graph = self._graph(np.concatenate([points, anchors]))
        first = n + len(points)
        d, _, src = dijkstra(graph, directed=False, indices=np.arange(first, first + len(anchors)),
                             min_only=True, return_predecessors=True)
        d, src = d[n:first], src[n:first]
        return d, np.where(src >= 0, src - first, -1)

    def group_distances(self, points, anchors, group: np.ndarray, k: int) -> np.ndarray:
        """Walking distance from each point to the nearest anchor of each group 0..k-1."""
        points = np.asarray(points, dtype=object)
        out = np.full((len(points), k), np.inf)
        if self.empty or len(points) == 0 or len(anchors) == 0:
            return out
        n = len(self.key)
        graph = self._graph(np.concatenate([points, np.asarray(anchors, dtype=object)]))
        for g in np.unique(group):
            srcs = n + len(points) + np.flatnonzero(group == g)
            out[:, g] = dijkstra(graph, directed=False, indices=srcs, min_only=True)[
                n:n + len(points)]
        return out


def outline_points(geoms, step: float = ANCHOR_STEP_M) -> tuple[np.ndarray, np.ndarray]:
    """Points where each geometry is reached on foot: a point itself; a polygon's
    outline every ``step`` metres. Returns the points and each one's position in ``geoms``."""
    pts, owner = [], []
    for i, g in enumerate(geoms):
        if shapely.get_type_id(g) == 0:
            pts.append(g)
            owner.append(i)
            continue
        ring = shapely.boundary(g)
        n = max(1, int(shapely.length(ring) // step))
        ps = shapely.line_interpolate_point(ring, np.linspace(0, 1, n, endpoint=False),
                                            normalized=True)
        ps = [p for p in shapely.get_parts(ps) if not shapely.is_empty(p)]
        pts += ps
        owner += [i] * len(ps)
    return np.asarray(pts, dtype=object), np.asarray(owner, dtype=np.int64)
