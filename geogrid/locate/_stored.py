"""A :class:`~geogrid.locate.chain.PlanLocator` as a directory: built once, opened in milliseconds.

A worker that starts answers ``/locate`` from what this module saved when the
plan was activated, instead of reading every area of the plan from the store
and building the indexes itself (at 60,000 microgrids and 300,000 楼组 that is
most of a minute and a gigabyte). Nothing in the directory is parsed when it
is opened, whatever the plan's size:

* ``leaves/`` and ``groups/`` (with 楼组): :class:`~geogrid.locate.index.AreaIndex`
  directories, memory-mapped, each polygon parsed the first time a lookup needs it;
* ``labels/``: id, level, name, code and kind of every area a lookup can name,
  each as UTF-8 bytes with offsets and a null mask (``.npy``, memory-mapped, read
  with numpy alone: the Arrow file of the previous layout cost an import of
  pyarrow, some 80 ms, in every process that opened it, and is still read); a
  row becomes a dict when it is first named in an answer, and is kept;
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

__all__ = ["save_locator", "open_locator", "StoredLabels", "ArrowLabels", "TextColumn",
           "save_texts", "LabelsById", "LazyChains", "FORMAT"]

#: bumped whenever the layout changes; a directory of another version is rebuilt
FORMAT = "geogrid-plan-locator/4"
#: the layouts this version opens: /3 kept the labels in an Arrow file
_OPENS = (FORMAT, "geogrid-plan-locator/3")
_FIELDS = ("id", "level", "name", "code", "kind")


def save_locator(locator, path) -> Path:
    """Write ``locator`` (a :class:`PlanLocator` built from areas) to directory ``path``."""
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
    # an area estimated from the data says so in every chain
    derived = np.array([bool(info[a].get("derived")) for a in ids], dtype=bool)
    meta = {"format": FORMAT, "leaf_level": locator.leaf_level, "levels": levels}
    with replacing_dir(path) as tmp:
        locator.index.save(tmp / "leaves")
        if locator.group_index is not None:
            locator.group_index.save(tmp / "groups")
            np.save(tmp / "groups.npy", np.array([row_of[g] for g in locator._group_ids],
                                                 dtype=np.int32))
        np.save(tmp / "chains.npy", chains)
        (tmp / "labels").mkdir()
        for f in _FIELDS:
            save_texts(tmp / "labels" / f, [_text(info[a][f]) for a in ids])
        np.save(tmp / "labels" / "derived.npy", derived)
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
    if meta.get("format") not in _OPENS:
        raise InputError(f"定位文件格式不符 / the stored locator {str(path)!r} has format "
                         f"{meta.get('format')!r}, not {FORMAT!r}.", field="path",
                         value=meta.get("format"), fix="删除后重建 / delete it to rebuild it.")
    labels = (StoredLabels(path / "labels") if (path / "labels").is_dir()
              else ArrowLabels(path / "labels.arrow"))
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
    """The labels of a saved locator's areas (:class:`TextColumn` per field, memory-mapped),
    a dict per row on first use. Threads may share one: a row is built at most a few
    times, then kept."""

    def __init__(self, path: Path):
        self._texts = {f: TextColumn(path / f) for f in _FIELDS}
        self._derived = np.load(path / "derived.npy", mmap_mode="r")
        self._rows: dict[int, dict] = {}
        self._by_id: dict | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._derived)

    def _values(self, name: str, rows: np.ndarray) -> list:
        return self._texts[name].take(rows)

    def _derived_at(self, i: int) -> bool:
        return bool(self._derived[i])

    def row(self, i: int) -> dict:
        """``{"id", "level", "name", "code", "kind"}`` of row ``i`` (and ``"derived": True``
        for an area estimated from the data), as the in-memory chain has it."""
        hit = self._rows.get(i)
        if hit is None:
            at = np.array([i])
            hit = {f: self._values(f, at)[0] for f in _FIELDS}
            if self._derived_at(i):
                hit["derived"] = True
            self._rows[i] = hit
        return hit

    def by_id(self, area_id) -> dict:
        """The row of the area with id ``area_id`` (the id index is built on first use)."""
        if self._by_id is None:
            with self._lock:
                if self._by_id is None:
                    ids = self._values("id", np.arange(len(self)))
                    self._by_id = {a: i for i, a in enumerate(ids)}
        return self.row(self._by_id[area_id])

    def column(self, name: str, rows: np.ndarray) -> np.ndarray:
        """Column ``name`` at ``rows`` (``-1``: None) as a numpy object array."""
        rows = np.asarray(rows)
        out = np.full(len(rows), None, dtype=object)
        known = rows >= 0
        if known.any():
            out[known] = self._values(name, rows[known])
        return out


class ArrowLabels(StoredLabels):
    """The labels of a locator saved in the previous layout (an Arrow IPC file)."""

    def __init__(self, path: Path):
        import pyarrow as pa

        self._table = pa.ipc.open_file(pa.memory_map(str(path), "r")).read_all()
        self._rows, self._by_id, self._lock = {}, None, threading.Lock()

    def __len__(self) -> int:
        return self._table.num_rows

    def _values(self, name: str, rows: np.ndarray) -> list:
        return self._table.column(name).take(np.asarray(rows)).to_pylist()

    def _derived_at(self, i: int) -> bool:
        return bool(self._table.column("derived")[i].as_py())


def save_texts(path: Path, values: Sequence[str | None]) -> None:
    """Write ``values`` as a :class:`TextColumn` at ``path`` (three ``.npy`` files)."""
    encoded = [b"" if v is None else v.encode("utf-8") for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    np.save(path.with_name(f"{path.name}.npy"), np.frombuffer(b"".join(encoded), dtype=np.uint8))
    np.save(path.with_name(f"{path.name}_offsets.npy"), offsets)
    np.save(path.with_name(f"{path.name}_null.npy"),
            np.fromiter((v is None for v in values), dtype=bool, count=len(values)))


class TextColumn:
    """Strings (or None) saved as UTF-8 bytes, offsets and a null mask, memory-mapped."""

    def __init__(self, path: Path):
        self._bytes = np.load(path.with_name(f"{path.name}.npy"), mmap_mode="r")
        self._offsets = np.load(path.with_name(f"{path.name}_offsets.npy"), mmap_mode="r")
        self._null = np.load(path.with_name(f"{path.name}_null.npy"), mmap_mode="r")

    def take(self, rows: np.ndarray) -> list:
        """The values at ``rows`` (each ``>= 0``), as a list of str and None."""
        rows = np.asarray(rows, dtype=np.intp)
        starts, ends = self._offsets[rows].tolist(), self._offsets[rows + 1].tolist()
        null = self._null[rows].tolist()
        data = self._bytes
        if len(rows) > 64:                       # one copy of the span, then slices
            lo, hi = min(starts, default=0), max(ends, default=0)
            data, starts, ends = (bytes(data[lo:hi]), [a - lo for a in starts],
                                  [b - lo for b in ends])
            return [None if n else data[a:b].decode("utf-8")
                    for a, b, n in zip(starts, ends, null)]
        return [None if n else bytes(data[a:b]).decode("utf-8")
                for a, b, n in zip(starts, ends, null)]


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
