"""Workload of management objects, in household equivalents.

One definition shared by the partition engine (:mod:`geogrid.partition`), which
balances it, and the plan validator (:mod:`geogrid.validate`), which measures it:
``workload = households + w[type]`` (:class:`WorkloadWeights`), and the balance
figures both use: :func:`cv` and the floor no partition can beat, :func:`cv_lower_bound`,
also when compounds may be cut only into the pieces their workload needs
(:func:`need_pieces`, :func:`cv_floor_within_need`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from ._errors import InputError

__all__ = ["WorkloadWeights", "cv", "cv_lower_bound", "need_pieces", "cv_floor_within_need",
           "NEED_TOLERANCE"]

#: a compound may hold this much more than the target before it needs another piece
NEED_TOLERANCE = 1.15


@dataclass(frozen=True)
class WorkloadWeights:
    """Workload of one object of each type, in household equivalents.

    ``workload = households + w[type]``. The weights are a policy choice of
    the street office; the defaults say a shop costs a grid worker about the
    effort of one household, an institution five.
    """

    household: float = 1.0
    building: float = 2.0
    compound: float = 0.0
    shop: float = 1.0
    institution: float = 5.0
    plaza: float = 2.0
    address: float = 0.0

    def of(self, type_: str) -> float:
        return float(getattr(self, type_, 0.0))

    def loads(self, households, types) -> tuple[np.ndarray, np.ndarray]:
        """Each object's two loads: ``household · households`` and ``w[type]``.

        They are kept apart for the validator, which shares a polygon's
        households among the microgrids it covers but counts its type weight
        once, where the object is; :meth:`workload` adds them. A missing
        ``households`` counts as 0; a type without a weight weighs 0.

        >>> hh, ty = WorkloadWeights().loads([10, np.nan], ["building", "shop"])
        >>> hh.tolist(), ty.tolist()
        ([10.0, 0.0], [2.0, 1.0])
        """
        hh = np.nan_to_num(np.asarray(households, dtype=float), nan=0.0)
        which, names = pd.factorize(np.asarray(types, dtype=object), use_na_sentinel=False)
        per_type = np.array([self.of(str(t)) for t in names], dtype=float)[which]
        return self.household * hh, per_type

    def workload(self, households, types) -> np.ndarray:
        """Workload of each object: ``household · households + w[type]``, as an array.

        >>> WorkloadWeights().workload([10, 0], ["building", "institution"]).tolist()
        [12.0, 5.0]
        """
        hh, per_type = self.loads(households, types)
        return hh + per_type

    def to_dict(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def coerce(cls, value) -> WorkloadWeights:
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        if isinstance(value, dict):
            unknown = set(value) - {f.name for f in fields(cls)}
            if unknown:
                raise InputError(f"weights has unknown keys {sorted(unknown)}.", field="weights",
                                 value=sorted(unknown),
                                 fix=f"Use keys among {[f.name for f in fields(cls)]}.")
            return cls(**{k: float(v) for k, v in value.items()})
        raise InputError("weights must be a WorkloadWeights or a dict.", field="weights",
                         value=type(value).__name__)


def cv(weights: np.ndarray) -> float:
    """Coefficient of variation (population standard deviation / mean)."""
    w = np.asarray(weights, dtype=float)
    if len(w) == 0 or w.mean() == 0:
        return 0.0
    return float(w.std() / w.mean())


def cv_lower_bound(unit_weights: np.ndarray, k: int) -> float:
    """Smallest CV any partition of indivisible units into ``k`` parts can reach.

    A part holding a unit weighs at least that unit, so the i-th heaviest part
    weighs at least the i-th heaviest unit. Minimising the variance under
    these bounds with the total fixed is water-filling: units heavier than
    the even share of what is left get a part of their own, the rest is
    shared evenly. Contiguity is ignored, so the bound is optimistic.

    >>> round(cv_lower_bound(np.array([641, 402] + [50.0] * 9), 5), 3)
    0.66
    """
    w = np.sort(np.asarray(unit_weights, dtype=float))[::-1]
    total = w.sum()
    if k <= 1 or total <= 0 or len(w) == 0:
        return 0.0
    k = min(k, len(w))
    parts = []
    rest, left = total, k
    for x in w:
        if left <= 1 or x <= rest / left:
            break
        parts.append(x)
        rest -= x
        left -= 1
    parts += [rest / left] * left
    return cv(np.array(parts))


def need_pieces(weights, per_part: float, tolerance: float = NEED_TOLERANCE) -> np.ndarray:
    """Pieces each compound needs: ``⌈w / (tolerance · per_part)⌉``, at least 1.

    ``per_part`` is the workload a microgrid is meant to hold (the target, or
    the mean ``W / k`` of a plan); with ``per_part`` ≤ 0 every compound needs 1.

    >>> need_pieces([300, 700, 1253.3], 300).tolist()
    [1, 3, 4]
    """
    w = np.asarray(weights, dtype=float)
    if per_part <= 0:
        return np.ones(len(w), dtype=np.int64)
    return np.maximum(1, np.ceil(w / (tolerance * per_part))).astype(np.int64)


def cv_floor_within_need(weights, pieces, k: int) -> float:
    """Smallest CV of ``k`` parts when unit ``i`` may be cut into at most ``pieces[i]``.

    Each unit is cut into ``pieces[i]`` equal pieces, each then indivisible,
    and :func:`cv_lower_bound` water-fills them: a compound spread over at most
    its need of microgrids puts at least ``w / need`` in each. Indivisible
    units (buildings, points) have ``pieces`` 1. Contiguity is ignored, so the
    bound is optimistic: a plan within every compound's need cannot beat it.

    Two compounds needing 4 and 2 pieces and 399.4 of small objects: in 8
    microgrids two hold only small objects, in 7 one does.

    >>> w = [1253.3, 620.7] + [399.4 / 40] * 40
    >>> round(cv_floor_within_need(w, [4, 2] + [1] * 40, 8), 3)
    0.172
    >>> round(cv_floor_within_need(w, [4, 2] + [1] * 40, 7), 3)
    0.0
    """
    w = np.asarray(weights, dtype=float)
    m = np.maximum(1, np.asarray(pieces, dtype=np.int64))
    keep = w > 0
    if not keep.any():
        return 0.0
    return cv_lower_bound(np.repeat(w[keep] / m[keep], m[keep]), k)
