"""A :class:`~geogrid.locate.chain.PlanLocator` as a directory: built once, opened in milliseconds.

A worker that starts answers ``/locate`` from what this module saved when the
plan was activated, instead of reading every area of the plan from the store
and building the indexes itself (at 60,000 microgrids and 300,000 楼组 that is
most of a minute and a gigabyte). The leaf and 楼组 indexes are
:class:`~geogrid.locate.index.AreaIndex` directories (memory-mapped, polygons
parsed on first use); the chain of every leaf and the labels of every area are
one JSON file of columns, so opening parses no geometry and builds no dict per 楼组.

Layout: ``locator.json``, ``leaves/`` and (with 楼组) ``groups/``. A save writes
a sibling temporary directory and renames it into place, so a reader sees the old
directory or the new one, never half of one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from .._errors import InputError

__all__ = ["save_locator", "open_locator", "FORMAT"]

#: bumped whenever the layout changes; a directory of another version is rebuilt
FORMAT = "geogrid-plan-locator/1"
_FIELDS = ("id", "level", "name", "code", "kind")


def save_locator(locator, path) -> Path:
    """Write ``locator`` (a :class:`PlanLocator`) to directory ``path``; returns it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    info = locator.info
    ids = list(info)
    position = {aid: i for i, aid in enumerate(ids)}
    levels = list(dict.fromkeys(v["level"] for v in info.values()))
    chains = [[position[c["id"]] if c is not None else -1 for c in (ch.get(k) for k in levels)]
              for ch in locator._chains]
    meta = {"format": FORMAT, "leaf_level": locator.leaf_level, "levels": levels,
            "columns": {f: [info[a][f] for a in ids] for f in _FIELDS},
            "chains": chains,
            "leaf_codes": [None if v is None else v for v in locator._leaf_codes[:-1].tolist()],
            "group_ids": None if locator._group_ids is None else locator._group_ids.tolist()}
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        locator.index.save(tmp / "leaves")
        if locator.group_index is not None:
            locator.group_index.save(tmp / "groups")
        (tmp / "locator.json").write_bytes(orjson.dumps(meta, default=_plain))
        old = path.with_name(f".{path.name}.old")
        if path.exists():
            os.replace(path, old)
        os.replace(tmp, path)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def open_locator(cls, path, leaves=None):
    """A ``cls`` (:class:`PlanLocator`) from directory ``path``; ``leaves`` is called for
    the leaf rows (with geometry) the first time something asks for them."""
    from .index import AreaIndex

    path = Path(path)
    try:
        meta = orjson.loads((path / "locator.json").read_bytes())
    except (OSError, ValueError) as exc:
        raise InputError(f"无法读取定位文件 {str(path)!r} / cannot read the stored locator "
                         f"{str(path)!r}: {exc}.", field="path", value=str(path),
                         fix="重新构建 / rebuild it (activate the plan again, or delete the "
                             "directory and let the server rebuild it).") from None
    if meta.get("format") != FORMAT:
        raise InputError(f"定位文件格式不符 / the stored locator {str(path)!r} has format "
                         f"{meta.get('format')!r}, not {FORMAT!r}.", field="path",
                         value=meta.get("format"), fix="删除后重建 / delete it to rebuild it.")
    columns = meta["columns"]
    rows = [dict(zip(_FIELDS, values)) for values in zip(*(columns[f] for f in _FIELDS))]
    info = _Info(rows)
    levels = meta["levels"]
    from .chain import CHAIN_LEVELS

    chains = []
    for positions in meta["chains"]:
        chain: dict[str, Any] = dict.fromkeys(CHAIN_LEVELS)
        for level, at in zip(levels, positions):
            if at >= 0:
                chain[level] = rows[at]
        chains.append(chain)
    leaf_index = AreaIndex.load(path / "leaves")
    groups = path / "groups"
    group_index = AreaIndex.load(groups) if groups.exists() else None
    group_ids = None if meta["group_ids"] is None else _objects(meta["group_ids"])
    return cls._opened(leaf_level=meta["leaf_level"], index=leaf_index, group_index=group_index,
                       info=info, chains=chains, leaf_codes=_objects(meta["leaf_codes"]),
                       group_ids=group_ids, leaves=leaves)


class _Info(dict):
    """Area id → its labels, as :attr:`PlanLocator.info` holds them."""

    def __init__(self, rows: list[dict]):
        super().__init__((r["id"], r) for r in rows)


def _objects(values: list) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _plain(value):
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
