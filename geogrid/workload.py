"""Workload of management objects, in household equivalents.

One definition shared by the partition engine (:mod:`geogrid.partition`), which
balances it, and the plan validator (:mod:`geogrid.validate`), which measures it:
``workload = households + w[type]`` (:class:`WorkloadWeights`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from ._errors import InputError

__all__ = ["WorkloadWeights"]


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
