"""Unit-grid codes, CJ/T 349 community codes and GB/T 39409 Beidou grid codes."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geogrid._errors import InputError
from geogrid.codes import (BEIDOU_CODE_LENGTH, allocate_serials, assign_unit_grid_codes, beidou_decode,
                           beidou_encode, beidou_level, community_code, parse_community_code,
                           parse_unit_grid_code, reading_order, unit_grid_code)

LOCAL = "+proj=tmerc +lat_0=31.23 +lon_0=121.5 +k=1 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs"


def _bilingual(message: str) -> bool:
    """A Chinese sentence and an English one (a word of four or more Latin letters)."""
    return (re.search("[\u4e00-\u9fff]", message) is not None
            and re.search("[A-Za-z]{4,}", message) is not None)


def squares(nx, ny, size=100.0, jitter=0.0, seed=0):
    rng = np.random.default_rng(seed)
    geoms = []
    for j in range(ny):          # j = 0 is the southern row
        for i in range(nx):
            dx, dy = rng.uniform(-jitter, jitter, 2)
            geoms.append(shapely.box(i * size + dx, j * size + dy,
                                     (i + 1) * size + dx, (j + 1) * size + dy))
    return gpd.GeoSeries(geoms, crs=LOCAL).to_crs("EPSG:4490")


def test_unit_grid_code_compose_and_parse():
    code = unit_grid_code("310115", "005", "003", 7)
    assert code == "310115005003007"
    parsed = parse_unit_grid_code(code)
    assert (parsed.admin, parsed.street, parsed.community, parsed.serial) == \
        ("310115", "005", "003", 7)
    assert parsed.code == code and parsed.community_prefix == "310115005003"
    assert unit_grid_code(310115, 5, 3, 12) == "310115005003012"


@pytest.mark.parametrize("code, part", [
    ("31011500500300", "code"),         # 14 digits
    ("3101150050030O7", "code"),        # letter O
    ("990115005003007", "admin"),       # no province 99
    ("310115000003007", "street"),
    ("310115005000007", "community"),
    ("310115005003000", "serial"),
])
def test_bad_unit_grid_codes_name_the_part(code, part):
    with pytest.raises(InputError) as err:
        parse_unit_grid_code(code)
    assert err.value.field == part
    assert _bilingual(err.value.message)


def test_serials_read_north_to_south_then_west_to_east():
    grid = squares(4, 3)
    serial = reading_order(grid)
    # input runs south→north; the northern row (j=2) must be 1..4 from west to east
    assert serial.reshape(3, 4).tolist() == [[9, 10, 11, 12], [5, 6, 7, 8], [1, 2, 3, 4]]


def test_serials_tolerate_ragged_rows_and_are_stable():
    grid = squares(5, 4, jitter=12.0, seed=1)  # centroids wobble less than half a band
    serial = reading_order(grid)
    assert serial.reshape(4, 5)[::-1].ravel().tolist() == list(range(1, 21))
    shuffled = grid.sample(frac=1.0, random_state=3)
    again = pd_series(reading_order(shuffled), shuffled.index).sort_index()
    assert again.tolist() == serial.tolist()
    codes = assign_unit_grid_codes(grid, "310115005003")
    assert codes.iloc[0] == "310115005003016" and codes.is_unique
    assert assign_unit_grid_codes(grid, "310115005003").equals(codes)


def pd_series(values, index):
    import pandas as pd
    return pd.Series(values, index=index)


def test_assign_codes_checks_prefix_and_capacity():
    with pytest.raises(InputError, match="12 digits"):
        assign_unit_grid_codes(squares(2, 1), "310115005")
    with pytest.raises(InputError) as err:
        assign_unit_grid_codes(squares(2, 1), "310115005000")
    assert err.value.field == "community"


def test_community_code_cjt349():
    code = community_code("100000", "310115", "005", "003")
    assert code == "10000031011500500300" and len(code) == 20
    parsed = parse_community_code(code)
    assert not parsed.subdivided and parsed.county == "310115"
    assert parse_community_code(community_code("100000", "310115", "005", "003", 2)).serial == 2
    with pytest.raises(InputError) as err:
        parse_community_code("10000099011500500300")
    assert err.value.field == "county"
    with pytest.raises(InputError) as err:
        community_code("1000", "310115", "005", "003")
    assert err.value.field == "service_object"


def test_beidou_known_cells():
    # Beijing, the example point of the standard's implementations
    assert beidou_encode(116.31260278, 39.99316111, 3) == "N50J475"
    assert beidou_encode(121.5055, 31.2352, 1) == "N51H"
    assert beidou_decode("N51H") == (120.0, 28.0, 126.0, 32.0)
    w, s, e, n = beidou_decode(beidou_encode(121.5055, 31.2352, 2))
    assert (e - w, n - s) == (0.5, 0.5)
    assert [len(beidou_encode(121.5, 31.2, lvl)) for lvl in range(1, 11)] == \
        [4, 6, 7, 9, 11, 12, 14, 16, 18, 20]


@pytest.mark.parametrize("level, size_deg", [
    (1, (6, 4)), (2, (0.5, 0.5)), (3, (0.25, 1 / 6)), (4, (1 / 60, 1 / 60)),
    (5, (4 / 3600, 4 / 3600)), (6, (2 / 3600, 2 / 3600)), (7, (0.25 / 3600, 0.25 / 3600)),
    (8, (1 / 32 / 3600,) * 2), (9, (1 / 256 / 3600,) * 2), (10, (1 / 2048 / 3600,) * 2)])
def test_beidou_cell_sizes(level, size_deg):
    w, s, e, n = beidou_decode(beidou_encode(121.4987, 31.2397, level))
    assert e - w == pytest.approx(size_deg[0], rel=1e-12)
    assert n - s == pytest.approx(size_deg[1], rel=1e-12)
    assert beidou_level(beidou_encode(121.4987, 31.2397, level)) == level


@settings(max_examples=300, deadline=None)
@given(lon=st.floats(73.0, 135.0), lat=st.floats(3.0, 53.5), level=st.integers(1, 10))
def test_beidou_roundtrip(lon, lat, level):
    code = beidou_encode(lon, lat, level)
    assert len(code) == BEIDOU_CODE_LENGTH[level]
    w, s, e, n = beidou_decode(code)
    eps = 1e-12
    assert w - eps <= lon < e + eps and s - eps <= lat < n + eps
    # the cell's centre encodes to the same code, and the code is a prefix of finer ones
    assert beidou_encode((w + e) / 2, (s + n) / 2, level) == code
    assert beidou_encode(lon, lat, 10).startswith(code)


@pytest.mark.parametrize("code, field", [
    ("S51H", "level1"), ("N21H", "level1"), ("N51Z", "level1"), ("N51HC0", "level2"),
    ("N51H076", "level3"), ("N51H075F0", "level4"), ("N51H0950", "code")])
def test_beidou_bad_codes_name_the_level(code, field):
    with pytest.raises(InputError) as err:
        beidou_decode(code)
    assert err.value.field == field
    assert _bilingual(err.value.message)


def test_beidou_refuses_other_quadrants():
    with pytest.raises(InputError, match="quadrant"):
        beidou_encode(-73.98, 40.75, 5)
    with pytest.raises(InputError, match="level"):
        beidou_encode(121.5, 31.2, 11)


_COUNTY = st.sampled_from(["310115", "110101", "330106", "440305", "650102"])


@settings(max_examples=200, deadline=None)
@given(county=_COUNTY, street=st.integers(1, 999), community=st.integers(1, 999),
       serial=st.integers(1, 999), service=st.integers(1, 999_999), sub=st.integers(0, 99))
def test_composed_codes_parse_back_to_their_parts(county, street, community, serial, service,
                                                  sub):
    code = unit_grid_code(county, street, community, serial)
    parsed = parse_unit_grid_code(code)
    assert len(code) == 15 and parsed.code == code
    assert (parsed.admin, int(parsed.street), int(parsed.community), parsed.serial) == \
        (county, street, community, serial)
    cj = community_code(service, county, street, community, sub)
    back = parse_community_code(cj)
    assert len(cj) == 20 and back.code == cj and back.subdivided == (sub != 0)
    assert (int(back.service_object), back.county, back.serial) == (service, county, sub)


@settings(max_examples=200, deadline=None)
@given(parts=st.sets(st.integers(1, 60), max_size=40),
       kept=st.dictionaries(st.integers(1, 60), st.integers(1, 120), max_size=30),
       taken=st.sets(st.integers(1, 120), max_size=60))
def test_allocated_serials_are_unique_free_and_keep_what_they_can(parts, kept, taken):
    """A community's parts share the grid's 3-digit serials with the other communities:
    no serial twice, none another community holds, a kept part keeps its own serial
    unless another community took it or another kept part holds it already."""
    limit = 120
    out = allocate_serials(parts, kept, taken, limit=limit)
    if out is None:
        assert len(parts) > limit - len(taken)
        return
    assert set(out) == set(parts)
    assert len(set(out.values())) == len(out) and not set(out.values()) & taken
    assert all(1 <= s <= limit for s in out.values())
    held = {}
    for p in sorted(parts):
        if p in kept and kept[p] not in taken and kept[p] not in held.values():
            held[p] = kept[p]
    assert all(out[p] == s for p, s in held.items())


def test_allocated_serials_examples():
    # a split: the kept parts keep their codes, the new part takes the lowest free serial
    assert allocate_serials([1, 2, 3], {1: 13, 2: 14}, taken={1, 2, 3}) == {1: 13, 2: 14, 3: 4}
    # two parts claiming one serial: the first keeps it
    assert allocate_serials([1, 2], {1: 5, 2: 5}, taken=set()) == {1: 5, 2: 1}
    assert allocate_serials([1, 2], {}, taken={1}, limit=2) is None
