"""geogrid: grid-based community governance (网格化治理) for Chinese cities.

The pure core works on GeoDataFrames and arrays (EPSG:4490 unless stated):

* :mod:`geogrid.datum`     WGS84 / CGCS2000 / GCJ-02 / BD-09 conversions
* :mod:`geogrid.crs`       the CRS contract (storage CRS, metric CRS)
* :mod:`geogrid.io`        files in and out, with declared datums
* :mod:`geogrid.partition` microgrid partition and plan editing
* :mod:`geogrid.validate`  plan validation
* :mod:`geogrid.codes`     CJ/T 213, CJ/T 349 and Beidou grid codes
* :mod:`geogrid.locate`    point-in-area index; :mod:`geogrid.locator` the area chain
* :mod:`geogrid.geocode`   Chinese address parsing and the gazetteer
* :mod:`geogrid.dispatch`  categories, the closed loop, working time, metrics
* :mod:`geogrid.routing`   road graphs, routes, nearest responder

Storage (:mod:`geogrid.store`), HTTP (``api``) and HTML (``maps``) sit at the edges.

The names below are imported on first use, so ``import geogrid`` is cheap. The
partition function is :func:`geogrid.partition.partition` (once the subpackage
is imported, ``geogrid.partition`` names the subpackage).
"""

from ._errors import (
    ConflictError,
    CRSError,
    DatumError,
    GeoGridError,
    InputError,
    NotFoundError,
    OutOfCoverageError,
    StateError,
    ValidationError,
    ValidationProblem,
)
#: public name -> the submodule that defines it; imported on first use (PEP 562), so
#: ``import geogrid`` (and every command) does not pay for geopandas, SciPy, the
#: geocoder or the router until they are used
_LAZY = {
    "assign_unit_grid_codes": "codes", "beidou_decode": "codes", "beidou_encode": "codes",
    "community_code": "codes", "parse_unit_grid_code": "codes", "unit_grid_code": "codes",
    "Datum": "datum", "convert": "datum", "from_storage": "datum", "to_storage": "datum",
    "Catalogue": "dispatch", "Workflow": "dispatch", "WorkingCalendar": "dispatch",
    "assign": "dispatch", "incident_metrics": "dispatch", "Gazetteer": "geocode",
    "GeocodeResult": "geocode", "MatchLevel": "geocode", "ParsedAddress": "geocode",
    "normalise": "geocode", "parse_address": "geocode", "read_frame": "io", "write_frame": "io",
    "AreaIndex": "locate", "Located": "locate", "PlanLocator": "locate", "ancestors": "locate",
    "Kind": "model", "Level": "model", "ObjectType": "model", "PlanStatus": "model",
    "PartitionOptions": "partition", "PartitionResult": "partition",
    "WorkloadWeights": "partition", "diff_assignments": "partition",
    "merge_microgrids": "partition", "move_cells": "partition", "move_objects": "partition",
    "partition": "partition", "partition_files": "partition", "restore_result": "partition",
    "split_microgrid": "partition", "validate_files": "partition", "RoadGraph": "routing",
    "Route": "routing", "graph_from_lines": "routing", "largest_component": "routing",
    "nearest_responder": "routing", "read_osm_xml": "routing", "shortest_path": "routing",
    "ValidationReport": "validate", "validate_plan": "validate",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__version__ = "0.1.0"

__all__ = [
    "GeoGridError", "InputError", "CRSError", "DatumError", "ValidationError", "ValidationProblem",
    "NotFoundError", "ConflictError", "StateError", "OutOfCoverageError",
    "Datum", "convert", "to_storage", "from_storage",
    "read_frame", "write_frame",
    "Level", "Kind", "ObjectType", "PlanStatus",
    "partition", "PartitionOptions", "PartitionResult", "WorkloadWeights", "partition_files",
    "validate_files", "move_objects", "move_cells", "split_microgrid", "merge_microgrids",
    "diff_assignments", "restore_result",
    "validate_plan", "ValidationReport",
    "unit_grid_code", "parse_unit_grid_code", "assign_unit_grid_codes", "community_code",
    "beidou_encode", "beidou_decode",
    "AreaIndex", "Located", "ancestors", "PlanLocator",
    "Gazetteer", "GeocodeResult", "MatchLevel", "ParsedAddress", "parse_address", "normalise",
    "Catalogue", "Workflow", "WorkingCalendar", "assign", "incident_metrics",
    "RoadGraph", "Route", "graph_from_lines", "read_osm_xml", "largest_component",
    "shortest_path", "nearest_responder",
]
