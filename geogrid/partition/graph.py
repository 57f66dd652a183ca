"""The cell adjacency graph and the algorithms that cut it into microgrids.

Vertices are cells (or groups of cells that must stay together, such as a
compound that fits in one microgrid); a vertex weighs its workload. Edges join
cells that share a boundary; an edge has

* ``length``   metres of shared boundary;
* ``affinity`` length discounted by the barrier between the cells (see
  :data:`~geogrid.partition.tessellate.AFFINITY`): METIS minimises the summed
  affinity of the edges it cuts, so cuts follow major roads and rivers;
* ``soft``     the length that does *not* lie on a major road, river or rail
  line; an edge with ``soft == 0`` crosses such a barrier.

The pipeline is :func:`metis_partition` (k-way, contiguous, seeded) →
:func:`repair_contiguity` (detached fragments join the neighbouring part they
share the longest boundary with) → :func:`refine_balance` (Kernighan–Lin
style moves of boundary vertices from heavier to lighter neighbouring parts;
each move strictly lowers the sum of squared part weights, so the CV falls
monotonically and the loop ends; a move is refused if it would disconnect the
part it leaves).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from ..workload import cv, cv_lower_bound
from . import _metis

__all__ = [
    "CellGraph",
    "connected_set",
    "metis_partition",
    "repair_contiguity",
    "refine_balance",
    "ensure_parts",
    "rebisect_pairs",
    "split_part",
    "stays_connected",
    "allocate_parts",
    "is_contiguous",
    "cv",
    "cv_lower_bound",
]


@dataclass
class CellGraph:
    """An undirected weighted graph in CSR form (both directions stored)."""

    weight: np.ndarray      # vertex workload (float)
    indptr: np.ndarray
    indices: np.ndarray
    length: np.ndarray      # per directed entry
    affinity: np.ndarray    # per directed entry
    soft: np.ndarray        # per directed entry

    @property
    def n(self) -> int:
        return len(self.weight)

    @classmethod
    def from_edges(cls, n: int, weight: np.ndarray, a: np.ndarray, b: np.ndarray,
                   length: np.ndarray, affinity: np.ndarray, soft: np.ndarray) -> CellGraph:
        """Build from undirected edge lists (duplicates are summed, loops dropped)."""
        a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
        keep = a != b
        a, b = a[keep], b[keep]
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        frame = pd.DataFrame({"a": lo, "b": hi, "length": np.asarray(length, float)[keep],
                              "aff": np.asarray(affinity, float)[keep],
                              "soft": np.asarray(soft, float)[keep]})
        agg = frame.groupby(["a", "b"], sort=True).sum().reset_index()
        src = np.concatenate([agg["a"].to_numpy(), agg["b"].to_numpy()])
        dst = np.concatenate([agg["b"].to_numpy(), agg["a"].to_numpy()])
        order = np.lexsort((dst, src))
        src, dst = src[order], dst[order]

        def both(col):
            v = agg[col].to_numpy()
            return np.concatenate([v, v])[order]

        indptr = np.zeros(n + 1, dtype=np.int64)
        np.add.at(indptr, src + 1, 1)
        indptr = np.cumsum(indptr)
        return cls(np.asarray(weight, dtype=float), indptr, dst.astype(np.int64),
                   both("length"), both("aff"), both("soft"))

    def neighbours(self, v: int) -> np.ndarray:
        return self.indices[self.indptr[v]:self.indptr[v + 1]]

    def neighbour_lists(self) -> list[list[int]]:
        """``out[v]``: the neighbours of ``v`` as a list (fast for Python loops)."""
        return [self.indices[self.indptr[v]:self.indptr[v + 1]].tolist() for v in range(self.n)]

    def edge_list(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Undirected edges ``(a, b, entry)`` with ``a < b``."""
        src = np.repeat(np.arange(self.n), np.diff(self.indptr))
        m = src < self.indices
        return src[m], self.indices[m], np.flatnonzero(m)

    def matrix(self, values: np.ndarray | None = None) -> sparse.csr_matrix:
        data = np.ones(len(self.indices)) if values is None else values
        return sparse.csr_matrix((data, self.indices, self.indptr), shape=(self.n, self.n))

    def components(self) -> np.ndarray:
        return connected_components(self.matrix(), directed=False)[1]

    def contract(self, group: np.ndarray) -> tuple[CellGraph, np.ndarray]:
        """Merge the vertices of each group; return the graph and vertex → group."""
        uniq, g = np.unique(np.asarray(group), return_inverse=True)
        w = np.bincount(g, weights=self.weight, minlength=len(uniq))
        a, b, e = self.edge_list()
        return CellGraph.from_edges(len(uniq), w, g[a], g[b], self.length[e],
                                    self.affinity[e], self.soft[e]), g

    def subgraph(self, vertices: np.ndarray) -> CellGraph:
        vertices = np.asarray(vertices, dtype=np.int64)
        pos = np.full(self.n, -1, dtype=np.int64)
        pos[vertices] = np.arange(len(vertices))
        a, b, e = self.edge_list()
        m = (pos[a] >= 0) & (pos[b] >= 0)
        return CellGraph.from_edges(len(vertices), self.weight[vertices], pos[a[m]], pos[b[m]],
                                    self.length[e[m]], self.affinity[e[m]], self.soft[e[m]])


def allocate_parts(k: int, weights: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Split ``k`` parts among components by weight (largest remainder).

    Every component gets at least one part and at most as many as it has
    vertices. If ``k`` is smaller than the number of components, each still
    gets one (a microgrid cannot span two disconnected pieces).
    """
    weights = np.asarray(weights, dtype=float)
    sizes = np.asarray(sizes, dtype=int)
    m = len(weights)
    out = np.ones(m, dtype=int)
    extra = k - m
    if extra <= 0:
        return out
    total = weights.sum()
    share = weights / total * k if total > 0 else sizes / sizes.sum() * k
    for _ in range(extra):
        room = out < sizes
        if not room.any():
            break
        gap = np.where(room, share - out, -np.inf)
        out[int(np.argmax(gap))] += 1
    return out


def metis_partition(graph: CellGraph, k: int, *, seed: int = 0, ufactor: int = 100,
                    ncuts: int = 1) -> np.ndarray:
    """Partition ``graph`` into (about) ``k`` contiguous parts with METIS.

    Each connected component is partitioned on its own with its share of
    ``k`` (:func:`allocate_parts`), because METIS' contiguity option needs a
    connected graph. Vertex weights are scaled to integers summing to about
    10⁶; edge weights are the affinities ×10, at least 1. The balance
    tolerance is loose (``ufactor`` 100: parts up to 10 % over the mean) so
    that cuts can follow major roads; :func:`refine_balance` tightens the
    balance afterwards without crossing them unless the CV goal demands it. Returns a part
    label per vertex (0..k'-1, k' may differ from ``k`` when the graph has
    more components than ``k`` or fewer vertices; METIS asked for as many parts as
    vertices returns fewer, which :func:`ensure_parts` and the callers handle).
    METIS's console messages are dropped (:mod:`._metis`).
    """
    comp = graph.components()
    ncomp = comp.max() + 1 if graph.n else 0
    cw = np.bincount(comp, weights=graph.weight, minlength=ncomp)
    cs = np.bincount(comp, minlength=ncomp)
    kc = allocate_parts(k, cw, cs)
    labels = np.zeros(graph.n, dtype=np.int64)
    total = graph.weight.sum()
    scale = 1e6 / total if total > 0 else 1.0
    offset = 0
    for c in range(ncomp):
        verts = np.flatnonzero(comp == c)
        sub = graph.subgraph(verts) if ncomp > 1 else graph
        if kc[c] <= 1 or sub.n <= 1:
            labels[verts] = offset
            offset += 1
            continue
        vw = np.round(sub.weight * scale).astype(np.int64)
        if vw.sum() == 0:
            vw[:] = 1
        ew = np.maximum(1, np.round(sub.affinity * 10)).astype(np.int64)
        opts = _metis.Options(seed=int(seed), ufactor=int(ufactor), ncuts=int(ncuts), contig=1)
        adj = _metis.CSRAdjacency(adj_starts=sub.indptr.astype(np.int64),
                                  adjacent=sub.indices.astype(np.int64))
        try:
            res = _metis.part_graph(int(kc[c]), adjacency=adj, vweights=vw, eweights=ew,
                                    options=opts, recursive=False)
        except Exception:  # METIS refuses contiguity on some graphs; repair afterwards
            opts = _metis.Options(seed=int(seed), ufactor=int(ufactor), ncuts=int(ncuts))
            res = _metis.part_graph(int(kc[c]), adjacency=adj, vweights=vw, eweights=ew,
                                    options=opts, recursive=False)
        part = np.asarray(res.vertex_part, dtype=np.int64)
        used, part = np.unique(part, return_inverse=True)
        labels[verts] = offset + part
        offset += len(used)
    return labels


def _part_components(graph: CellGraph, labels: np.ndarray) -> np.ndarray:
    a, b, _ = graph.edge_list()
    same = labels[a] == labels[b]
    m = sparse.coo_matrix((np.ones(int(same.sum())), (a[same], b[same])),
                          shape=(graph.n, graph.n))
    return connected_components(m, directed=False)[1]


def is_contiguous(graph: CellGraph, labels: np.ndarray) -> bool:
    """True if the vertices of every part form one connected subgraph."""
    comp = _part_components(graph, labels)
    pairs = pd.DataFrame({"p": labels, "c": comp}).drop_duplicates()
    return not pairs["p"].duplicated().any()


def repair_contiguity(graph: CellGraph, labels: np.ndarray, max_rounds: int = 100) -> np.ndarray:
    """Make every part connected.

    A part keeps its heaviest connected piece; every other piece (a detached
    fragment) moves, whole, to the neighbouring part it shares the longest
    boundary with. Repeated until no part is split.
    """
    labels = np.asarray(labels, dtype=np.int64).copy()
    src = np.repeat(np.arange(graph.n), np.diff(graph.indptr))
    for _ in range(max_rounds):
        comp = _part_components(graph, labels)
        frame = pd.DataFrame({"p": labels, "c": comp, "w": graph.weight, "n": 1,
                              "v": np.arange(graph.n)})
        pieces = frame.groupby(["p", "c"]).agg(w=("w", "sum"), n=("n", "sum"),
                                               v=("v", "min")).reset_index()
        pieces = pieces.sort_values(["p", "w", "n", "v"], ascending=[True, False, False, True])
        keep = pieces.drop_duplicates("p")
        frag = pieces[~pieces.index.isin(keep.index)]
        if frag.empty:
            return labels
        frag_comp = set(frag["c"].tolist())
        in_frag = np.array([c in frag_comp for c in comp])
        # boundary length from each fragment to each other part
        m = in_frag[src] & (labels[graph.indices] != labels[src])
        tab = pd.DataFrame({"c": comp[src[m]], "q": labels[graph.indices[m]],
                            "len": graph.length[m] + 1e-9})
        if tab.empty:  # fragments with no neighbour: an isolated piece keeps its own part
            return labels
        best = tab.groupby(["c", "q"])["len"].sum().reset_index()
        best = best.sort_values(["c", "len", "q"], ascending=[True, False, True])
        best = best.drop_duplicates("c")
        # move only fragments whose target is not itself a moving fragment's part
        # this round (moves of a round are independent: each fragment is whole)
        target = dict(zip(best["c"], best["q"]))
        for c, q in target.items():
            labels[comp == c] = q
    return labels


def split_part(graph: CellGraph, labels: np.ndarray, part: int, new: int, *, seed: int = 0
               ) -> np.ndarray:
    """Cut ``part`` in two with METIS (k=2, contiguous); one half becomes ``new``.

    The half holding the part's lowest-numbered vertex keeps the old label.
    Returns the labels unchanged if the part has a single vertex.
    """
    labels = np.asarray(labels, dtype=np.int64).copy()
    verts = np.flatnonzero(labels == part)
    if len(verts) < 2:
        return labels
    sub = graph.subgraph(verts)
    halves = metis_partition(sub, 2, seed=seed)
    halves = repair_contiguity(sub, halves)
    if halves.max() < 1:  # METIS kept it whole (one component, one part): split by BFS
        halves = _bfs_halves(sub)
    halves = (halves != halves[0]).astype(np.int64)
    labels[verts[halves == 1]] = new
    return labels


def _bfs_halves(graph: CellGraph) -> np.ndarray:
    """Grow a half from vertex 0 until it holds about half the weight."""
    total = graph.weight.sum()
    out = np.ones(graph.n, dtype=np.int64)
    seen = {0}
    queue = deque([0])
    acc = 0.0
    while queue and acc < total / 2:
        u = queue.popleft()
        out[u] = 0
        acc += graph.weight[u]
        for x in graph.neighbours(u):
            if x not in seen:
                seen.add(x)
                queue.append(int(x))
    if out.min() == 1 or out.max() == 0:
        out[:] = 0
        out[graph.n - 1] = 1
    return out


def ensure_parts(graph: CellGraph, labels: np.ndarray, k: int, *, seed: int = 0) -> np.ndarray:
    """Split the heaviest divisible parts until there are ``k`` (or nothing divides)."""
    labels = np.asarray(labels, dtype=np.int64).copy()
    _, labels = np.unique(labels, return_inverse=True)
    while labels.max() + 1 < k:
        w = np.bincount(labels, weights=graph.weight)
        size = np.bincount(labels)
        order = [int(p) for p in np.argsort(-w, kind="stable") if size[p] > 1]
        if not order:
            break
        before = labels.max() + 1
        labels = split_part(graph, labels, order[0], int(before), seed=seed)
        labels = repair_contiguity(graph, labels)
        _, labels = np.unique(labels, return_inverse=True)
        if labels.max() + 1 <= before:
            break
    return labels


def stays_connected(nbr, labels: np.ndarray, v: int) -> bool:
    """Would the part of ``v`` stay connected without ``v``?

    ``nbr[u]`` lists the neighbours of ``u``. A breadth-first search from one
    same-part neighbour of ``v`` stops as soon as it has reached all the
    others. False when ``v`` has no neighbour in its part (it is the part).
    """
    p = labels[v]
    same = [u for u in nbr[v] if labels[u] == p]
    if len(same) <= 1:
        return len(same) == 1
    targets = set(same)
    seen = {same[0], v}
    queue = deque([same[0]])
    found = 1
    while queue:
        u = queue.popleft()
        for x in nbr[u]:
            if x not in seen and labels[x] == p:
                seen.add(x)
                if x in targets:
                    found += 1
                    if found == len(targets):
                        return True
                queue.append(x)
    return False


class _Parts:
    """Mutable part bookkeeping for the refinement loops."""

    def __init__(self, graph: CellGraph, labels: np.ndarray, k: int):
        self.g = graph
        self.labels = labels
        self.k = k
        self.w = np.bincount(labels, weights=graph.weight, minlength=k)
        self.size = np.bincount(labels, minlength=k)
        self.members: list[set[int]] = [set() for _ in range(k)]
        for v, p in enumerate(labels):
            self.members[p].add(v)
        self.nbr = graph.neighbour_lists()
        self.aff = [graph.affinity[graph.indptr[v]:graph.indptr[v + 1]].tolist()
                    for v in range(graph.n)]
        self.soft = [graph.soft[graph.indptr[v]:graph.indptr[v + 1]].tolist()
                     for v in range(graph.n)]

    def stays_connected(self, v: int) -> bool:
        """Would part(v) stay connected without v?"""
        return stays_connected(self.nbr, self.labels, v)

    def candidates(self, A: int, mov: np.ndarray, cross_barriers: bool, c0: float,
                   t: float, limit=None) -> list[tuple[float, int, int]]:
        """Balance-improving moves ``(score, v, B)`` of boundary vertices out of part ``A``.

        ``v`` may go to a neighbouring part ``B`` when ``w(v) < w(A) − w(B)`` (the
        sum of squared part weights falls) and, unless ``cross_barriers``, ``v``
        touches ``B`` along something other than a major road, river or rail.
        Score: affinity newly cut over ``c0`` plus ``Δ(Σw²) / t²`` (lower is better).
        ``limit`` (e.g. :class:`~geogrid.partition.compounds.PieceLimit`) may
        refuse a move with ``limit.allows(v, A, B)``.
        """
        out = []
        weight = self.g.weight
        for v in self.members[A]:
            wv = weight[v]
            if wv <= 0 or not mov[v]:
                continue
            links = self.links(v)
            if len(links) == 1:
                continue
            own = links.get(A, (0.0, 0.0))[0]
            for B, (affB, softB) in links.items():
                if B == A:
                    continue
                gap = self.w[A] - self.w[B]
                if wv >= gap or (not cross_barriers and softB <= 0):
                    continue
                if limit is not None and not limit.allows(v, A, B):
                    continue
                dss = 2.0 * wv * (wv - gap)          # < 0
                out.append(((own - affB) / c0 + dss / (t * t), v, B))
        return out

    def move(self, v: int, q: int) -> None:
        p = self.labels[v]
        wv = self.g.weight[v]
        self.w[p] -= wv
        self.w[q] += wv
        self.size[p] -= 1
        self.size[q] += 1
        self.members[p].discard(v)
        self.members[q].add(v)
        self.labels[v] = q

    def links(self, v: int) -> dict[int, tuple[float, float]]:
        """Part → (affinity, soft length) of v's edges into it."""
        out: dict[int, list[float]] = {}
        labels = self.labels
        for u, a, s in zip(self.nbr[v], self.aff[v], self.soft[v]):
            q = labels[u]
            if q in out:
                out[q][0] += a
                out[q][1] += s
            else:
                out[q] = [a, s]
        return {q: (x[0], x[1]) for q, x in out.items()}


def refine_balance(graph: CellGraph, labels: np.ndarray, *, cv_target: float = 0.15,
                   max_passes: int = 50, cross_barriers: bool | str = "auto",
                   movable: np.ndarray | None = None, limit=None) -> np.ndarray:
    """Lower the workload CV by moving boundary vertices to lighter neighbours.

    A vertex ``v`` of part ``A`` may move to a neighbouring part ``B`` when
    ``w(v) < w(A) − w(B)``: exactly the moves that lower ``Σ w(part)²`` and so
    the CV. Among the allowed moves out of the heaviest parts first, the one
    with the best trade-off ``Δcut / c₀ − Δ(Σw²) / t²`` is taken (``Δcut``: the
    affinity newly cut; ``c₀``: the median affinity of a vertex; ``t``: the
    mean part weight), provided ``A`` stays connected without ``v``.

    ``cross_barriers``: ``False`` never moves a vertex into a part it touches
    only across a major road, river or rail; ``True`` allows it; ``"auto"``
    first refines without, then with, if the CV is still above ``cv_target``.
    ``limit``: an object whose ``allows(v, A, B)`` may refuse a move and whose
    ``move(v, A, B)`` is told of every move made (a compound's piece limit).
    """
    labels = np.asarray(labels, dtype=np.int64).copy()
    if graph.n == 0:
        return labels
    k = int(labels.max()) + 1
    if cross_barriers == "auto":
        labels = refine_balance(graph, labels, cv_target=cv_target, max_passes=max_passes,
                                cross_barriers=False, movable=movable, limit=limit)
        w = np.bincount(labels, weights=graph.weight, minlength=k)
        if cv(w[w > 0] if (w > 0).any() else w) <= cv_target:
            return labels
        return refine_balance(graph, labels, cv_target=cv_target, max_passes=max_passes,
                              cross_barriers=True, movable=movable, limit=limit)
    st = _Parts(graph, labels, k)
    mov = np.ones(graph.n, dtype=bool) if movable is None else np.asarray(movable, dtype=bool)
    vaff = np.bincount(np.repeat(np.arange(graph.n), np.diff(graph.indptr)),
                       weights=graph.affinity, minlength=graph.n)
    c0 = float(np.median(vaff[vaff > 0])) if (vaff > 0).any() else 1.0
    for _ in range(max_passes):
        moved_any = False
        t = max(float(st.w.mean()), 1e-12)
        for A in np.argsort(-st.w, kind="stable"):
            A = int(A)
            while True:
                cands = st.candidates(A, mov, cross_barriers, c0, t, limit)
                if not cands:
                    break
                best = min(cands)
                if not st.stays_connected(best[1]):
                    # the best move would split A: the best of the next ones that does not
                    best = next((c for c in sorted(cands)[:64] if st.stays_connected(c[1])), None)
                    if best is None:
                        break
                if limit is not None:
                    limit.move(best[1], A, best[2])
                st.move(best[1], best[2])
                moved_any = True
        if not moved_any:
            break
    return st.labels


def rebisect_pairs(graph: CellGraph, labels: np.ndarray, *, max_union: int = 48,
                   max_rounds: int = 200) -> np.ndarray:
    """Re-split two adjacent parts at a time when single moves are stuck.

    Starting from the part whose weight deviates most from the mean, the
    union ``U`` of it and each neighbouring part (if ``|U| ≤ max_union``) is cut
    anew into two connected halves: every prefix of a breadth-first order of
    ``U`` (from every start vertex) is connected, so those prefixes whose
    complement is connected too are the candidates. The split with the
    smallest ``wX² + wY²`` (then the smallest cut affinity) replaces the pair
    when it lowers the sum of squares, so the loop ends.
    """
    labels = np.asarray(labels, dtype=np.int64).copy()
    k = int(labels.max()) + 1 if len(labels) else 0
    if k < 2:
        return labels
    nbr = [graph.indices[graph.indptr[v]:graph.indptr[v + 1]] for v in range(graph.n)]
    aff = [graph.affinity[graph.indptr[v]:graph.indptr[v + 1]] for v in range(graph.n)]
    w = graph.weight
    tried: set[tuple[int, int, float, float]] = set()
    for _ in range(max_rounds):
        pw = np.bincount(labels, weights=w, minlength=k)
        mean = pw.mean()
        improved = False
        for A in np.argsort(-np.abs(pw - mean), kind="stable"):
            A = int(A)
            members = np.flatnonzero(labels == A)
            neigh = sorted({int(labels[u]) for v in members for u in nbr[v]} - {A})
            best = None
            for B in neigh:
                key = (min(A, B), max(A, B), round(pw[A], 6), round(pw[B], 6))
                if key in tried:
                    continue
                tried.add(key)
                union = np.flatnonzero((labels == A) | (labels == B))
                if len(union) > max_union:
                    continue
                split = _best_bisection(union, nbr, aff, w)
                if split is None:
                    continue
                ss_new, cut, inside = split
                ss_old = pw[A] ** 2 + pw[B] ** 2
                if ss_new < ss_old - 1e-9 and (best is None or ss_old - ss_new > best[0]):
                    best = (ss_old - ss_new, A, B, union, inside)
            if best is not None:
                _, A, B, union, inside = best
                labels[union] = B
                labels[inside] = A
                improved = True
                break
        if not improved:
            break
    return labels


def _best_bisection(union: np.ndarray, nbr, aff, w):
    """Best split of a connected vertex set into two connected halves."""
    members = set(union.tolist())
    total = float(w[union].sum())
    best = None
    for start in union:
        order = []
        seen = {int(start)}
        queue = deque([int(start)])
        while queue:
            u = queue.popleft()
            order.append(u)
            for x in nbr[u]:
                x = int(x)
                if x in members and x not in seen:
                    seen.add(x)
                    queue.append(x)
        if len(order) != len(union):
            return None  # the union is not connected (cannot happen for adjacent parts)
        acc = 0.0
        prefix: set[int] = set()
        for u in order[:-1]:
            prefix.add(u)
            acc += float(w[u])
            ss = acc ** 2 + (total - acc) ** 2
            if best is not None and ss > best[0] + 1e-9:
                continue
            rest = members - prefix
            if not connected_set(rest, nbr):
                continue
            cut = sum(float(a) for v in prefix for x, a in zip(nbr[v], aff[v]) if int(x) in rest)
            key = (round(ss, 6), round(cut, 6))
            if best is None or key < (round(best[0], 6), round(best[1], 6)):
                best = (ss, cut, np.array(sorted(prefix)))
    return best


def connected_set(vertices: set[int], nbr) -> bool:
    """Whether ``vertices`` form one connected piece of the graph given by ``nbr``."""
    if not vertices:
        return False
    start = next(iter(vertices))
    seen = {start}
    stack = [start]
    while stack:
        u = stack.pop()
        for x in nbr[u]:
            x = int(x)
            if x in vertices and x not in seen:
                seen.add(x)
                stack.append(x)
    return len(seen) == len(vertices)
