import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geogrid import datum
from geogrid._errors import DatumError

# mainland China lattice, ~0.1° spacing (about 220k points)
LON, LAT = (a.ravel() for a in np.meshgrid(np.arange(73.6, 134.8, 0.1), np.arange(18.2, 53.6, 0.1)))
M_PER_DEG = 111_320.0


def _err_m(lon1, lat1, lon2, lat2):
    return np.hypot((lon1 - lon2) * M_PER_DEG * np.cos(np.radians(lat1)), (lat1 - lat2) * M_PER_DEG)


def test_gcj02_wgs84_round_trip_over_china_under_half_a_metre():
    wlon, wlat = datum.gcj02_to_wgs84(LON, LAT)
    glon, glat = datum.wgs84_to_gcj02(wlon, wlat)
    err = _err_m(LON, LAT, glon, glat)
    assert LON.size > 200_000
    assert err.max() < 0.5
    assert err.max() < 1e-3  # the iterated inverse is in fact millimetre-exact


def test_bd09_round_trip_over_china():
    blon, blat = datum.convert(LON, LAT, "wgs84", "bd09")
    wlon, wlat = datum.convert(blon, blat, "bd09", "wgs84")
    assert _err_m(LON, LAT, wlon, wlat).max() < 0.01


def test_known_shift_in_shanghai():
    # The GCJ-02 shift in Shanghai is about 450-550 m, mostly to the south-east
    glon, glat = datum.wgs84_to_gcj02([121.5], [31.24])
    shift = _err_m(121.5, 31.24, glon[0], glat[0])
    assert 300 < shift < 700
    assert glon[0] > 121.5 and glat[0] < 31.24


def test_bd09_is_gcj02_plus_offset():
    glon, glat = datum.wgs84_to_gcj02([121.5], [31.24])
    blon, blat = datum.gcj02_to_bd09(glon, glat)
    assert 0.006 < blon[0] - glon[0] < 0.0075
    assert 0.005 < blat[0] - glat[0] < 0.0075


def test_outside_china_is_unchanged():
    lon, lat = datum.wgs84_to_gcj02([2.35, -74.0], [48.85, 40.7])
    assert np.allclose(lon, [2.35, -74.0]) and np.allclose(lat, [48.85, 40.7])


def test_cgcs2000_equals_wgs84():
    lon, lat = datum.convert([121.5], [31.24], "cgcs2000", "wgs84")
    assert lon[0] == 121.5 and lat[0] == 31.24


@pytest.mark.parametrize("name,expected", [("GCJ-02", "gcj02"), ("baidu", "bd09"),
                                           ("EPSG:4490", "cgcs2000"), ("wgs84", "wgs84")])
def test_parse_datum_aliases(name, expected):
    assert datum.parse_datum(name).value == expected


@pytest.mark.parametrize("bad", [None, "", "mercator"])
def test_parse_datum_rejects_missing_and_unknown(bad):
    with pytest.raises(DatumError) as exc:
        datum.parse_datum(bad)
    assert "wgs84, cgcs2000, gcj02, bd09" in str(exc.value)


def test_shape_mismatch_names_the_fields():
    with pytest.raises(DatumError, match="same shape"):
        datum.wgs84_to_gcj02([1.0, 2.0], [3.0])


@settings(max_examples=200, deadline=None)
@given(st.floats(73.6, 134.7), st.floats(18.2, 53.5),
       st.sampled_from(["wgs84", "gcj02", "bd09", "cgcs2000"]),
       st.sampled_from(["wgs84", "gcj02", "bd09", "cgcs2000"]))
def test_any_conversion_round_trips(lon, lat, a, b):
    x, y = datum.convert([lon], [lat], a, b)
    lon2, lat2 = datum.convert(x, y, b, a)
    assert _err_m(lon, lat, lon2[0], lat2[0]) < 0.01
