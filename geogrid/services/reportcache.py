"""Validation reports kept by what they were computed from.

Validating a street's plan costs seconds of geometry (road and water
distances, wall runs, the floor of every split), while its inputs (a grid,
its microgrids, the objects and roads in it, the memberships) take a fraction
of that to read. So :class:`ReportCache` keys each report on a fingerprint of
exactly those inputs, read from the store on every call: an edit, an undo, an
import of objects or roads, an activation or a change written by another
worker or another process changes the fingerprint of the grids it touched,
and only those grids are validated again. Nothing has to remember to
invalidate it, on either store.

The fingerprint hashes every column of every input (geometry as WKB, the CRS,
the column names and the index) with :func:`pandas.util.hash_pandas_object`
into a BLAKE2b digest.
"""

from __future__ import annotations

import copy
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

import geopandas as gpd
import pandas as pd

__all__ = ["ReportCache", "fingerprint"]


def fingerprint(*parts) -> str:
    """A digest of ``parts``: frames, series, ``None`` and plain values (by ``repr``).

    Equal contents give equal digests in any process; any changed value, row,
    column, geometry or CRS gives another.

    >>> a = pd.DataFrame({"x": [1.0, 2.0]})
    >>> fingerprint(a) == fingerprint(a.copy()), fingerprint(a) == fingerprint(a + 1)
    (True, False)
    """
    h = hashlib.blake2b(digest_size=20)
    for part in parts:
        if isinstance(part, pd.DataFrame | pd.Series):
            _hash_frame(h, part)
        else:
            h.update(f"{type(part).__name__}:{part!r}".encode())
        h.update(b"\x1f")
    return h.hexdigest()


def _hash_frame(h, part: pd.DataFrame | pd.Series) -> None:
    """Feed ``part`` to ``h``: its kind, CRS, column names and length, then every value and
    the index (a geometry column hashes by its WKB, through geopandas' extension array)."""
    frame = pd.DataFrame(part.to_frame() if isinstance(part, pd.Series) else part)
    crs = getattr(part, "crs", None) if isinstance(part, gpd.GeoDataFrame | gpd.GeoSeries) else None
    h.update(f"{type(part).__name__}{list(frame.columns)!r}{len(frame)}"
             f"crs={crs.to_string() if crs else None}".encode())
    if len(frame):
        h.update(pd.util.hash_pandas_object(frame, index=True, categorize=False).to_numpy().tobytes())


class ReportCache:
    """The last ``size`` reports by key; ``computed`` counts the reports really computed.

    Thread-safe: API handlers run in a thread pool. Each caller gets its own
    deep copy, so changing a returned report never changes a cached one.
    """

    def __init__(self, size: int = 256):
        self.size = size
        self.computed = 0
        self._reports: OrderedDict[Hashable, dict] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], dict]) -> dict:
        """The report stored under ``key``, or ``compute()``'s, stored for next time."""
        with self._lock:
            if key in self._reports:
                self._reports.move_to_end(key)
                return copy.deepcopy(self._reports[key])
        report = compute()  # outside the lock: other grids and plans go on meanwhile
        with self._lock:
            self.computed += 1
            self._reports[key] = copy.deepcopy(report)
            while len(self._reports) > self.size:
                self._reports.popitem(last=False)
        return report

    def clear(self) -> None:
        with self._lock:
            self._reports.clear()
