"""The business rule 业态相近、楼宇相邻: group office buildings by similar trade and adjacency.

Two neighbouring cells are joined with the METIS edge weight ::

    weight = affinity × (1 − type_weight × dissimilarity)

``affinity`` is the barrier-discounted shared boundary (adjacency strength),
``dissimilarity`` ∈ [0, 1] compares the business types (业态) of the two
cells, and ``type_weight`` ∈ [0, 1] is the policy knob: 0 ignores the trade
(pure adjacency), 1 lets two unlike neighbours be cut for free.

Types are compared through families: the same type is 0 apart, two types of
one family (bank and insurance: finance) 0.25, related families (finance and
office; retail and catering) 0.5, anything else 1. A cell without a known
type (a plaza, an unnamed point) is 0.5 from everything, so it does not pull
either way. A cell holding several objects is compared by its workload-weighted
mix of types: ``d(P, Q) = Σᵢⱼ pᵢ qⱼ d(i, j)``.
"""

from __future__ import annotations

import numpy as np

from .._errors import InputError
from .graph import connected_set

__all__ = ["FAMILIES", "type_family", "type_dissimilarity", "cell_dissimilarity",
           "business_weights", "type_counts", "group_by_type", "type_clusters", "majority_share"]

#: business type (业态) → family
FAMILIES: dict[str, str] = {
    "finance": "finance", "bank": "finance", "insurance": "finance", "securities": "finance",
    "金融": "finance",
    "office": "office", "commercial": "office", "company": "office", "coworking": "office",
    "办公": "office", "商务": "office",
    "retail": "retail", "shop": "retail", "mall": "retail", "supermarket": "retail",
    "department_store": "retail", "零售": "retail", "商业": "retail",
    "catering": "catering", "restaurant": "catering", "cafe": "catering",
    "fast_food": "catering", "bar": "catering", "food": "catering", "餐饮": "catering",
    "culture": "culture", "museum": "culture", "arts_centre": "culture", "theatre": "culture",
    "library": "culture", "attraction": "culture", "文化": "culture",
    "hotel": "hotel", "hostel": "hotel", "apartment_hotel": "hotel", "酒店": "hotel",
    "public": "public", "government": "public", "school": "public", "hospital": "public",
    "institution": "public",
}
_RELATED = {frozenset({"finance", "office"}), frozenset({"retail", "catering"}),
            frozenset({"hotel", "catering"}), frozenset({"culture", "retail"}),
            frozenset({"hotel", "office"})}
UNKNOWN = 0.5
#: most cells a typed cell may take along on its way to the part of its type
CORRIDOR_CELLS = 8


def type_family(business_type) -> str | None:
    """Family of a business type, the type itself when unlisted, None when empty."""
    if business_type is None or (isinstance(business_type, float) and np.isnan(business_type)):
        return None
    key = str(business_type).strip().lower()
    if not key:
        return None
    return FAMILIES.get(key, key)


def type_dissimilarity(a, b) -> float:
    """Dissimilarity of two business types, in [0, 1].

    >>> type_dissimilarity("bank", "bank"), type_dissimilarity("bank", "finance")
    (0.0, 0.25)
    >>> type_dissimilarity("finance", "office"), type_dissimilarity("finance", "catering")
    (0.5, 1.0)
    """
    if a is None or b is None:
        return UNKNOWN
    sa, sb = str(a).strip().lower(), str(b).strip().lower()
    if sa == sb:
        return 0.0
    fa, fb = type_family(sa), type_family(sb)
    if fa == fb:
        return 0.25
    if frozenset({fa, fb}) in _RELATED:
        return 0.5
    return 1.0


def cell_dissimilarity(profiles: list[dict[str, float]], a: np.ndarray, b: np.ndarray
                       ) -> np.ndarray:
    """Dissimilarity of cell pairs ``(a[i], b[i])`` from their type mixes.

    ``profiles[c]`` maps business type → share of the workload of cell ``c``
    (an empty dict for a cell without typed objects).
    """
    out = np.empty(len(a))
    cache: dict[tuple[int, int], float] = {}
    for i, (x, y) in enumerate(zip(a, b)):
        key = (int(x), int(y))
        if key not in cache:
            p, q = profiles[x], profiles[y]
            if not p or not q:
                cache[key] = UNKNOWN
            else:
                cache[key] = float(sum(pw * qw * type_dissimilarity(ti, tj)
                                       for ti, pw in p.items() for tj, qw in q.items()))
        out[i] = cache[key]
    return out


def business_weights(affinity: np.ndarray, dissimilarity: np.ndarray, type_weight: float
                     ) -> np.ndarray:
    """``affinity × (1 − type_weight × dissimilarity)``."""
    if not 0.0 <= float(type_weight) <= 1.0:
        raise InputError(f"type_weight must be in [0, 1], got {type_weight!r}.",
                         field="type_weight", value=type_weight,
                         fix="0 groups by adjacency only, 1 by business type as much as possible.")
    return np.asarray(affinity) * (1.0 - float(type_weight) * np.asarray(dissimilarity))


def type_counts(objs, n_cells: int) -> tuple[np.ndarray, list[str]]:
    """Typed objects per cell and business type family: ``(counts[cell, family], families)``."""
    fam = [type_family(t) for t in objs["business_type"].to_numpy(dtype=object)]
    names = sorted({f for f in fam if f is not None})
    col = {f: i for i, f in enumerate(names)}
    out = np.zeros((n_cells, len(names)))
    for c, f in zip(objs["cell"].to_numpy(), fam):
        if f is not None:
            out[c, col[f]] += 1.0
    return out, names


def majority_share(labels: np.ndarray, counts: np.ndarray) -> float:
    """Share of typed objects whose microgrid's most common family is their own."""
    if counts.size == 0 or counts.sum() == 0:
        return 0.0
    n_pt = np.zeros((int(labels.max()) + 1, counts.shape[1]))
    np.add.at(n_pt, labels, counts)
    return float(n_pt.max(axis=1).sum() / n_pt.sum())


def group_by_type(graph, labels: np.ndarray, counts: np.ndarray, type_weight: float, *,
                  cv_allowance: float = 0.05, movable: np.ndarray | None = None,
                  max_passes: int = 20) -> np.ndarray:
    """Move typed cells between neighbouring microgrids to group like business types.

    The purity ``S = Σ_p Σ_t N_pt² / N_p`` (``N_pt``: objects of family ``t``
    in part ``p``) rises with every accepted move, so the loop ends. A move
    takes a typed cell, or the run of same-family cells connected to it in its
    part, to a neighbouring part when that raises ``S``; a typed cell that
    does not touch the part it belongs with moves there with the cells on the
    shortest way to it inside its own part (a corridor of at most
    :data:`CORRIDOR_CELLS` cells), when the corridor as a whole raises ``S``
    and keeps as many objects in their part's majority family (the moves are
    run with and without corridors; the grouping with the higher majority
    share is kept). Each move needs what is left of its part to stay
    connected and not empty, and the workload CV to stay within
    ``type_weight × cv_allowance`` of where it started: weight 0 changes
    nothing (adjacency only), weight 1 groups by type first within contiguity
    and the balance allowance.
    """
    labels = np.asarray(labels, dtype=np.int64).copy()
    if type_weight <= 0 or counts.size == 0 or graph.n < 2:
        return labels
    # greedy moves depend on their order: with and without corridors, keep the
    # grouping with more objects in their part's majority family
    runs = [_group_moves(graph, labels, counts, cv_allowance * type_weight, movable,
                         max_passes, corridors) for corridors in (False, True)]
    return max(runs, key=lambda lab: majority_share(lab, counts))


def _group_moves(graph, labels, counts, allowance, movable, max_passes, corridors):
    st = _TypeState(graph, labels.copy(), counts, allowance)
    typed = np.flatnonzero(counts.sum(axis=1) > 0)
    if movable is not None:
        typed = typed[np.asarray(movable, dtype=bool)[typed]]
    fam = np.where(counts.sum(axis=1) > 0, counts.argmax(axis=1), -1)
    for _ in range(max_passes):
        moved = False
        for v in typed:
            run = st.run(v, fam) if movable is None else \
                [u for u in st.run(v, fam) if movable[u]]
            for cells in ([int(v)], run):
                q = st.best_target(cells)
                if q is not None and st.try_move(cells, q):
                    moved = True
                    break
            else:
                moved |= corridors and st.try_corridor(int(v), movable)
        if not moved:
            break
    return st.labels


class _TypeState:
    """Part type counts, weights and contiguity for :func:`group_by_type`."""

    def __init__(self, graph, labels, counts, allowance: float):
        from .graph import cv

        self.g, self.labels, self.counts = graph, labels, counts
        k = int(labels.max()) + 1
        self.n_pt = np.zeros((k, counts.shape[1]))
        np.add.at(self.n_pt, labels, counts)
        self.w = np.bincount(labels, weights=graph.weight, minlength=k)
        self.limit = cv(self.w[self.w > 0]) + allowance
        self.nbr = graph.neighbour_lists()

    @staticmethod
    def _purity(row) -> float:
        tot = row.sum()
        return float((row * row).sum() / tot) if tot > 0 else 0.0

    def run(self, v: int, fam: np.ndarray) -> list[int]:
        """Cells of ``v``'s family connected to it inside its part."""
        p, f = self.labels[v], fam[v]
        out, queue, seen = [int(v)], [int(v)], {int(v)}
        while queue:
            u = queue.pop()
            for x in self.nbr[u]:
                if x not in seen and self.labels[x] == p and fam[x] == f:
                    seen.add(x)
                    out.append(int(x))
                    queue.append(int(x))
        return out

    def best_target(self, cells: list[int]):
        p = self.labels[cells[0]]
        c = self.counts[cells].sum(axis=0)
        inside = set(cells)
        touching = {int(self.labels[u]) for v in cells for u in self.nbr[v]
                    if u not in inside} - {int(p)}
        best, gain_best = None, 1e-9
        for q in sorted(touching):
            gain = (self._purity(self.n_pt[p] - c) + self._purity(self.n_pt[q] + c)
                    - self._purity(self.n_pt[p]) - self._purity(self.n_pt[q]))
            if gain > gain_best:
                best, gain_best = q, gain
        return best

    def try_corridor(self, v: int, movable) -> bool:
        """Move ``v`` with the shortest way (inside its part) to the part whose
        purity gains most, when that raises the purity."""
        p = self.labels[v]
        prev, queue, found = {v: -1}, [v], {}
        while queue:
            u = queue.pop(0)
            for x in self.nbr[u]:
                lx = int(self.labels[x])
                if lx != p and lx not in found:
                    found[lx] = u
                elif lx == p and x not in prev and (movable is None or movable[x]):
                    prev[x] = u
                    queue.append(x)
        best, gain_best = None, 1e-9
        for q, u in sorted(found.items()):
            way = [u]
            while prev[way[-1]] != -1:
                way.append(prev[way[-1]])
            if len(way) > CORRIDOR_CELLS:
                continue
            c = self.counts[way].sum(axis=0)
            gain = (self._purity(self.n_pt[p] - c) + self._purity(self.n_pt[q] + c)
                    - self._purity(self.n_pt[p]) - self._purity(self.n_pt[q]))
            # a corridor carries other cells along: it must not lower the majority count
            lost = (self.n_pt[p].max() + self.n_pt[q].max()
                    - (self.n_pt[p] - c).max() - (self.n_pt[q] + c).max())
            if gain > gain_best and lost <= 0:
                best, gain_best = (way, q), gain
        return best is not None and self.try_move(best[0], best[1])

    def try_move(self, cells: list[int], q: int) -> bool:
        from .graph import cv

        p = self.labels[cells[0]]
        rest = np.flatnonzero(self.labels == p)
        rest = rest[~np.isin(rest, cells)]
        if len(rest) == 0 or not connected_set(set(rest.tolist()), self.nbr):
            return False
        dw = float(self.g.weight[cells].sum())
        w2 = self.w.copy()
        w2[p] -= dw
        w2[q] += dw
        if w2[p] <= 0 or cv(w2[w2 > 0]) > self.limit:
            return False
        c = self.counts[cells].sum(axis=0)
        self.n_pt[p] -= c
        self.n_pt[q] += c
        self.labels[cells] = q
        self.w = w2
        return True


def type_clusters(graph, counts: np.ndarray, type_weight: float, k: int,
                  free: np.ndarray) -> np.ndarray:
    """Vertex → group: neighbouring cells of one business type family, grouped first.

    A typed cell's family is the one most of its objects have. Clusters grow
    breadth-first through neighbouring ``free`` cells of the same family and
    stop at ``type_weight × N / k`` objects (``N`` typed objects, ``k``
    microgrids): weight 0 groups nothing (pure adjacency), weight 1 lets a
    cluster reach a whole microgrid's share, so the cut that follows parts
    types before it parts neighbours (业态相近 first, 楼宇相邻 within).
    """
    group = np.arange(graph.n, dtype=np.int64)
    total = counts.sum()
    if type_weight <= 0 or counts.size == 0 or total == 0 or k < 2:
        return group
    cap = type_weight * total / k
    fam = np.where(counts.sum(axis=1) > 0, counts.argmax(axis=1), -1)
    fam[~np.asarray(free, dtype=bool)] = -1
    seen = np.zeros(graph.n, dtype=bool)
    nbr = graph.neighbour_lists()
    for v in np.argsort(-counts.sum(axis=1), kind="stable"):
        if fam[v] < 0 or seen[v]:
            continue
        seen[v] = True
        members, size, queue = [int(v)], counts[v].sum(), [int(v)]
        while queue and size < cap:
            u = queue.pop(0)
            for x in nbr[u]:
                if not seen[x] and fam[x] == fam[v] and size + counts[x].sum() <= cap:
                    seen[x] = True
                    members.append(int(x))
                    queue.append(int(x))
                    size += counts[x].sum()
        group[members] = min(members)
    return group
