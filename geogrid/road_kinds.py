"""One table of road classes, shared by the partition engine and the rule metrics.

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
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["road_rank", "RANKS", "MAJOR", "MINOR", "PATH", "RAIL", "NOT_ON_GROUND"]

#: the ranks, strongest first (``rail`` includes tram lines)
RANKS = ("rail", "major", "minor", "path")

MAJOR = frozenset({"motorway", "trunk", "primary", "secondary", "motorway_link", "trunk_link",
                   "primary_link", "secondary_link"})
MINOR = frozenset({"tertiary", "tertiary_link", "residential", "unclassified", "living_street",
                   "road", "busway"})
PATH = frozenset({"service", "pedestrian", "footway", "path", "cycleway", "steps", "track",
                  "bridleway", "corridor", "sidewalk", "crossing"})
RAIL = frozenset({"rail", "light_rail", "narrow_gauge", "tram", "monorail", "preserved",
                  "funicular"})
#: lines that do not divide the land: ferries, piers, subways, unbuilt roads, lifts
NOT_ON_GROUND = frozenset({"ferry", "pier", "subway", "platform", "construction", "proposed",
                           "abandoned", "disused", "elevator", "aerialway"})


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
    if detail in NOT_ON_GROUND or k in {"ferry", "pier", "aerialway"}:
        return None
    for rank, values in (("major", MAJOR), ("minor", MINOR), ("path", PATH), ("rail", RAIL)):
        if detail in values:
            return rank
    if k == "rail":
        return "rail"
    if k in {"major_road", "highway"}:
        return "major"
    if k == "path":
        return "path"
    return "minor"


def _present(value) -> bool:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    try:
        return str(value) not in ("", "<NA>", "nan", "None")
    except (TypeError, ValueError):
        return False
