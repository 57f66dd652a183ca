"""The datum names alone (no numpy), so the command line can declare its options cheaply;
:mod:`geogrid.datum` converts between them."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Datum"]


class Datum(StrEnum):
    WGS84 = "wgs84"
    CGCS2000 = "cgcs2000"
    GCJ02 = "gcj02"
    BD09 = "bd09"
