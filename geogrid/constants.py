"""Earth and degree figures, in one place.

Storage is CGCS2000 (EPSG:4490), whose ellipsoid has the same semi-major axis
as WGS84's and a flattening that differs in the eleventh digit, so one set of
figures serves both. Distances that matter are computed in a projected metric
CRS (:func:`geogrid.crs.metric_crs`); these figures are for the places where
an approximate metres-per-degree is enough: sizing index cells, jittering
simulated points, bounding boxes around a point, test fixtures.

The length of one degree follows from the ellipsoid (Snyder, *Map
Projections: A Working Manual*, USGS PP 1395, 1987, p. 25)::

    latitude:  π a (1 − e²) / (180 (1 − e² sin² φ)^1.5)
    longitude: π a cos φ / (180 (1 − e² sin² φ)^0.5)

>>> round(M_PER_DEG_EQUATOR, 1)
111319.5
>>> round(m_per_deg_lat(31.23)), round(m_per_deg_lon(31.23))
(110873, 95274)
"""

from __future__ import annotations

import math

__all__ = [
    "CGCS2000_A",
    "CGCS2000_F",
    "EARTH_MEAN_RADIUS_M",
    "M_PER_DEG_EQUATOR",
    "m_per_deg_lat",
    "m_per_deg_lon",
]

#: Semi-major axis of the CGCS2000 ellipsoid (= WGS84's), metres.
CGCS2000_A = 6_378_137.0
#: Flattening of the CGCS2000 ellipsoid (WGS84: 1 / 298.257223563).
CGCS2000_F = 1 / 298.257222101
#: Mean radius of the earth (IUGG, (2a + b) / 3), metres, for spherical approximations.
EARTH_MEAN_RADIUS_M = 6_371_008.8
#: Metres in one degree of longitude on the equator (π a / 180).
M_PER_DEG_EQUATOR = math.pi * CGCS2000_A / 180.0

_E2 = CGCS2000_F * (2 - CGCS2000_F)


def m_per_deg_lat(lat_deg: float) -> float:
    """Metres in one degree of latitude at latitude ``lat_deg`` (meridian arc)."""
    s = math.sin(math.radians(lat_deg))
    return math.pi * CGCS2000_A * (1 - _E2) / (180.0 * (1 - _E2 * s * s) ** 1.5)


def m_per_deg_lon(lat_deg: float) -> float:
    """Metres in one degree of longitude at latitude ``lat_deg`` (parallel arc)."""
    phi = math.radians(lat_deg)
    s = math.sin(phi)
    return math.pi * CGCS2000_A * math.cos(phi) / (180.0 * math.sqrt(1 - _E2 * s * s))
