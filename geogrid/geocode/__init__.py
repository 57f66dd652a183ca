"""Geocoding: Chinese address parsing, a gazetteer, and accuracy evaluation.

* :mod:`~geogrid.geocode.address`: :func:`normalise` and :func:`parse_address`
  (province → 街道 → road → 弄 → 号 → 栋 → 单元 → 室, intersections, hints).
* :mod:`~geogrid.geocode.gazetteer`: :class:`Gazetteer` (exact, fuzzy,
  interpolated and intersection matching; reverse lookup).
* :mod:`~geogrid.geocode.calibrate`: :class:`Calibration` (confidence as the
  measured probability of being within 100 m) and :func:`reliability_table`.
* :mod:`~geogrid.geocode.osm`: shape OSM layers into gazetteer inputs.
* :mod:`~geogrid.geocode.evaluate`: test cases with known truth and
  accuracy statistics.
"""

from .address import (
    DIRECTIONS,
    HouseNumber,
    Intersection,
    Offset,
    ParsedAddress,
    normalise,
    parse_address,
    parse_house_number,
    road_key,
)
from .calibrate import Calibration, reliability_table
from .evaluate import EvalCase, EvalSet, build_eval_set, evaluate
from .gazetteer import Gazetteer, GeocodeResult, MatchLevel, ReverseResult
from .osm import gazetteer_frames

__all__ = [
    "DIRECTIONS",
    "Calibration",
    "EvalCase",
    "EvalSet",
    "Gazetteer",
    "GeocodeResult",
    "HouseNumber",
    "Intersection",
    "MatchLevel",
    "Offset",
    "ParsedAddress",
    "ReverseResult",
    "build_eval_set",
    "evaluate",
    "gazetteer_frames",
    "normalise",
    "parse_address",
    "parse_house_number",
    "reliability_table",
    "road_key",
]
