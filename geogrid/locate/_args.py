"""The arguments of the index's lookups, checked: coordinates, snapping distance, ids.

A wrong value raises :class:`~geogrid.InputError` naming the argument, the value
and the fix, in Chinese and English.
"""

from __future__ import annotations

import math

import numpy as np

from .._errors import InputError

__all__ = ["coordinates", "snap_distance", "objects"]


def coordinates(lon, lat) -> tuple[np.ndarray, np.ndarray, tuple]:
    """``lon`` and ``lat`` as flat float64 arrays, and their common shape."""
    arrays = []
    for name, value in (("lon", lon), ("lat", lat)):
        try:
            arrays.append(np.asarray(value, dtype=np.float64))
        except (TypeError, ValueError):
            raise InputError(f"{name} 须为数值（缺失用 NaN）/ {name} must be numbers (or NaN "
                             "for missing).", field=name,
                             fix="用 pandas.to_numeric(..., errors='coerce') 转换 / Convert it "
                                 "with pandas.to_numeric(..., errors='coerce').") from None
    x, y = arrays
    if x.shape != y.shape:
        raise InputError(f"lat 与 lon 形状不同 / lat has shape {y.shape} but lon has shape "
                         f"{x.shape}.", field="lat", value=[x.shape, y.shape],
                         fix="每个 lon 对应一个 lat / Pass one lat per lon.")
    return x.ravel(), y.ravel(), x.shape


def snap_distance(snap_m) -> float:
    """``snap_m`` in metres (``0.0`` for ``None``); raises unless it is a number >= 0."""
    if snap_m is None:
        return 0.0
    try:
        value = float(snap_m)
    except (TypeError, ValueError):
        value = math.nan
    if not value >= 0:
        raise InputError(f"snap_m 须为不小于 0 的米数 / snap_m must be a distance in metres "
                         f">= 0, got {snap_m!r}.", field="snap_m", value=repr(snap_m),
                         fix="如 snap_m=30 / Use e.g. snap_m=30.")
    return value


def objects(values: np.ndarray) -> np.ndarray:
    """An object array of the Python values (str, int) of a text or integer array."""
    out = np.empty(len(values), dtype=object)
    out[:] = values.tolist()
    return out
