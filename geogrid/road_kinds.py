"""One table of road classes: partition, rule metrics, road graph and basemap read it.

OSM-style roads carry ``kind`` (``major_road``, ``minor_road``, ``path``,
``rail``, ``ferry``…) and ``kind_detail`` (the OSM ``highway``/``railway``
value). :func:`road_rank` reads them the same way wherever a road's class
matters: the engine (:func:`geogrid.partition.inputs.road_class`, which turns
the rank into how strongly the line separates microgrids) and the measure of a
plan (:func:`geogrid.rule_metrics.road_classes`), so a boundary the engine
draws along a "minor" street is reported on a minor street.

``tertiary`` streets rank as minor and ``service`` ways as paths: the residential
streets and driveways between compounds. Ranking tertiary streets as major
made the demo grids' boundaries lie on roads less often, not more.

Each OSM value has one row in :data:`KINDS` that says everything the project
reads from it: its rank here, the free-flow speed the road graph gives it
when a way has no ``maxspeed`` (:mod:`geogrid.routing`), whether responders
can travel on it, and the class the offline basemap draws it in
(:mod:`geogrid.basemap`). :data:`TILEZEN_KINDS` does the same for the coarse
Tilezen ``kind`` of files that carry no ``kind_detail``.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

__all__ = ["road_rank", "RoadKind", "KINDS", "TILEZEN_KINDS", "RANKS", "MAJOR", "MINOR", "PATH",
           "RAIL", "NOT_ON_GROUND", "SPEEDS_KMH", "NOT_ROUTABLE", "MAP_CLASSES",
           "TILEZEN_MAP_CLASSES"]

#: the ranks, strongest first (``rail`` includes tram lines)
RANKS = ("rail", "major", "minor", "path")


class RoadKind(NamedTuple):
    """What one road class means to the partition, the road graph and the basemap."""

    #: ``"major"``, ``"minor"``, ``"path"``, ``"rail"``; None: the line does not divide land
    rank: str | None
    #: free-flow km/h in a dense Chinese city centre when a way has no ``maxspeed``
    speed_kmh: float | None = None
    #: False: not a road a responder can use (the road graph drops it)
    routable: bool = True
    #: basemap class it is drawn in (``"motorway"`` … ``"rail"``); None: not drawn
    map_class: str | None = None


_ = RoadKind
#: OSM ``highway`` / ``railway`` values (Tilezen ``kind_detail``)
KINDS: dict[str, RoadKind] = {
    # value             rank     km/h   routable  basemap class
    "motorway":       _("major", 80.0, True, "motorway"),
    "motorway_link":  _("major", 50.0),
    "trunk":          _("major", 60.0, True, "motorway"),
    "trunk_link":     _("major", 40.0),
    "primary":        _("major", 40.0, True, "primary"),
    "primary_link":   _("major", 30.0),
    "secondary":      _("major", 35.0, True, "secondary"),
    "secondary_link": _("major", 30.0),
    "tertiary":       _("minor", 30.0, True, "tertiary"),
    "tertiary_link":  _("minor", 25.0),
    "residential":    _("minor", 20.0, True, "minor"),
    "unclassified":   _("minor", 25.0, True, "minor"),
    "living_street":  _("minor", 10.0, True, "minor"),
    "road":           _("minor", 25.0, True, "minor"),
    "busway":         _("minor"),
    "service":        _("path", 15.0, True, "service"),
    "pedestrian":     _("path", 5.0, True, "path"),
    "footway":        _("path", 5.0, True, "path"),
    "path":           _("path", 5.0, True, "path"),
    "cycleway":       _("path", 12.0, True, "path"),
    "steps":          _("path", 3.0, True, "path"),
    "track":          _("path", 10.0, True, "path"),
    "bridleway":      _("path"),
    "corridor":       _("path"),
    "sidewalk":       _("path"),
    "crossing":       _("path"),
    "rail":           _("rail", None, False, "rail"),
    "light_rail":     _("rail", None, False, "rail"),
    "narrow_gauge":   _("rail", None, False),
    "tram":           _("rail", None, False, "rail"),
    "monorail":       _("rail", None, False, "rail"),
    "preserved":      _("rail"),
    "funicular":      _("rail", None, False, "rail"),
    # lines that do not divide the land: ferries, piers, subways, unbuilt roads, lifts
    "ferry":          _(None, None, False),
    "pier":           _(None, 5.0, True, "path"),
    "subway":         _(None, None, False, "rail"),
    "platform":       _(None, None, False),
    "construction":   _(None, None, False),
    "proposed":       _(None, None, False),
    "abandoned":      _(None, None, False),
    "disused":        _(None),
    "elevator":       _(None),
    "aerialway":      _(None, None, False),
}
#: Tilezen ``kind`` values, read where ``kind_detail`` is missing or unknown; a ``kind`` of
#: rank None (ferry, pier, aerialway) keeps the line off the ground whatever its detail
TILEZEN_KINDS: dict[str, RoadKind] = {
    "highway":    _("major", 60.0),
    "major_road": _("major", 35.0, True, "tertiary"),
    "minor_road": _("minor", 20.0, True, "minor"),
    "path":       _("path", None, True, "path"),
    "rail":       _("rail", None, False, "rail"),
    "ferry":      _(None, None, False),
    "pier":       _(None),
    "aerialway":  _(None, None, False),
}
del _


def _with(rank: str | None) -> frozenset[str]:
    return frozenset(v for v, k in KINDS.items() if k.rank == rank)


MAJOR, MINOR, PATH, RAIL = _with("major"), _with("minor"), _with("path"), _with("rail")
NOT_ON_GROUND = _with(None)
#: speed by class, OSM value or Tilezen kind (the OSM value's where both name one)
SPEEDS_KMH: dict[str, float] = {
    **{v: k.speed_kmh for v, k in TILEZEN_KINDS.items() if k.speed_kmh is not None},
    **{v: k.speed_kmh for v, k in KINDS.items() if k.speed_kmh is not None}}
#: classes (OSM value or Tilezen kind) that are not roads a responder can use
NOT_ROUTABLE = frozenset(v for table in (KINDS, TILEZEN_KINDS) for v, k in table.items()
                         if not k.routable)
#: basemap class by OSM value, and by Tilezen kind where the value draws nothing
MAP_CLASSES = {v: k.map_class for v, k in KINDS.items() if k.map_class}
TILEZEN_MAP_CLASSES = {v: k.map_class for v, k in TILEZEN_KINDS.items() if k.map_class}
_OFF_GROUND_KINDS = frozenset(v for v, k in TILEZEN_KINDS.items() if k.rank is None)


def road_rank(kind: Any, kind_detail: Any) -> str | None:
    """``"rail"``, ``"major"``, ``"minor"``, ``"path"``, or None for a line not on the ground.

    ``kind_detail`` decides; ``kind`` is the fallback (``major_road``/``highway``
    major, ``path`` path, ``rail`` rail, anything else minor).

    >>> road_rank("major_road", "secondary"), road_rank("major_road", "tertiary")
    ('major', 'minor')
    >>> road_rank("minor_road", "service"), road_rank("path", "pier"), road_rank("path", None)
    ('path', None, 'path')
    """
    detail = str(kind_detail).strip().lower() if _present(kind_detail) else ""
    k = str(kind).strip().lower() if _present(kind) else ""
    if detail in NOT_ON_GROUND or k in _OFF_GROUND_KINDS:
        return None
    if detail in KINDS:
        return KINDS[detail].rank
    return TILEZEN_KINDS[k].rank if k in TILEZEN_KINDS else "minor"


def _present(value) -> bool:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    try:
        return str(value) not in ("", "<NA>", "nan", "None")
    except (TypeError, ValueError):
        return False
