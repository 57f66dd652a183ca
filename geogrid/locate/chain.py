"""A plan's areas as one lookup: point → the full chain 街道 / 网格 / 居民区 / 微网格 / 楼组.

:class:`PlanLocator` indexes the leaves of a plan (the lowest level that
tiles the street: microgrids when the plan has them) with
:class:`~geogrid.locate.index.AreaIndex`, and building groups (楼组), when present,
in a second index. The ancestors of each leaf are resolved once, so a lookup
costs one index query plus a dictionary read.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .._errors import InputError
from ..model import LEVEL_ORDER, Level
from .index import AreaIndex

if TYPE_CHECKING:      # pandas is imported where a frame is made: opening a saved locator needs none
    import geopandas as gpd
    import pandas as pd

__all__ = ["PlanLocator", "CHAIN_LEVELS", "ancestors", "leaf_rows", "ancestor_at"]

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
    import pandas as pd

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


def leaf_rows(areas: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, str, gpd.GeoDataFrame,
                                                  str | None]:
    """A plan's areas with the optional columns filled in, the leaf level, the
    leaf rows and the tie-break column of the leaf index (``code`` when every
    leaf has a unique one)."""
    if areas.empty:
        raise InputError("方案没有区域 / the plan has no areas.", field="areas",
                         fix="先导入或绘制区域 / import or draw areas first.")
    if "id" not in areas.columns:
        raise InputError(f"区域缺少 id 列 / the areas have no 'id' column; found "
                         f"{list(areas.columns)[:12]}.", field="id",
                         value=list(areas.columns)[:12],
                         fix="用 --id-column 指定 / name the id column with --id-column.")
    areas = areas.reset_index(drop=True)
    if "level" not in areas.columns:
        areas["level"] = Level.MICROGRID.value
    levels = set(areas["level"])
    tiling = [lvl.value for lvl in LEVEL_ORDER[:4] if lvl.value in levels]
    if not tiling:
        raise InputError(f"没有可定位的层级 / no area has a level that tiles a street; levels "
                         f"found: {sorted(map(str, levels))[:8]}.", field="level",
                         value=sorted(map(str, levels))[:8],
                         fix="层级取 street/grid/community/microgrid / use those level "
                             "names, or --level-column / --level to map them.")
    for col in ("name", "code", "kind"):
        if col not in areas:
            areas[col] = None
    is_leaf = (areas["level"] == tiling[-1]).to_numpy()
    leaves = areas if is_leaf.all() else areas[is_leaf].reset_index(drop=True)
    tie = "code" if leaves["code"].notna().all() and leaves["code"].is_unique else None
    return areas, tiling[-1], leaves, tie


def ancestor_at(areas: pd.DataFrame, ids, level: str) -> np.ndarray:
    """For each id in ``ids``: itself or its nearest ancestor at ``level``, else None.

    Parents missing from ``areas`` end a chain (a file may hold one level
    only); a chain longer than there are levels is a cycle and raises.
    """
    import pandas as pd

    ids = pd.Series(np.asarray(ids, dtype=object))
    out = np.full(len(ids), None, dtype=object)
    if not len(ids):
        return out
    if "parent_id" not in areas:          # every area is a root: only itself can match
        own = pd.Series(areas["level"].to_numpy(object), index=areas["id"].to_numpy(object))
        here = own.reindex(ids.to_numpy(object)).to_numpy(object) == level
        out[here] = ids.to_numpy(object)[here]
        return out
    level_of = pd.Series(areas["level"].to_numpy(object), index=areas["id"].to_numpy(object))
    parent = areas["parent_id"]
    parent_of = pd.Series(parent.to_numpy(object), index=areas["id"].to_numpy(object))
    current, todo = ids.to_numpy(object), np.arange(len(ids))
    for _ in range(len(CHAIN_LEVELS) + 2):
        here = level_of.reindex(current).to_numpy(object) == level
        out[todo[here]] = current[here]
        current = parent_of.reindex(current[~here]).to_numpy(object)
        todo = todo[~here]
        known = pd.notna(current) & pd.Series(current).isin(level_of.index).to_numpy()
        current, todo = current[known], todo[known]
        if not len(todo):
            return out
    raise InputError(f"区域 {ids[todo[0]]!r} 是自己的上级 / area {ids[todo[0]]!r} is its own "
                     "ancestor.", field="parent_id", value=ids[todo[0]],
                     fix="断开 parent_id 中的循环 / break the cycle in the parent column.")


class PlanLocator:
    """Point → the chain of areas a plan puts it in.

    ``areas`` needs ``id`` and a polygon geometry; ``level`` (default: every
    row is a microgrid), ``parent_id``, ``code``, ``name`` and ``kind`` are
    optional. Rename other column names first (the CLI's ``--id-column``
    and friends do).

    ``index`` is a leaf index built before (e.g. saved when the plan was
    activated and opened with :meth:`AreaIndex.load`): a worker then starts
    without building one. It must index exactly this plan's leaves.
    ``known_valid``: the polygons' validity was checked before (see
    :meth:`AreaIndex.from_frame`), so the indexes do not test it again.
    """

    def __init__(self, areas: gpd.GeoDataFrame, *, index: AreaIndex | None = None,
                 known_valid: bool = False):
        self.areas, self.leaf_level, leaves, tie = leaf_rows(areas)
        self._leaves, self._load_leaves = leaves, None
        if index is not None and index.ids.tolist() != leaves["id"].tolist():
            raise InputError("定位索引与方案的区域不符 / the saved locate index does not index "
                             "this plan's leaves.", field="index",
                             fix="重新构建并保存索引 / rebuild and save the index for this plan.")
        self.index = index or AreaIndex.from_frame(leaves, id_column="id", tie_break=tie,
                                                   known_valid=known_valid)
        groups = self.areas[self.areas["level"] == Level.BUILDING_GROUP.value].reset_index(drop=True)
        self.groups = groups
        self.group_index = (AreaIndex.from_frame(groups, id_column="id", known_valid=known_valid)
                            if len(groups) else None)

        def clean(v):
            return None if v is None or (isinstance(v, float) and v != v) else v

        info = {r["id"]: {"id": r["id"], "level": r["level"], "name": clean(r["name"]),
                          "code": clean(r.get("code")), "kind": clean(r.get("kind"))}
                for r in self.areas[["id", "level", "name", "code", "kind"]].to_dict("records")}
        if "attrs" in self.areas:  # an area estimated from the data says so in every chain
            for aid, attrs in zip(self.areas["id"], self.areas["attrs"]):
                if isinstance(attrs, dict) and attrs.get("derived"):
                    info[aid]["derived"] = True
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
        # per leaf position, plain arrays (the last entry answers "no leaf")
        self._leaf_ids = np.append(np.asarray(leaves["id"], dtype=object), None)
        self._leaf_codes = np.append(np.asarray(leaves["code"], dtype=object), None)
        self._grid_ids = np.array([(c.get("grid") or {}).get("id") for c in self._chains]
                                  + [None], dtype=object)
        self._group_ids = np.asarray(groups["id"], dtype=object) if len(groups) else None
        self._labels = self._group_rows = None          # set by an opened locator only

    @classmethod
    def _opened(cls, *, leaf_level, index, group_index, labels, chains, leaf_rows, grid_rows,
                group_rows, leaves) -> PlanLocator:
        """A locator from saved parts (see :meth:`open`): nothing per area is built until
        an answer names it, and the per-leaf codes and grid ids, and the 楼组 ids, are read
        from ``labels`` (at ``leaf_rows``, ``grid_rows`` and ``group_rows``) only when a
        batch or a 楼组 by id first needs them."""
        from ._stored import LabelsById

        self = cls.__new__(cls)
        self.areas = self.groups = None
        self.leaf_level, self.index, self.group_index = leaf_level, index, group_index
        self.info, self._chains = LabelsById(labels), chains
        self._leaves, self._load_leaves = None, leaves
        self._labels, self._group_rows = labels, group_rows
        self._saved_rows = (leaf_rows, grid_rows)
        return self

    @cached_property
    def _leaf_ids(self) -> np.ndarray:
        # an opened locator's (a built one sets it in __init__): every id made into an
        # object only when a batch first needs them (20 ms at 300,000 leaves)
        return np.append(self.index.ids, None)

    @cached_property
    def _leaf_codes(self) -> np.ndarray:
        # an opened locator's (a built one sets it in __init__): read on first use
        return np.append(self._labels.column("code", self._saved_rows[0]), None)

    @cached_property
    def _grid_ids(self) -> np.ndarray:
        grid_rows = self._saved_rows[1]
        ids = (np.full(len(self._chains), None, dtype=object) if grid_rows is None
               else self._labels.column("id", grid_rows))
        return np.append(ids, None)

    @cached_property
    def _group_ids(self) -> np.ndarray | None:
        return (None if self._group_rows is None else
                self._labels.column("id", np.asarray(self._group_rows)))

    def save(self, path) -> Path:
        """Write the locator to directory ``path`` (see :mod:`geogrid.locate._stored`)."""
        from ._stored import save_locator

        return save_locator(self, path)

    @classmethod
    def open(cls, path, leaves: Callable[[], gpd.GeoDataFrame] | None = None) -> PlanLocator:
        """A locator saved with :meth:`save`, opened in milliseconds (indexes
        memory-mapped). ``leaves`` gives the leaf rows with their polygons when
        something asks for :attr:`leaves` (the lookups never do)."""
        from ._stored import open_locator

        return open_locator(cls, path, leaves)

    @property
    def leaves(self) -> gpd.GeoDataFrame:
        """The leaf rows (id, level, name, code, kind, geometry …) by index position."""
        if self._leaves is None:
            if self._load_leaves is None:
                raise InputError("这个定位器没有区域几何 / this locator was opened without its "
                                 "areas.", field="leaves",
                                 fix="打开时传 leaves= / pass leaves= to PlanLocator.open.")
            self._leaves = leaf_rows(self._load_leaves())[2]
        return self._leaves

    def __dask_tokenize__(self) -> tuple:
        """A cheap token, so that dask does not hash every polygon of the plan."""
        groups = None if self.group_index is None else self.group_index.fingerprint
        return ("PlanLocator", self.index.fingerprint, groups, self.leaf_level,
                tuple(self._grid_ids.tolist()))

    def leaf_info(self, position: int) -> dict:
        """``id``, ``level``, ``name``, ``code`` and ``kind`` of the leaf at ``position``."""
        return self._chains[position][self.leaf_level]

    def _group_ref(self, g: int) -> dict:
        """The labels of the 楼组 at position ``g`` of the group index."""
        if self._group_rows is not None:
            return self._labels.row(int(self._group_rows[g]))
        return self.info[self._group_ids[g]]

    def chain_of(self, position: int, lon: float | None = None, lat: float | None = None) -> dict:
        """The chain of the leaf at ``position`` (with the 楼组 holding ``lon``/``lat``, if any).

        The dicts are shared by every answer: read them, do not change them."""
        chain = self._chains[position]
        if self.group_index is not None and lon is not None:
            g = self.group_index.find(lon, lat)
            if g >= 0:
                chain = {**chain, Level.BUILDING_GROUP.value: self._group_ref(g)}
        return chain

    def locate_one(self, lon: float, lat: float, *, snap_m: float | None = None) -> dict:
        """The chain for one point; raises OutOfCoverageError beyond ``snap_m``."""
        pos, snapped, distance = self.index.locate_one_detail(lon, lat, snap_m=snap_m)
        return {"chain": self.chain_of(pos, lon, lat), "leaf": self.index.id_of(pos),
                "snapped": snapped, "distance_m": distance}

    def locate_many(self, lon, lat, *, snap_m: float | None = None,
                    distances: bool = True) -> pd.DataFrame:
        """Leaf id, leaf code, grid id, snapped flag and distance for arrays of points.

        With ``distances=False`` and no ``snap_m``, points outside every area
        get a missing distance instead of a measured one (no nearest search).
        """
        if distances or snap_m:
            located = self.index.locate_detail(lon, lat, snap_m=snap_m)
            pos, snapped, dist = located
        else:
            pos = self.index.locate(lon, lat)
            snapped = np.zeros(pos.shape, dtype=bool)
            dist = np.where(pos >= 0, 0.0, np.nan)
        import pandas as pd

        at = np.where(pos >= 0, pos, len(self._chains))
        return pd.DataFrame({
            f"{self.leaf_level}_id": pd.array(self._leaf_ids[at], dtype="string"),
            f"{self.leaf_level}_code": pd.array(self._leaf_codes[at], dtype="string"),
            "grid_id": pd.array(self._grid_ids[at], dtype="string"),
            "snapped": np.asarray(snapped, dtype=bool),
            "distance_m": np.asarray(dist, dtype=float),
        })
