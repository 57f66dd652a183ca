"""geogrid.constants against pyproj's geodesics on the GRS80 / CGCS2000 ellipsoid."""

from __future__ import annotations

import math

import pytest
from pyproj import CRS, Geod

from geogrid.constants import (
    CGCS2000_A,
    CGCS2000_F,
    EARTH_MEAN_RADIUS_M,
    M_PER_DEG_EQUATOR,
    m_per_deg_lat,
    m_per_deg_lon,
)

GEOD = Geod(ellps="GRS80")


def test_ellipsoid_matches_epsg_4490():
    ell = CRS.from_epsg(4490).ellipsoid
    assert CGCS2000_A == ell.semi_major_metre
    assert 1 / CGCS2000_F == pytest.approx(ell.inverse_flattening, rel=1e-12)
    b = CGCS2000_A * (1 - CGCS2000_F)
    assert EARTH_MEAN_RADIUS_M == pytest.approx((2 * CGCS2000_A + b) / 3, abs=0.1)


@pytest.mark.parametrize("lat", [0.0, 18.2, 31.23, 39.9, 53.5])
def test_degree_lengths_match_geodesics(lat):
    # a 0.01° step measured along the meridian / parallel by pyproj, scaled to one degree
    north = GEOD.inv(116.0, lat - 0.005, 116.0, lat + 0.005)[2] * 100
    east = GEOD.inv(116.0, lat, 116.01, lat)[2] * 100
    assert m_per_deg_lat(lat) == pytest.approx(north, rel=1e-7)
    assert m_per_deg_lon(lat) == pytest.approx(east, rel=1e-7)


def test_equator_and_poles():
    assert m_per_deg_lon(0.0) == pytest.approx(M_PER_DEG_EQUATOR, rel=1e-12)
    assert M_PER_DEG_EQUATOR == pytest.approx(111_319.49, abs=0.01)
    assert m_per_deg_lon(90.0) == pytest.approx(0.0, abs=1e-9)
    # a degree of latitude is longer near the poles than on the equator
    assert m_per_deg_lat(89.0) > m_per_deg_lat(31.0) > m_per_deg_lat(0.0)
    assert math.isclose(m_per_deg_lat(-31.0), m_per_deg_lat(31.0))
