"""Point → area: the point index, the area chain and the datum check.

* :mod:`~geogrid.locate.index`: :class:`AreaIndex`, an exact point-in-area
  lookup table (which microgrid is this point in?), which can be saved to a
  file and memory-mapped by every worker; ``AreaIndex.from_frame(..., lazy=True)``
  skips the table for a one-shot batch (:mod:`~geogrid.locate._quick`).
* :mod:`~geogrid.locate.chain`: :class:`PlanLocator`, a plan's levels as one
  lookup (point → 街道 / 网格 / 居民区 / 微网格 / 楼组), and :func:`ancestors`.
* :mod:`~geogrid.locate.datumcheck`: does a coordinate's declared datum
  (WGS84, GCJ-02, BD-09) look wrong?

The names are imported on first use (PEP 562), so a batch command that only
needs the index does not load pandas and geopandas with the chain.
"""

from __future__ import annotations

from .._lazy import lazy_names

__all__ = ["AreaIndex", "Located", "PlanLocator", "CHAIN_LEVELS", "ancestors", "BuildingIndex",
           "check_datum"]

_LAZY = {"AreaIndex": "index", "Located": "index", "PlanLocator": "chain",
         "CHAIN_LEVELS": "chain", "ancestors": "chain", "BuildingIndex": "datumcheck",
         "check_datum": "datumcheck"}


__getattr__, __dir__ = lazy_names(__name__, _LAZY)
