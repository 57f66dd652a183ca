"""What the gazetteer answers: match levels (rungs), results and internal candidates."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .._errors import NotFoundError
from ._index import House, Place
from .address import ParsedAddress

__all__ = ["GeocodeResult", "MatchLevel", "ReverseResult"]


class MatchLevel(StrEnum):
    """How precisely a result was located, most precise first."""

    HOUSE_NUMBER = "门牌"
    BUILDING = "楼栋"
    COMPOUND = "小区"
    POI = "POI"
    LANE_ENTRANCE = "弄口"
    INTERPOLATED = "道路插值"
    INTERSECTION = "交叉口"
    ROAD_SEGMENT = "路段"
    ROAD = "道路"
    AREA = "区域"


_BASE = {
    MatchLevel.HOUSE_NUMBER: 0.98, MatchLevel.BUILDING: 0.92, MatchLevel.POI: 0.90,
    MatchLevel.INTERSECTION: 0.85, MatchLevel.COMPOUND: 0.80, MatchLevel.ROAD: 0.35,
    MatchLevel.AREA: 0.15, MatchLevel.LANE_ENTRANCE: 0.75, MatchLevel.ROAD_SEGMENT: 0.5,
}
_NAME_LEVEL_ORDER = (MatchLevel.BUILDING, MatchLevel.POI, MatchLevel.COMPOUND)
_SOURCE_ORDER = {"addresses": 0, "address_points": 1, "buildings": 2, "pois": 3, "compounds": 4}


@dataclass(frozen=True)
class GeocodeResult:
    """The answer to one address.

    ``ok`` False means nothing was located; ``reason`` then says why.
    ``estimated`` is True when the point was computed (interpolated, offset,
    road or area level) rather than read from a stored feature. ``source`` and
    ``source_index`` name the input frame and row the point came from.

    ``level`` is the rung of the resolution ladder the answer reached
    (``rung`` is its English name). ``confidence`` is the calibrated
    probability that the point is within 100 m of the truth (see
    :mod:`geogrid.geocode.calibrate`); ``score`` is the rule score it was
    calibrated from. ``needs_review`` is True below the gazetteer's review
    threshold: a person should pick among the point and its ``alternatives``.
    """

    query: str
    ok: bool
    lon: float | None = None
    lat: float | None = None
    level: MatchLevel | None = None
    confidence: float = 0.0
    matched: str | None = None
    detail: str | None = None
    estimated: bool = False
    source: str | None = None
    source_index: Any = None
    reason: str | None = None
    parsed: ParsedAddress | None = None
    alternatives: tuple[GeocodeResult, ...] = ()
    score: float = 0.0
    needs_review: bool = False
    #: the class the confidence was calibrated in (:func:`~geogrid.geocode.calibrate.evidence`)
    evidence: str | None = None
    #: what the answer rests on (:data:`~geogrid.geocode.calibrate.FEATURES`), as calibrated
    features: dict | None = None

    @property
    def rung(self) -> str | None:
        """The ladder rung in English: house_number, lane_entrance, interpolated, …"""
        return self.level.name.lower() if self.level else None

    def require(self) -> GeocodeResult:
        """Return self, or raise :class:`~geogrid.NotFoundError` when nothing matched."""
        if not self.ok:
            raise NotFoundError(f"address {self.query!r} was not found: {self.reason}",
                                field="text", value=self.query,
                                fix="Check the road name and number, or add a POI or compound name.")
        return self

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query, "ok": self.ok, "lon": self.lon, "lat": self.lat,
            "level": self.level.value if self.level else None, "rung": self.rung,
            "confidence": round(self.confidence, 3), "score": round(self.score, 3),
            "needs_review": self.needs_review, "evidence": self.evidence,
            "matched": self.matched,
            "detail": self.detail, "estimated": self.estimated, "source": self.source,
            "reason": self.reason,
            "alternatives": [a.to_dict() for a in self.alternatives],
        }


@dataclass(frozen=True)
class ReverseResult:
    """The nearest indexed house number to a point, and how far it is (metres).

    ``house`` is that house number, ``None`` when there is none near enough
    (``reason`` then says why); the point, label and source are the house's.
    """

    house: House | None = None
    distance_m: float | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.house is not None

    @property
    def address(self) -> str | None:
        """The house number as written (``测试路5号``)."""
        return self.house.label if self.house else None

    @property
    def name(self) -> str | None:
        """The name of the place at that number, when it says more than the number."""
        place = self.house.place if self.house else None
        return place.name if place and place.name and place.name != self.house.label else None

    @property
    def lon(self) -> float | None:
        return self.house.place.lon if self.house else None

    @property
    def lat(self) -> float | None:
        return self.house.place.lat if self.house else None

    @property
    def source(self) -> str | None:
        return self.house.place.source if self.house else None

    @property
    def source_index(self) -> Any:
        return self.house.place.index if self.house else None

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "lon": self.lon, "lat": self.lat, "address": self.address,
                "name": self.name, "distance_m": self.distance_m, "source": self.source,
                "source_index": self.source_index, "reason": self.reason}


# ---------------------------------------------------------------------------
# internal records

@dataclass
class _Candidate:
    level: MatchLevel
    x: float
    y: float
    confidence: float
    matched: str
    detail: str | None = None
    estimated: bool = False
    place: Place | None = None
    #: the calibrated confidence may not exceed this (records of a wide site, no name to pick)
    cap: float = 1.0
    #: what the answer rests on, for the calibration (:data:`~geogrid.geocode.calibrate.FEATURES`)
    features: dict = field(default_factory=dict)


def _join(a: str | None, b: str | None) -> str | None:
    if a and b:
        return f"{a}; {b}"
    return a or b


