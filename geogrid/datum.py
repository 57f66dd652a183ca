"""Coordinate datums used in China, and vectorised conversions between them.

Four datums reach a dispatch centre:

* ``wgs84``    GPS receivers, WeChat ``getLocation`` (type ``wgs84``), OSM.
* ``cgcs2000`` the national geodetic system (EPSG:4490) and geogrid's storage
  datum. At city scale it coincides with WGS84 to a few centimetres, so the
  conversion between the two is the identity (as it is in PROJ, which treats
  EPSG:4490 -> EPSG:4326 as a ballpark null transformation).
* ``gcj02``    the obfuscated "Mars" datum of Amap, Tencent and WeChat map
  components. It shifts points by 300-600 m in a smooth, non-linear way.
* ``bd09``     Baidu's datum: GCJ-02 plus a second rotation and offset.

GCJ-02 is defined only by its forward formula (WGS84 -> GCJ-02). Its inverse
is found by fixed-point iteration ``w <- w - (f(w) - g)``; the Jacobian of the
shift is within 1e-3 of the identity, so each iteration gains about three
digits and the result is exact to millimetres after a few passes. The same is
done for BD-09, whose closed-form inverse is only accurate to about a metre.

Outside mainland China (a coarse bounding box, as in every public
implementation of the datum) GCJ-02 equals WGS84.

Example
-------
>>> import numpy as np
>>> lon, lat = to_storage(np.array([121.5055]), np.array([31.2352]), "gcj02")
>>> back = from_storage(lon, lat, "gcj02")
>>> bool(abs(back[0][0] - 121.5055) < 1e-9)
True
"""

from __future__ import annotations

import math

import numpy as np

from ._datum import Datum
from ._errors import DatumError

__all__ = [
    "Datum",
    "parse_datum",
    "wgs84_to_gcj02",
    "gcj02_to_wgs84",
    "gcj02_to_bd09",
    "bd09_to_gcj02",
    "convert",
    "to_storage",
    "to_storage_xy",
    "from_storage",
    "in_china_bbox",
    "STORAGE_DATUM",
]


STORAGE_DATUM = Datum.CGCS2000

_ALIASES = {
    "wgs84": Datum.WGS84, "wgs-84": Datum.WGS84, "epsg:4326": Datum.WGS84, "4326": Datum.WGS84,
    "gps": Datum.WGS84, "crs84": Datum.WGS84,
    "cgcs2000": Datum.CGCS2000, "epsg:4490": Datum.CGCS2000, "4490": Datum.CGCS2000,
    "gcj02": Datum.GCJ02, "gcj-02": Datum.GCJ02, "gcj": Datum.GCJ02, "mars": Datum.GCJ02,
    "amap": Datum.GCJ02, "tencent": Datum.GCJ02,
    "bd09": Datum.BD09, "bd-09": Datum.BD09, "baidu": Datum.BD09, "bd09ll": Datum.BD09,
}


def parse_datum(value: str | Datum | None, *, field: str = "datum") -> Datum:
    """Return the :class:`Datum` named by ``value``; refuse missing or unknown names."""
    if isinstance(value, Datum):
        return value
    if value is None or str(value).strip() == "":
        raise DatumError(
            f"{field} is required: every coordinate must say which datum it is in.",
            field=field, value=value, fix="Pass one of: wgs84, cgcs2000, gcj02, bd09.",
        )
    key = str(value).strip().lower()
    if key not in _ALIASES:
        raise DatumError(
            f"{field} {value!r} is not a known datum.",
            field=field, value=value, fix="Pass one of: wgs84, cgcs2000, gcj02, bd09.",
        )
    return _ALIASES[key]


# Krasovsky 1940 ellipsoid, as used by the GCJ-02 formula.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0


def in_china_bbox(lon, lat) -> np.ndarray:
    """True where a point lies inside the coarse box in which GCJ-02 applies."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


class _Scalar:
    """``math`` under numpy's names, so one formula serves arrays and single points."""

    sin, cos, sqrt, arctan2, pi = math.sin, math.cos, math.sqrt, math.atan2, math.pi
    abs = staticmethod(abs)

    @staticmethod
    def where(inside, a, b):
        return a if inside else b


def _delta(lon, lat, xp=np):
    """The GCJ-02 shift at WGS84 ``lon``/``lat`` (arrays with ``xp=np``, floats with
    ``xp=_Scalar``)."""
    np = xp  # noqa: F811 - the formula reads as the published one
    x = lon - 105.0
    y = lat - 35.0
    sx = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx + common
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx + common
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    inside = (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def _arrays(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if lon.shape != lat.shape:
        raise DatumError(
            f"lon and lat must have the same shape, got {lon.shape} and {lat.shape}.",
            field="lon/lat", fix="Pass two arrays of equal length.",
        )
    return lon, lat


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Apply the GCJ-02 shift to WGS84 lon/lat arrays."""
    return _to_gcj02(*_arrays(lon, lat))


def _to_gcj02(lon, lat, xp=np):
    dlon, dlat = _delta(lon, lat, xp)
    return lon + dlon, lat + dlat


def _invert(forward, lon, lat, first_guess, *, tol: float = 1e-11, max_iter: int = 30):
    """Solve ``forward(w) == (lon, lat)`` for ``w`` by fixed-point iteration."""
    wlon, wlat = first_guess
    for _ in range(max_iter):
        flon, flat = forward(wlon, wlat)
        elon = flon - lon
        elat = flat - lat
        wlon = wlon - elon
        wlat = wlat - elat
        if _within(elon, elat, tol):
            break
    return wlon, wlat


def _within(elon, elat, tol: float) -> bool:
    """Whether every finite error is below ``tol`` (arrays or floats)."""
    if isinstance(elon, float):
        return not (math.isfinite(elon) and math.isfinite(elat)) or max(abs(elon), abs(elat)) < tol
    finite = np.isfinite(elon) & np.isfinite(elat)
    return not finite.any() or max(np.abs(elon[finite]).max(), np.abs(elat[finite]).max()) < tol


def gcj02_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Remove the GCJ-02 shift: the exact (iterated) inverse of :func:`wgs84_to_gcj02`."""
    return _from_gcj02(*_arrays(lon, lat))


def gcj02_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Baidu's BD-09 from GCJ-02."""
    return _to_bd09(*_arrays(lon, lat))


def _to_bd09(lon, lat, xp=np):
    z = xp.sqrt(lon * lon + lat * lat) + 0.00002 * xp.sin(lat * _X_PI)
    theta = xp.arctan2(lat, lon) + 0.000003 * xp.cos(lon * _X_PI)
    return z * xp.cos(theta) + 0.0065, z * xp.sin(theta) + 0.006


def bd09_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 from BD-09, refined by iteration to the exact inverse of :func:`gcj02_to_bd09`."""
    return _from_bd09(*_arrays(lon, lat))


def _from_bd09(lon, lat, xp=np):
    x = lon - 0.0065
    y = lat - 0.006
    z = xp.sqrt(x * x + y * y) - 0.00002 * xp.sin(y * _X_PI)
    theta = xp.arctan2(y, x) - 0.000003 * xp.cos(x * _X_PI)
    guess = (z * xp.cos(theta), z * xp.sin(theta))
    return _invert(lambda a, b: _to_bd09(a, b, xp), lon, lat, guess)


def _from_gcj02(lon, lat, xp=np):
    dlon, dlat = _delta(lon, lat, xp)
    return _invert(lambda a, b: _to_gcj02(a, b, xp), lon, lat, (lon - dlon, lat - dlat))


def _to_wgs(lon, lat, datum: Datum):
    if datum in (Datum.WGS84, Datum.CGCS2000):
        return _arrays(lon, lat)
    return gcj02_to_wgs84(*((lon, lat) if datum is Datum.GCJ02 else bd09_to_gcj02(lon, lat)))


def _from_wgs(lon, lat, datum: Datum):
    if datum in (Datum.WGS84, Datum.CGCS2000):
        return _arrays(lon, lat)
    gcj = wgs84_to_gcj02(lon, lat)
    return gcj if datum is Datum.GCJ02 else gcj02_to_bd09(*gcj)


def convert(lon, lat, source: str | Datum, target: str | Datum) -> tuple[np.ndarray, np.ndarray]:
    """Convert lon/lat arrays from one datum to another.

    >>> lon, lat = convert([121.5], [31.24], "wgs84", "bd09")
    >>> lon2, lat2 = convert(lon, lat, "bd09", "wgs84")
    >>> bool(abs(lon2[0] - 121.5) < 1e-9 and abs(lat2[0] - 31.24) < 1e-9)
    True
    """
    source = parse_datum(source, field="source")
    target = parse_datum(target, field="target")
    if source == target:
        return _arrays(lon, lat)
    return _from_wgs(*_to_wgs(lon, lat, source), target)


def to_storage(lon, lat, datum: str | Datum) -> tuple[np.ndarray, np.ndarray]:
    """Convert lon/lat in ``datum`` to the storage datum (CGCS2000)."""
    return convert(lon, lat, datum, STORAGE_DATUM)


def to_storage_xy(lon: float, lat: float, datum: str | Datum) -> tuple[float, float]:
    """:func:`to_storage` for one point in plain floats: the same formulas and iteration,
    without numpy's cost per call on one-element arrays (a few microseconds instead of
    hundreds for GCJ-02 and BD-09). The per-request path of a server.

    >>> x, y = to_storage_xy(121.5055, 31.2352, "gcj02")
    >>> bool(abs(x - float(to_storage([121.5055], [31.2352], "gcj02")[0][0])) < 1e-12)
    True
    """
    datum = parse_datum(datum)
    x, y = float(lon), float(lat)
    if datum is Datum.WGS84 or datum is Datum.CGCS2000:
        return x, y
    if datum is Datum.BD09:
        x, y = _from_bd09(x, y, _Scalar)
    return _from_gcj02(x, y, _Scalar)


def from_storage(lon, lat, datum: str | Datum) -> tuple[np.ndarray, np.ndarray]:
    """Convert storage-datum lon/lat to ``datum`` (e.g. to overlay GCJ-02 tiles)."""
    return convert(lon, lat, STORAGE_DATUM, datum)
