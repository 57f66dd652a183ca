"""A plan's areas as one lookup: point → the full chain 街道 / 网格 / 居民区 / 微网格 / 楼组.

:class:`PlanLocator` indexes the leaves of a plan (the lowest level that
tiles the street: microgrids when the plan has them) with
:class:`~geogrid.locate.index.AreaIndex`, and building groups (楼组), when present,
in a second index. The ancestors of each leaf are resolved once, so a lookup
costs one index query plus a dictionary read.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import InputError, OutOfCoverageError
from ..model import LEVEL_ORDER, Level
from .index import AreaIndex

__all__ = ["PlanLocator", "CHAIN_LEVELS", "ancestors"]

CHAIN_LEVELS = [lvl.value for lvl in LEVEL_ORDER]


def ancestors(areas: pd.DataFrame, id_column: str = "id",
              parent_column: str = "parent_id") -> dict[Any, tuple]:
    """Map each area id to its ancestors' ids, nearest first.

    Roots (null parent) map to ``()``. A parent id missing from ``areas``
    or a cycle raises :class:`~geogrid.InputError`.

    >>> import pandas as pd
    >>> tree = pd.DataFrame({"id": ["S", "G", "C", "M"], "parent_id": [None, "S", "G", "C"]})
    >>> ancestors(tree)["M"]
    ('C', 'G', 'S')
    """
    for col in (id_column, parent_column):
        if col not in areas.columns:
            raise InputError(f"areas has no column {col!r}.", field=col,
                             value=list(areas.columns),
                             fix=f"Pass {'id_column' if col == id_column else 'parent_column'}=...")
    ids = areas[id_column].tolist()
    parents = [None if pd.isna(p) else p for p in areas[parent_column].tolist()]
    parent_of = dict(zip(ids, parents))
    if len(parent_of) != len(ids):
        raise InputError(f"{id_column} has duplicate values.", field=id_column,
                         fix="Give every area its own id.")
    out: dict[Any, tuple] = {}
    for area in ids:
        chain: list = []
        node = parent_of[area]
        while node is not None:
            if node not in parent_of:
                raise InputError(f"area {area!r} has unknown ancestor {node!r}.",
                                 field=parent_column, value=node,
                                 fix="Include every ancestor in the frame, or null the parent.")
            if node == area or len(chain) > len(ids):
                raise InputError(f"area {area!r} is its own ancestor.", field=parent_column,
                                 value=area, fix="Break the cycle in the parent column.")
            if node in out:             # reuse a chain computed before
                chain.append(node)
                chain.extend(out[node])
                break
            chain.append(node)
            node = parent_of[node]
        out[area] = tuple(chain)
    return out


class PlanLocator:
    def __init__(self, areas: gpd.GeoDataFrame):
        if areas.empty:
            raise InputError("the plan has no areas.", field="areas", fix="Import or draw areas first.")
        self.areas = areas.reset_index(drop=True)
        levels = set(self.areas["level"])
        tiling = [lvl.value for lvl in LEVEL_ORDER[:4] if lvl.value in levels]
        self.leaf_level = tiling[-1]
        leaves = self.areas[self.areas["level"] == self.leaf_level].reset_index(drop=True)
        self.leaves = leaves
        tie = "code" if leaves["code"].notna().all() and leaves["code"].is_unique else None
        self.index = AreaIndex.from_frame(leaves, id_column="id", tie_break=tie)
        groups = self.areas[self.areas["level"] == Level.BUILDING_GROUP.value].reset_index(drop=True)
        self.groups = groups
        self.group_index = AreaIndex.from_frame(groups, id_column="id") if len(groups) else None
        for col in ("name", "code", "kind"):
            if col not in self.areas:
                self.areas[col] = None
        def clean(v):
            return None if v is None or (isinstance(v, float) and v != v) else v

        info = {r["id"]: {"id": r["id"], "level": r["level"], "name": clean(r["name"]),
                          "code": clean(r.get("code")), "kind": clean(r.get("kind"))}
                for r in self.areas[["id", "level", "name", "code", "kind"]].to_dict("records")}
        self.info = info
        tree = self.areas[["id"]].copy()
        # a file may hold one level only: parents it does not contain are roots here
        parent = self.areas["parent_id"] if "parent_id" in self.areas else None
        tree["parent_id"] = None if parent is None else parent.where(parent.isin(set(tree["id"])), None)
        anc = ancestors(tree)
        self._chains: list[dict[str, Any]] = []
        for leaf in leaves["id"]:
            chain = {lvl: None for lvl in CHAIN_LEVELS}
            for aid in (leaf, *anc[leaf]):
                chain[info[aid]["level"]] = info[aid]
            self._chains.append(chain)

    def chain_of(self, position: int, lon: float | None = None, lat: float | None = None) -> dict:
        chain = dict(self._chains[position])
        if self.group_index is not None and lon is not None:
            g = int(self.group_index.locate(np.array([lon]), np.array([lat]))[0])
            if g >= 0:
                chain[Level.BUILDING_GROUP.value] = self.info[self.groups["id"].iat[g]]
        return chain

    def locate_one(self, lon: float, lat: float, *, snap_m: float | None = None) -> dict:
        """The chain for one point; raises OutOfCoverageError beyond ``snap_m``."""
        try:  # fast path: inside coverage
            pos = self.index.locate_one(lon, lat)
            snapped, distance = False, 0.0
        except OutOfCoverageError:
            if not snap_m:
                raise
            located = self.index.locate_detail(np.array([lon], float), np.array([lat], float),
                                               snap_m=snap_m)
            pos = int(located.position[0])
            if pos < 0:
                self.index.locate_one(lon, lat, snap_m=snap_m)  # raises the detailed error
            snapped, distance = bool(located.snapped[0]), float(located.distance_m[0])
        return {"chain": self.chain_of(pos, lon, lat), "leaf": self.leaves["id"].iat[pos],
                "snapped": snapped, "distance_m": distance}

    def locate_many(self, lon, lat, *, snap_m: float | None = None) -> pd.DataFrame:
        """Leaf id, microgrid code, grid id, snapped flag and distance for arrays of points."""
        located = self.index.locate_detail(lon, lat, snap_m=snap_m)
        pos = located.position
        ids = np.asarray(self.leaves["id"], dtype=object)
        leaf = np.where(pos >= 0, ids[np.maximum(pos, 0)], None)
        codes = np.asarray(self.leaves["code"], dtype=object)
        grid_ids = np.array([(c.get("grid") or {}).get("id") for c in self._chains] + [None],
                            dtype=object)
        return pd.DataFrame({
            f"{self.leaf_level}_id": pd.array(leaf, dtype="string"),
            f"{self.leaf_level}_code": pd.array(np.where(pos >= 0, codes[np.maximum(pos, 0)], None),
                                                dtype="string"),
            "grid_id": pd.array(grid_ids[np.where(pos >= 0, pos, len(self._chains))], dtype="string"),
            "snapped": np.asarray(located.snapped, dtype=bool),
            "distance_m": np.asarray(located.distance_m, dtype=float),
        })
