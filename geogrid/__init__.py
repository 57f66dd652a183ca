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

The names below are imported on first use, so ``import geogrid`` is cheap.
"""

import sys
import types

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
from ._lazy import lazy_names

#: public name → the module that defines it, imported on first use (PEP 562), so that
#: importing one part of geogrid (the command line, a router) does not load them all
_LAZY = {
    **dict.fromkeys((
        "assign_unit_grid_codes", "beidou_decode", "beidou_encode", "community_code",
        "parse_unit_grid_code", "unit_grid_code"), "codes"),
    **dict.fromkeys((
        "Datum", "convert", "from_storage", "to_storage"), "datum"),
    **dict.fromkeys((
        "Catalogue", "Workflow", "WorkingCalendar", "assign", "incident_metrics"), "dispatch"),
    **dict.fromkeys((
        "Gazetteer", "GeocodeResult", "MatchLevel", "ParsedAddress", "normalise",
        "parse_address"), "geocode"),
    **dict.fromkeys((
        "read_frame", "write_frame"), "io"),
    **dict.fromkeys((
        "AreaIndex", "Located", "PlanLocator", "ancestors"), "locate"),
    **dict.fromkeys((
        "Kind", "Level", "ObjectType", "PlanStatus"), "model"),
    **dict.fromkeys((
        "PartitionOptions", "PartitionResult", "WorkloadWeights", "diff_assignments",
        "merge_microgrids", "move_cells", "move_objects", "partition",
        "partition_files", "restore_result", "split_microgrid", "validate_files"), "partition"),
    **dict.fromkeys((
        "RoadGraph", "Route", "graph_from_lines", "largest_component",
        "nearest_responder", "read_osm_xml", "shortest_path"), "routing"),
    **dict.fromkeys((
        "ValidationReport", "validate_plan"), "validate"),
}


__getattr__, __dir__ = lazy_names(__name__, _LAZY, uncached={"partition"})


class _Package(types.ModuleType):
    """``geogrid.partition`` is the function, as it was when this package imported eagerly."""

    @property
    def partition(self):
        from .partition import partition

        return partition

    @partition.setter
    def partition(self, _subpackage) -> None:  # the import system records the subpackage here
        pass


sys.modules[__name__].__class__ = _Package


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
