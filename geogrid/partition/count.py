"""How many microgrids, when the planner sets a target workload rather than a count.

A target ``t`` for a parent of workload ``W`` allows ⌊W/t⌋ or ⌈W/t⌉
microgrids; ``round(W/t)`` is the natural pick. But a compound (小区) may be
cut only into the pieces its workload needs (``⌈w / (1.15 · W/k)⌉``), and with
``k`` microgrids the compounds may then fill so few of them that the rest,
sharing only the workload outside compounds, stay far lighter: no plan of
``k`` within every compound's need balances. :func:`choose_count` computes, for
both candidates, the lowest CV a plan within the need can reach
(:func:`geogrid.workload.cv_floor_within_need`, the bound the rule metrics
report as ``workload_cv_within_need``) and keeps ``round(W/t)`` unless only the
other count reaches the engine's balance goal (:func:`balance_goal`: the goal
``cv_target``, or just above the floor of indivisible units where the data
cannot reach it; a grid whose own buildings already hold it above the goal
does not lose a microgrid for the compounds).

Two compounds of 1,253.3 and 620.7 in cells of about 31, and 399.4 outside:

>>> import numpy as np
>>> w = np.array([1253.3 / 40] * 40 + [620.7 / 20] * 20 + [399.4 / 40] * 40)
>>> comp = ["a"] * 40 + ["b"] * 20 + [None] * 40
>>> choice = choose_count(w, comp, 300.0, cv_goal=0.15)   # round(2273.4 / 300) = 8
>>> choice["k"], choice["candidates"]
(7, {7: 0.0, 8: 0.1717})
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..workload import NEED_TOLERANCE, cv_floor_within_need, cv_lower_bound, need_pieces

__all__ = ["choose_count", "count_note", "balance_goal", "settle_count"]


def choose_count(weights: np.ndarray, compound: np.ndarray, target: float, *,
                 cv_goal: float, tolerance: float = NEED_TOLERANCE) -> dict:
    """The microgrid count for ``target`` workload per microgrid, and why.

    ``weights``: indivisible units (cells) outside compounds and inside them;
    ``compound``: compound id of each unit (None/NaN: none), a compound being cut
    only into the pieces its total needs at the plan's mean ``W / k``.
    Returns ``{"k", "rounded", "candidates": {k: floor}, "goals": {k: goal},
    "reason"}``: ``k`` is ``round(W / target)`` unless its floor is above its
    :func:`balance_goal` and the other of ⌊W/t⌋, ⌈W/t⌉ has its floor within its own.
    """
    w = np.asarray(weights, dtype=float)
    comp = pd.factorize(pd.Series(np.asarray(compound, dtype=object)), use_na_sentinel=True)[0]
    total = float(w.sum())
    rounded = max(1, int(round(total / target))) if total > 0 and target > 0 else 1
    if total <= 0 or target <= 0:
        return {"k": rounded, "rounded": rounded, "candidates": {}, "reason": "same"}
    counts = sorted({max(1, math.floor(total / target)), max(1, math.ceil(total / target))})
    inside = comp >= 0
    comp_w = np.bincount(comp[inside], weights=w[inside]) if inside.any() else np.zeros(0)
    loose = w[~inside]
    floors, goals = {}, {}
    for k in counts:
        units = np.concatenate([comp_w, loose])
        pieces = np.concatenate([need_pieces(comp_w, total / k, tolerance),
                                 np.ones(len(loose), dtype=np.int64)])
        floors[k] = round(cv_floor_within_need(units, pieces, k), 4)
        goals[k] = round(balance_goal(w, k, cv_goal), 4)
    other = next((k for k in counts if k != rounded), rounded)
    if other != rounded and floors[rounded] > goals[rounded] and floors[other] <= goals[other]:
        return {"k": other, "rounded": rounded, "candidates": floors, "goals": goals,
                "reason": "need"}
    return {"k": rounded, "rounded": rounded, "candidates": floors, "goals": goals,
            "reason": "same" if other == rounded else "rounded"}


def settle_count(weights: np.ndarray, compound, target: float, cv_goal: float,
                 tolerance: float = NEED_TOLERANCE) -> tuple[dict, int, float]:
    """:func:`choose_count` with its note, the count, and the workload per microgrid:
    ``target`` for the rounded count, ``W / k`` for the other (the plan is then
    drawn as if ``k`` had been given)."""
    choice = choose_count(weights, compound, target, cv_goal=cv_goal, tolerance=tolerance)
    k = int(choice["k"])
    per = target if k == choice["rounded"] else float(np.sum(weights)) / k
    return dict(choice, note=count_note(choice, target, per)), k, per


def balance_goal(weights: np.ndarray, k: int, cv_goal: float) -> float:
    """The engine's balance goal for ``k`` parts: ``cv_goal``, or just above the CV
    floor of the indivisible units (:func:`geogrid.workload.cv_lower_bound`) where
    the data cannot reach it: ``max(cv_goal, 1.05 · floor + 0.005)``.

    >>> balance_goal(np.array([100.0, 100, 100, 100]), 2, 0.15)
    0.15
    >>> round(balance_goal(np.array([500.0, 100, 100, 100]), 2, 0.15), 4)   # 500 | 300
    0.2675
    """
    return max(cv_goal, 1.05 * cv_lower_bound(weights, k) + 0.005)


def count_note(choice: dict, target: float, per: float | None = None) -> str:
    """One bilingual line on the count chosen by :func:`choose_count`."""
    k, r, floors = choice["k"], choice["rounded"], choice["candidates"]
    if choice["reason"] == "need":
        goal = choice["goals"][r]
        return (f"按目标工作量 {target:g} 取整应划 {r} 个微网格, 但各小区不超过所需块数时其均衡度下限为 "
                f"{floors[r]:.3f} (高于目标 {goal:.3f}); 改划 {k} 个 (每个约 {per or target:.1f}), 下限 "
                f"{floors[k]:.3f}。 / "
                f"{target:g} per microgrid rounds to {r} microgrids, but no plan of {r} that cuts "
                f"no compound beyond its need balances below CV {floors[r]:.3f} (goal "
                f"{goal:.3f}); {k} microgrids can reach {floors[k]:.3f}, so {k} were drawn (about "
                f"{per or target:.1f} each).")
    bounds = ", ".join(f"{n}: {f:.3f}" for n, f in sorted(floors.items()))
    return (f"按目标工作量 {target:g} 划 {k} 个微网格 (取整; 小区不超切时的均衡度下限 {bounds})。 / "
            f"{target:g} per microgrid gives {k} microgrids (rounded; CV floor within compound "
            f"need {bounds}).")
