"""A :class:`~geogrid.locate.chain.PlanLocator` as a directory: built once, opened in milliseconds.

A worker that starts answers ``/locate`` from what this module saved when the
plan was activated, instead of reading every area of the plan from the store
and building the indexes itself (at 60,000 microgrids and 300,000 楼组 that is
most of a minute and a gigabyte). Nothing in the directory is parsed when it
is opened, whatever the plan's size:

* ``leaves/`` and ``groups/`` (with 楼组): :class:`~geogrid.locate.index.AreaIndex`
  directories, memory-mapped, each polygon parsed the first time a lookup needs it;
* ``labels.arrow``: id, level, name, code and kind of every area a lookup can
  name, an Arrow IPC file, memory-mapped; a row becomes a dict when it is first
  named in an answer, and is kept;
* ``chains.npy``: per leaf, the row of its area at each level (``-1``: none),
  and ``groups.npy``: the row of each 楼组 of the group index;
* ``locator.json``: the format, the leaf level and the level of each column.

A save writes a sibling temporary directory and renames it into place, so a
reader sees the old directory or the new one, never half of one.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import InputError
from ._file import read_meta, replacing_dir

__all__ = ["save_locator", "open_locator", "StoredLabels", "LabelsById", "LazyChains", "FORMAT"]

#: bumped whenever the layout changes; a directory of another version is rebuilt
FORMAT = "geogrid-plan-locator/3"
_FIELDS = ("id", "level", "name", "code", "kind")


def save_locator(locator, path) -> Path:
    """Write ``locator`` (a :class:`PlanLocator` built from areas) to directory ``path``."""
    import pyarrow as pa
    import pyarrow.feather as feather

    path = Path(path)
    info = locator.info
    ids = list(info)
    row_of = {aid: i for i, aid in enumerate(ids)}
    levels = list(dict.fromkeys(v["level"] for v in info.values()))
    chains = np.full((len(locator._chains), len(levels)), -1, dtype=np.int32)
    for i, chain in enumerate(locator._chains):
        for j, level in enumerate(levels):
            if chain.get(level) is not None:
                chains[i, j] = row_of[chain[level]["id"]]
    labels = pa.table({**{f: pa.array([_text(info[a][f]) for a in ids], type=pa.string())
                          for f in _FIELDS},
                       # an area estimated from the data says so in every chain
                       "derived": pa.array([bool(info[a].get("derived")) for a in ids])})
    meta = {"format": FORMAT, "leaf_level": locator.leaf_level, "levels": levels}
    with replacing_dir(path) as tmp:
        locator.index.save(tmp / "leaves")
        if locator.group_index is not None:
            locator.group_index.save(tmp / "groups")
            np.save(tmp / "groups.npy", np.array([row_of[g] for g in locator._group_ids],
                                                 dtype=np.int32))
        np.save(tmp / "chains.npy", chains)
        feather.write_feather(labels, tmp / "labels.arrow", compression="uncompressed")
        (tmp / "locator.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return path


def open_locator(cls, path, leaves=None):
    """A ``cls`` (:class:`PlanLocator`) from directory ``path``; ``leaves`` is called for
    the leaf rows (with geometry) the first time something asks for them."""
    from .index import AreaIndex

    path = Path(path)
    meta = read_meta(path / "locator.json", ("定位文件", "the stored locator"),
                     "重新构建 / rebuild it (activate the plan again, or delete the directory "
                     "and let the server rebuild it).")
    if meta.get("format") != FORMAT:
        raise InputError(f"定位文件格式不符 / the stored locator {str(path)!r} has format "
                         f"{meta.get('format')!r}, not {FORMAT!r}.", field="path",
                         value=meta.get("format"), fix="删除后重建 / delete it to rebuild it.")
    labels = StoredLabels(path / "labels.arrow")
    chains = np.load(path / "chains.npy", mmap_mode="r")
    groups = path / "groups"
    group_index = AreaIndex.load(groups) if groups.exists() else None
    group_rows = np.load(path / "groups.npy", mmap_mode="r") if group_index is not None else None
    levels = meta["levels"]
    leaf_col = levels.index(meta["leaf_level"])
    grid_col = levels.index("grid") if "grid" in levels else None
    return cls._opened(
        leaf_level=meta["leaf_level"], index=AreaIndex.load(path / "leaves"),
        group_index=group_index, labels=labels, chains=LazyChains(chains, levels, labels),
        leaf_rows=chains[:, leaf_col], grid_rows=None if grid_col is None else chains[:, grid_col],
        group_rows=group_rows, leaves=leaves)


class StoredLabels:
    """The labels of a saved locator's areas (memory-mapped Arrow), a dict per row on
    first use. Threads may share one: a row is built at most a few times, then kept."""

    def __init__(self, path: Path):
        import pyarrow as pa

        self._table = pa.ipc.open_file(pa.memory_map(str(path), "r")).read_all()
        self._columns = [self._table.column(f) for f in _FIELDS]
        self._derived = self._table.column("derived")
        self._rows: dict[int, dict] = {}
        self._by_id: dict | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._table.num_rows

    def row(self, i: int) -> dict:
        """``{"id", "level", "name", "code", "kind"}`` of row ``i`` (and ``"derived": True``
        for an area estimated from the data), as the in-memory chain has it."""
        hit = self._rows.get(i)
        if hit is None:
            hit = {f: c[i].as_py() for f, c in zip(_FIELDS, self._columns)}
            if self._derived[i].as_py():
                hit["derived"] = True
            self._rows[i] = hit
        return hit

    def by_id(self, area_id) -> dict:
        """The row of the area with id ``area_id`` (the id index is built on first use)."""
        if self._by_id is None:
            with self._lock:
                if self._by_id is None:
                    ids = self._table.column("id").to_pylist()
                    self._by_id = {a: i for i, a in enumerate(ids)}
        return self.row(self._by_id[area_id])

    def column(self, name: str, rows: np.ndarray) -> np.ndarray:
        """Column ``name`` at ``rows`` (``-1``: None) as a numpy object array."""
        rows = np.asarray(rows)
        out = np.full(len(rows), None, dtype=object)
        known = rows >= 0
        if known.any():
            out[known] = self._table.column(name).take(rows[known]).to_numpy(
                zero_copy_only=False)
        return out


class LabelsById(Mapping):
    """Area id → its labels (the ``info`` of an opened locator)."""

    def __init__(self, labels: StoredLabels):
        self._labels = labels

    def __getitem__(self, area_id) -> dict:
        return self._labels.by_id(area_id)

    def __iter__(self):
        return iter(self._labels.column("id", np.arange(len(self._labels))).tolist())

    def __len__(self) -> int:
        return len(self._labels)


class LazyChains(Sequence):
    """Per leaf position, its chain ``{level: row dict or None}``, built on first use."""

    def __init__(self, chains: np.ndarray, levels: list[str], labels: StoredLabels):
        from .chain import CHAIN_LEVELS

        self._chains, self._levels, self._labels = chains, levels, labels
        self._empty = dict.fromkeys(CHAIN_LEVELS)
        self._built: dict[int, dict[str, Any]] = {}

    def __len__(self) -> int:
        return len(self._chains)

    def __getitem__(self, position):
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(len(self)))]
        position = int(position)
        hit = self._built.get(position)
        if hit is None:
            hit = dict(self._empty)
            for level, row in zip(self._levels, self._chains[position].tolist()):
                if row >= 0:
                    hit[level] = self._labels.row(row)
            self._built[position] = hit
        return hit


def _text(value) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return str(value)
