"""The datum names alone (no numpy), so the command line can declare its options cheaply;
:mod:`geogrid.datum` converts between them."""

from __future__ import annotations

from enum import Enum

__all__ = ["Datum"]


class Datum(str, Enum):
    WGS84 = "wgs84"
    CGCS2000 = "cgcs2000"
    GCJ02 = "gcj02"
    BD09 = "bd09"

    def __str__(self) -> str:  # pragma: no cover - cosmetic
        return self.value
