"""Move whole microgrids, with their cells, from one partitioned area's tessellation to another's.

When a 居民区 boundary is redrawn (:mod:`geogrid.partition.redraw`), whole microgrids change
居民区. Each 居民区 was partitioned on its own, so its saved state (cells, their adjacency
and the objects in them; :class:`~geogrid.partition.engine.PartitionResult` as persisted)
must lose the microgrids that leave and gain those that come, for later edits (move objects,
cut, undo) to keep working on exact cells:

* the source keeps its other cells, renumbered 0..n-1, with the edges between them;
* the destination appends the moving cells after its own, gives each moving microgrid the
  next free id, keeps the edges among the moving cells and adds an edge for every pair of
  its cells and moving cells that share a boundary (measured in metres). That boundary was
  the outer edge of both partitions; 居民区 boundaries run along streets, so it is classed
  as a minor street (:attr:`BarrierClass.MINOR`).

Frames are those of :class:`geogrid.store.edits.SavedState` (storage CRS); nothing else is
changed, so the cells, and hence every microgrid's outline, are exactly what they were.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..crs import metric_crs
from .inputs import BarrierClass
from .tessellate import affinity_factor

__all__ = ["StateFrames", "take_microgrids", "empty_like"]

#: a shared boundary shorter than this (m) is a corner touch (length 0), not an edge; the
#: tessellation keeps edges of a few millimetres, so this must stay far below them
MIN_EDGE_M = 1e-4


@dataclass
class StateFrames:
    """One partition's persisted frames: ``cells``, ``edges``, ``objects``."""

    cells: gpd.GeoDataFrame
    edges: pd.DataFrame
    objects: gpd.GeoDataFrame


def empty_like(frames: StateFrames) -> StateFrames:
    """A partition with no cells, shaped like ``frames`` (for a new area made by a split)."""
    return StateFrames(frames.cells.iloc[:0].copy(), frames.edges.iloc[:0].copy(),
                       frames.objects.iloc[:0].copy())


def take_microgrids(src: StateFrames, dst: StateFrames, microgrids) -> tuple[StateFrames,
                                                                           StateFrames, dict]:
    """Move ``microgrids`` (ids in ``src``) with their cells and objects into ``dst``.

    Returns the new source, the new destination and old id → new id in the destination.
    """
    moving = set(int(m) for m in microgrids)
    mask = src.cells["microgrid"].isin(moving).to_numpy()
    kept, taken = _subset(src, ~mask), _subset(src, mask)
    start = int(dst.cells["microgrid"].max()) if len(dst.cells) else 0
    new_id = {m: start + i + 1 for i, m in enumerate(sorted(moving))}
    taken.cells["microgrid"] = taken.cells["microgrid"].map(new_id).astype(np.int64)
    if "microgrid" in taken.objects:
        taken.objects["microgrid"] = taken.objects["microgrid"].map(
            lambda v: new_id.get(int(v), v) if v == v else v)
    for col in ("block", "label"):   # keep the destination's numbering apart from the source's
        if col in taken.cells and len(dst.cells):
            taken.cells[col] = taken.cells[col] + int(dst.cells[col].max()) + 1
    n = len(dst.cells)
    taken.cells["cell"] += n
    taken.edges[["a", "b"]] += n
    taken.objects["cell"] += n
    cells = pd.concat([dst.cells, taken.cells], ignore_index=True)
    cells = gpd.GeoDataFrame(cells, geometry=src.cells.geometry.name, crs=src.cells.crs)
    edges = pd.concat([dst.edges, taken.edges, _cross_edges(dst.cells, taken.cells, src.edges)],
                      ignore_index=True)
    objects = gpd.GeoDataFrame(pd.concat([dst.objects, taken.objects], ignore_index=True),
                               geometry=src.objects.geometry.name, crs=src.objects.crs)
    return kept, StateFrames(cells, edges, objects), new_id


def _subset(frames: StateFrames, mask: np.ndarray) -> StateFrames:
    """The cells under ``mask``, renumbered 0..n-1, with their edges and objects."""
    cells = frames.cells[mask].copy()
    renum = pd.Series(np.arange(len(cells)), index=cells["cell"].to_numpy())
    cells["cell"] = np.arange(len(cells))
    e = frames.edges
    both = e["a"].isin(renum.index) & e["b"].isin(renum.index)
    edges = e[both].copy()
    edges["a"] = renum.reindex(edges["a"]).to_numpy()
    edges["b"] = renum.reindex(edges["b"]).to_numpy()
    objects = frames.objects[frames.objects["cell"].isin(renum.index)].copy()
    objects["cell"] = renum.reindex(objects["cell"]).to_numpy()
    return StateFrames(cells.reset_index(drop=True), edges.reset_index(drop=True),
                       objects.reset_index(drop=True))


def _cross_edges(ours: gpd.GeoDataFrame, theirs: gpd.GeoDataFrame, like: pd.DataFrame
                 ) -> pd.DataFrame:
    """An edge for each pair (our cell, their cell) sharing at least :data:`MIN_EDGE_M`."""
    if not len(ours) or not len(theirs):
        return like.iloc[:0].copy()
    mcrs = metric_crs(pd.concat([ours.geometry, theirs.geometry]).pipe(gpd.GeoSeries,
                                                                        crs=ours.crs))
    a_geo = np.asarray(ours.to_crs(mcrs).geometry.values, dtype=object)
    b_geo = np.asarray(theirs.to_crs(mcrs).geometry.values, dtype=object)
    tree = shapely.STRtree(a_geo)
    j, i = tree.query(b_geo, predicate="intersects")
    length = shapely.length(shapely.intersection(shapely.boundary(a_geo[i]),
                                                 shapely.boundary(b_geo[j])))
    keep = length >= MIN_EDGE_M
    cls = int(BarrierClass.MINOR)
    a = ours["cell"].to_numpy()[i[keep]]
    b = theirs["cell"].to_numpy()[j[keep]]
    out = pd.DataFrame({"a": np.minimum(a, b), "b": np.maximum(a, b), "length": length[keep],
                        "cls": cls})
    aff = out["length"].to_numpy() * affinity_factor(np.full(len(out), cls))
    for col in like.columns:
        if col in out:
            continue
        out[col] = aff if "affinity" in col else (pd.NA if col == "source" else 0.0)
    return out[list(like.columns)].astype(like.dtypes.to_dict())
