"""What a batch needs from a plan, as immutable arrays that ship cheaply.

:class:`BatchLookup` holds the plan's leaf index and, per leaf position, its
id, code and the ids of the levels between the street and the leaf: ``grid_id`` for
the default five levels, ``<key>_id`` for each level a plan or file declares. It is never mutated after construction, so any number
of threads may share one, and it crosses process boundaries in one of two
ways: pickled once per worker (``distributed``'s ``scatter``), or saved to a
directory and memory-mapped by every worker process (:meth:`save`,
:func:`open_lookup`).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from typing import TYPE_CHECKING

import numpy as np

from ..locate.index import AreaIndex

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["BatchLookup", "open_lookup", "arrow_labels", "padded_labels"]


class BatchLookup:
    """Point arrays → leaf id, leaf code, the ids of the levels above it, snapped, distance."""

    def __init__(self, index: AreaIndex, leaf_level: str, leaf_ids, leaf_codes,
                 parents: dict[str, np.ndarray], *, arrow: list | None = None, check=None):
        self.index = index
        # the areas' checks, when they run beside the batch (an object whose ``result()``
        # waits for them and ``failed()`` gives their error if done, see :meth:`checked`)
        self._check = check
        self.leaf_level = leaf_level
        # one entry per leaf position plus a last one (missing) for "no leaf"
        self._leaf_ids = np.asarray(leaf_ids, dtype=object)
        self._leaf_codes = np.asarray(leaf_codes, dtype=object)
        #: output column (``grid_id``, ``community_id`` …) → the id per leaf position
        self._parents = {name: np.asarray(ids, dtype=object) for name, ids in parents.items()
                         if name != f"{leaf_level}_id"}  # a file of grids: the leaf is the grid
        # the same labels as Arrow strings, so a batch never builds Python strings per point
        # (``arrow``: the caller's, as :func:`arrow_labels` makes them from Arrow columns)
        self._arrow = arrow or [_arrow_labels(v) for v in self._labels()]
        # per label column written as plain text (see :func:`_plain_labels`): its labels
        # padded to one width, made on first use
        self._padded: dict[int, tuple] = {}

    def checked(self) -> None:
        """Wait for the areas' checks, if they still run; raises what they found."""
        if self._check is not None:
            self._check.result()

    def check_failed(self) -> None:
        """Raise the areas' checks' error if they have finished and failed (no wait)."""
        error = self._check.failed() if self._check is not None else None
        if error is not None:
            raise error

    def __getstate__(self) -> dict:
        self.checked()                 # never ship areas that fail their checks
        return {k: v for k, v in self.__dict__.items() if k not in ("_check", "_padded")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._check = None
        self._padded = {}

    @classmethod
    def from_locator(cls, locator) -> BatchLookup:
        """The batch part of a :class:`~geogrid.locate.chain.PlanLocator` (or of a plan's
        locator that answers in declared levels, with ``levels`` and ``inner``)."""
        return cls(locator.index, locator.leaf_level, locator._leaf_ids, locator._leaf_codes,
                   _parent_columns(locator))

    def _labels(self) -> list[np.ndarray]:
        return [self._leaf_ids, self._leaf_codes, *self._parents.values()]

    @classmethod
    def from_frame(cls, areas, *, lazy: bool = True) -> BatchLookup:
        """The lookup of a plan's areas (as :class:`~geogrid.locate.chain.PlanLocator`
        takes them) without building the per-area chains a batch never reads.

        ``lazy`` (default) builds no lookup table: a one-shot batch answers
        from bucketed bounding boxes (see ``AreaIndex.from_frame(lazy=True)``).
        """
        from ..locate.chain import ancestor_at, leaf_rows
        from ..model import Level

        areas, leaf_level, leaves, tie = leaf_rows(areas)
        index = AreaIndex.from_frame(leaves, id_column="id", tie_break=tie, lazy=lazy)
        ids = leaves["id"].to_numpy(object)
        return cls(index, leaf_level, np.append(ids, None),
                   np.append(leaves["code"].to_numpy(object), None),
                   {"grid_id": np.append(ancestor_at(areas, ids, Level.GRID.value), None)})

    @property
    def columns(self) -> list[str]:
        return [f"{self.leaf_level}_id", f"{self.leaf_level}_code", *self._parents,
                "snapped", "distance_m"]

    def __dask_tokenize__(self) -> tuple:
        return ("BatchLookup", self.index.fingerprint, self.leaf_level,
                tuple((k, tuple(v.tolist())) for k, v in self._parents.items()),
                tuple(self._leaf_codes.tolist()))

    def positions(self, x, y, *, snap_m: float | None = None):
        """Leaf position (-1 for none), snapped flag and distance per point.

        Distances are measured only when ``snap_m`` asks for snapping:
        otherwise a point outside every area costs what a point inside does,
        and its distance is missing (inside: ``0``).
        """
        if snap_m:
            return tuple(self.index.locate_detail(x, y, snap_m=snap_m))
        pos = self.index.locate(x, y)
        return pos, np.zeros(len(pos), dtype=bool), np.where(pos >= 0, 0.0, np.nan)

    def arrow_columns(self, x, y, *, snap_m: float | None = None) -> dict:
        """The answer columns as Arrow arrays: each label column dictionary-encoded over
        the plan's labels (no string is built per point), then snapped and distance.

        Arrays are assembled from numpy buffers: ``pyarrow.array`` would load pandas.
        """
        import pyarrow as pa

        pos, snapped, dist = self.positions(x, y, snap_m=snap_m)
        at = np.where(pos >= 0, pos, len(self._leaf_ids) - 1)
        *names, snapped_name, dist_name = self.columns
        out = {}
        for k, (name, (dictionary, code)) in enumerate(zip(names, self._arrow)):
            if len(dictionary) > _PLAIN_ABOVE and pa.types.is_large_string(dictionary.type):
                if k not in self._padded:          # a race only makes it twice, alike
                    self._padded[k] = padded_labels(dictionary)
                out[name] = _plain_labels(self._padded[k], code[at])
                continue
            out[name] = pa.DictionaryArray.from_arrays(_arrow_numbers(code[at], pa.int32(), np.int32),
                                                       dictionary)
        out[snapped_name] = _arrow_bools(np.asarray(snapped, dtype=bool))
        out[dist_name] = _arrow_numbers(dist, pa.float64(), np.float64)
        return out

    def locate(self, x, y, *, snap_m: float | None = None) -> pd.DataFrame:
        """The answer columns for points already in the storage datum (see :meth:`positions`)."""
        import pandas as pd

        pos, snapped, dist = self.positions(x, y, snap_m=snap_m)
        at = np.where(pos >= 0, pos, len(self._leaf_ids) - 1)
        *names, snapped_name, dist_name = self.columns
        out = {name: pd.array(labels[at], dtype="string")
               for name, labels in zip(names, self._labels())}
        return pd.DataFrame({**out, snapped_name: np.asarray(snapped, dtype=bool),
                             dist_name: np.asarray(dist, dtype=float)})

    def save(self, path) -> Path:
        """Write the lookup to directory ``path``: the index and a JSON of labels."""
        path = Path(path)
        self.index.save(path / "index")
        labels = {"leaf_level": self.leaf_level,
                  "leaf_ids": _plain(self._leaf_ids), "leaf_codes": _plain(self._leaf_codes),
                  "parents": {k: _plain(v) for k, v in self._parents.items()}}
        (path / "labels.json").write_text(json.dumps(labels, ensure_ascii=False), encoding="utf-8")
        return path


def _parent_columns(locator) -> dict[str, np.ndarray]:
    """Per leaf position, the id of each tiling level between the street and the leaf:
    ``grid_id`` for the default five levels, else ``<key>_id`` per declared level."""
    levels = getattr(locator, "levels", None)
    if levels is None:
        return {"grid_id": locator._grid_ids}
    slots, keys = levels.slots(), levels.keys
    between = [k for k in keys[1:keys.index(locator.leaf_level)] if levels.tiles(k)]
    return {f"{k}_id": np.array([(c.get(slots[k]) or {}).get("id") for c in locator.inner._chains]
                                + [None], dtype=object) for k in between}


def arrow_labels(column, unique: bool = False):
    """:func:`_arrow_labels` of an Arrow column of text or integers, plus the last
    entry (missing) for "no leaf", without a Python object per value; ``None`` for
    other types. ``unique``: the values are known to be distinct and present."""
    import pyarrow as pa

    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    kind = column.type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)
            or pa.types.is_integer(kind)):
        return None
    if pa.types.is_large_string(kind) and unique and column.null_count == 0:
        code = np.arange(len(column) + 1, dtype=np.int32)
        code[-1] = -1
        return column, code
    import pyarrow.compute as pc         # 0.1 s to load: only for the columns that need it

    text = column if pa.types.is_large_string(kind) else pc.cast(column, pa.large_string())
    if unique and text.null_count == 0:
        dictionary, code = text, np.arange(len(text), dtype=np.int32)
    else:
        encoded = pc.dictionary_encode(text)
        dictionary = encoded.dictionary
        code = np.frombuffer(encoded.indices.buffers()[1], dtype=np.int32)[
            encoded.indices.offset:encoded.indices.offset + len(text)].copy()
        if encoded.indices.null_count:
            valid = np.unpackbits(np.frombuffer(encoded.indices.buffers()[0], dtype=np.uint8),
                                  bitorder="little")[encoded.indices.offset:][:len(text)]
            code[valid == 0] = -1
    return dictionary, np.append(code, np.int32(-1))


def _arrow_labels(values: np.ndarray):
    """Labels as an Arrow dictionary (each distinct label once, as text, as pandas'
    "string" dtype writes it) and, per position, its entry there (``-1``: missing)."""
    import pyarrow as pa

    if not np.not_equal(values, None).any():        # no labels at all (e.g. no grids)
        return (pa.Array.from_buffers(pa.large_string(), 0, [None, pa.py_buffer(
            np.zeros(1, dtype=np.int64)), pa.py_buffer(b"")]),
            np.full(len(values), -1, dtype=np.int32))
    text = [None if v is None or (isinstance(v, float) and v != v) else str(v)
            for v in values.tolist()]
    entry = {label: k for k, label in enumerate(dict.fromkeys(t for t in text if t is not None))}
    code = np.fromiter((-1 if t is None else entry[t] for t in text), dtype=np.int32,
                       count=len(text))
    data = [label.encode() for label in entry]
    offsets = np.zeros(len(data) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in data], out=offsets[1:])
    dictionary = pa.Array.from_buffers(pa.large_string(), len(data),
                                       [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(data))])
    return dictionary, code


#: label sets larger than this are written as plain text: a Parquet dictionary page
#: holds about 1 MB, and writing a larger dictionary with every chunk cost four times
#: as much as the text itself (300,000 microgrids)
_PLAIN_ABOVE = 1 << 16


def _plain_labels(padded: tuple[np.ndarray, np.ndarray], code: np.ndarray):
    """The labels at ``code`` (missing for ``-1``) as one Arrow large_string array,
    built with numpy (``dictionary_decode`` would load pyarrow.compute): the rows of
    the padded labels (:func:`padded_labels`) gathered, and the padding dropped."""
    import pyarrow as pa

    rows, sizes = padded
    valid = code >= 0
    at = np.where(valid, code, len(sizes) - 1)        # the last row: empty
    size = np.take(sizes, at)
    offsets = np.zeros(len(code) + 1, dtype=np.int64)
    np.cumsum(size, out=offsets[1:])
    # ``take``, not ``rows[at]``: numpy's fancy indexing of rows is several times slower
    text = np.take(rows, at, axis=0)[np.arange(rows.shape[1]) < size[:, None]]
    missing = int(len(code) - np.count_nonzero(valid))
    mask = pa.py_buffer(np.packbits(valid, bitorder="little")) if missing else None
    return pa.Array.from_buffers(pa.large_string(), len(code),
                                 [mask, pa.py_buffer(offsets), pa.py_buffer(text)],
                                 null_count=missing)


def padded_labels(dictionary) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 bytes of every label of an Arrow large_string ``dictionary`` as rows
    of one width (zeros after the end), plus an empty last row, and each one's length."""
    lo, hi = dictionary.offset, dictionary.offset + len(dictionary)
    _, offsets, data = dictionary.buffers()[:3]
    bounds = np.frombuffer(offsets, dtype=np.int64)[lo:hi + 1]
    text = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    sizes = np.append(np.diff(bounds), 0)
    width = max(1, int(sizes.max()))
    rows = np.zeros((len(sizes), width), dtype=np.uint8)
    owner = np.repeat(np.arange(len(sizes) - 1), sizes[:-1])
    step = np.arange(len(owner)) - np.repeat(bounds[:-1] - bounds[0], sizes[:-1])
    rows[owner, step] = text[bounds[0]:bounds[-1]]
    return rows, sizes


def _arrow_numbers(values: np.ndarray, kind, dtype):
    """Numbers as an Arrow array of ``kind``; negative codes and NaN become missing."""
    import pyarrow as pa

    values = np.ascontiguousarray(values, dtype=dtype)
    valid = values >= 0 if values.dtype.kind == "i" else ~np.isnan(values)
    missing = int(len(values) - np.count_nonzero(valid))
    mask = pa.py_buffer(np.packbits(valid, bitorder="little")) if missing else None
    return pa.Array.from_buffers(kind, len(values), [mask, pa.py_buffer(values)],
                                 null_count=missing)


def _arrow_bools(values: np.ndarray):
    import pyarrow as pa

    return pa.Array.from_buffers(pa.bool_(), len(values),
                                 [None, pa.py_buffer(np.packbits(values, bitorder="little"))])


def _plain(values: np.ndarray) -> list:
    return [None if v is None or (isinstance(v, float) and v != v) else
            (v.item() if hasattr(v, "item") else v) for v in values.tolist()]


@functools.lru_cache(maxsize=4)
def open_lookup(path: str) -> BatchLookup:
    """A saved lookup, opened once per process (arrays memory-mapped)."""
    path = Path(path)
    labels = json.loads((path / "labels.json").read_text(encoding="utf-8"))
    return BatchLookup(AreaIndex.load(path / "index"), labels["leaf_level"],
                       _objects(labels["leaf_ids"]), _objects(labels["leaf_codes"]),
                       {k: _objects(v) for k, v in labels["parents"].items()})


def _objects(values: list) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out
