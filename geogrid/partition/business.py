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

__all__ = ["FAMILIES", "type_family", "type_dissimilarity", "cell_dissimilarity",
           "business_weights", "type_counts", "group_by_type"]

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


def group_by_type(graph, labels: np.ndarray, counts: np.ndarray, type_weight: float, *,
                  cv_allowance: float = 0.05, movable: np.ndarray | None = None,
                  max_passes: int = 20) -> np.ndarray:
    """Move typed cells between neighbouring microgrids to group like business types.

    The purity ``S = Σ_p Σ_t N_pt² / N_p`` (``N_pt``: objects of family ``t``
    in part ``p``) rises with every accepted move, so the loop ends. A cell
    moves to a neighbouring part when that raises ``S``, its own part stays
    connected and not empty, and the workload CV stays within
    ``type_weight × cv_allowance`` of where it started: weight 0 changes
    nothing (adjacency only), weight 1 groups by type first within contiguity
    and the balance allowance.
    """
    from .graph import cv, stays_connected

    labels = np.asarray(labels, dtype=np.int64).copy()
    if type_weight <= 0 or counts.size == 0 or graph.n < 2:
        return labels
    k = int(labels.max()) + 1
    n_pt = np.zeros((k, counts.shape[1]))
    np.add.at(n_pt, labels, counts)
    w = np.bincount(labels, weights=graph.weight, minlength=k)
    size = np.bincount(labels, minlength=k)
    limit = cv(w[w > 0]) + type_weight * cv_allowance
    nbr = graph.neighbour_lists()
    typed = np.flatnonzero(counts.sum(axis=1) > 0)
    if movable is not None:
        typed = typed[np.asarray(movable, dtype=bool)[typed]]

    def purity(row):
        tot = row.sum()
        return float((row * row).sum() / tot) if tot > 0 else 0.0

    for _ in range(max_passes):
        moved = False
        for v in typed:
            p = labels[v]
            best, gain_best = None, 1e-9
            for q in {int(labels[u]) for u in nbr[v]} - {int(p)}:
                gain = (purity(n_pt[p] - counts[v]) + purity(n_pt[q] + counts[v])
                        - purity(n_pt[p]) - purity(n_pt[q]))
                if gain > gain_best:
                    best, gain_best = q, gain
            if best is None or size[p] <= 1 or not stays_connected(nbr, labels, v):
                continue
            w2 = w.copy()
            w2[p] -= graph.weight[v]
            w2[best] += graph.weight[v]
            if w2[p] <= 0 or cv(w2[w2 > 0]) > limit:
                continue
            n_pt[p] -= counts[v]
            n_pt[best] += counts[v]
            size[p] -= 1
            size[best] += 1
            labels[v], w = best, w2
            moved = True
        if not moved:
            break
    return labels
