"""Large sites: many records under one number, the given name picks one, spread lowers confidence."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from geogrid._errors import InputError
from geogrid.geocode import Gazetteer
from geogrid.geocode._houses import WIDE_CAP

ROAD = gpd.GeoDataFrame({"name": ["凤阳路"]},
                        geometry=[LineString([(121.460, 31.235), (121.480, 31.235)])],
                        crs="EPSG:4326")
M_PER_DEG_LON = 111_320 * math.cos(math.radians(31.235))


def _gaz(names, points, *, calibration="default"):
    addr = gpd.GeoDataFrame({"address": ["凤阳路415号"] * len(names), "name": names},
                            geometry=[Point(*p) for p in points], crs="EPSG:4326")
    return Gazetteer.from_frames(roads=ROAD, addresses=addr, calibration=calibration)


def _metres(r, point):
    return math.hypot((r.lon - point[0]) * M_PER_DEG_LON, (r.lat - point[1]) * 110_900)


# a hospital: outpatients and wards together, the emergency building 240 m east
HOSPITAL = (["长征医院门诊楼", "长征医院住院部", "长征医院急诊"],
            [(121.4700, 31.2350), (121.4702, 31.2352), (121.4725, 31.2350)])


@pytest.mark.parametrize("calibration", ["default", None])
def test_wide_site_without_a_matching_name_stays_below_the_confident_band(calibration):
    gaz = _gaz(*HOSPITAL, calibration=calibration)
    for name in (None, "肯德基"):
        r = gaz.geocode("凤阳路415号", name)
        assert r.ok and r.confidence <= WIDE_CAP < 0.8
        assert _metres(r, HOSPITAL[1][0]) < 30  # the typical place of the site, not the far one
        assert "spread over more than 100 m" in r.detail


def test_given_name_picks_its_record_among_a_wide_site():
    gaz = _gaz(*HOSPITAL)
    plain = gaz.geocode("凤阳路415号")
    for name in ("长征医院急诊", "长征医院(急诊)", "长征医院急诊科"):
        r = gaz.geocode("凤阳路415号", name)
        assert _metres(r, HOSPITAL[1][2]) < 1, name
        assert r.confidence > plain.confidence and "picks 长征医院急诊" in r.detail
    # the far record is still offered as an alternative to the named one
    near = gaz.geocode("凤阳路415号", "长征医院门诊楼")
    assert _metres(near, HOSPITAL[1][0]) < 1
    assert any(_metres(a, HOSPITAL[1][2]) < 1 for a in near.alternatives)


def test_a_name_matching_records_far_apart_does_not_pick():
    names = ["肯德基(西门店)", "肯德基(东门店)", "长征医院门诊楼"]
    points = [(121.4700, 31.2350), (121.4725, 31.2350), (121.4701, 31.2351)]
    r = _gaz(names, points).geocode("凤阳路415号", "肯德基")
    assert r.confidence <= WIDE_CAP and "no given name picks one" in r.detail


def test_compact_site_keeps_its_centre_whatever_the_name():
    names = ["来福士A座", "来福士B座", "来福士C座"]
    points = [(121.4700, 31.2350), (121.4706, 31.2350), (121.4703, 31.2354)]
    gaz = _gaz(names, points)
    plain, named = gaz.geocode("凤阳路415号"), gaz.geocode("凤阳路415号", "来福士C座")
    centre = tuple(np.mean(points, axis=0))
    assert _metres(plain, centre) < 1 and _metres(named, centre) < 1
    # the same point either way; a name that matches a record there never lowers the confidence
    assert named.confidence >= plain.confidence > WIDE_CAP


def test_geocode_many_takes_aligned_names_and_caches_per_name():
    gaz = _gaz(*HOSPITAL)
    out = gaz.geocode_many(pd.Series(["凤阳路415号"] * 3),
                           names=[None, "长征医院急诊", "长征医院急诊"])
    assert out["lon"].iloc[0] != out["lon"].iloc[1] == out["lon"].iloc[2]
    assert out["confidence"].iloc[0] <= WIDE_CAP < out["confidence"].iloc[1]
    with pytest.raises(InputError, match="names"):
        gaz.geocode_many(["凤阳路415号"] * 2, names=["长征医院急诊"])


def test_benchmark_fold_definitions_never_share_a_row_or_an_address():
    from benchmarks.geocode.real_addresses import _halves
    from geogrid.geocode.addressdb import address_key

    rows = pd.DataFrame({"address": ["凤阳路415号"] * 6 + [f"南京东路{n}号" for n in range(1, 31)]})
    keys = rows["address"].map(address_key)
    by_address = _halves(rows, 0, "address")
    assert not set(keys[by_address == 0]) & set(keys[by_address == 1])
    shared = []
    for seed in range(5):
        by_row = _halves(rows, seed, "row")
        assert sorted(np.bincount(by_row)) == [18, 18]  # every row in exactly one half
        shared.append(bool(set(keys[by_row == 0]) & set(keys[by_row == 1])))
    assert any(shared)  # by row, an address may sit in both halves


def test_the_cap_lowers_a_wide_site_answer_without_handing_it_to_another_rung():
    names = [*HOSPITAL[0], "长征医院急诊楼"]
    addresses = ["凤阳路415号长征医院"] * 3 + ["凤阳路420号长征医院急诊楼"]
    addr = gpd.GeoDataFrame({"address": addresses, "name": names},
                            geometry=[Point(*p) for p in [*HOSPITAL[1], (121.4725, 31.2351)]],
                            crs="EPSG:4326")
    gaz = Gazetteer.from_frames(roads=ROAD, addresses=addr, calibration=None)
    r = gaz.geocode("凤阳路415号长征医院急诊楼")
    assert r.level.value == "门牌" and r.confidence <= WIDE_CAP
    assert any(a.level.value == "楼栋" and a.confidence > WIDE_CAP for a in r.alternatives)


def test_the_place_name_answers_when_the_address_locates_nothing_or_only_the_road():
    gaz = _gaz(*HOSPITAL, calibration=None)
    for text in ("", "[]", "1号线;2号线", "凤阳路附近"):
        r = gaz.geocode(text, "长征医院急诊")
        assert r.ok and r.level.value in ("POI", "楼栋"), text
        assert _metres(r, HOSPITAL[1][2]) < 1, text
        assert "located by the place's name" in r.detail
    # the road's middle stays among the alternatives of the road-only address
    r = gaz.geocode("凤阳路附近", "长征医院急诊")
    assert any(a.level.value == "道路" for a in r.alternatives)
    # a name that matches nothing leaves the address's own answer as it was
    assert gaz.geocode("凤阳路附近", "不存在的店").level.value == "道路"
    assert not gaz.geocode("", "不存在的店").ok
    # a house number found by the address is not overruled by the name
    assert "located by the place's name" not in (gaz.geocode("凤阳路415号", "长征医院急诊").detail
                                                  or "")


def test_a_file_with_a_name_column_picks_the_named_record(tmp_path):
    from geogrid.batch import geocode_file

    gaz = _gaz(*HOSPITAL)
    src = tmp_path / "calls.csv"
    pd.DataFrame({"地址": ["凤阳路415号"] * 3, "单位": ["", "长征医院急诊", "长征医院门诊楼"]}
                 ).to_csv(src, index=False)
    plain, named = tmp_path / "plain.csv", tmp_path / "named.csv"
    geocode_file(src, plain, gaz, column="地址")
    stats = geocode_file(src, named, gaz, column="地址", name_column="单位")
    assert stats["rows"] == 3 and stats["found"] == 3
    a, b = pd.read_csv(plain), pd.read_csv(named)
    assert _metres(b.iloc[1][["geo_lon", "geo_lat"]].set_axis(["lon", "lat"]), HOSPITAL[1][2]) < 1
    assert _metres(b.iloc[2][["geo_lon", "geo_lat"]].set_axis(["lon", "lat"]), HOSPITAL[1][0]) < 1
    # without the column every row reads the same; an empty name is no name
    assert a["geo_lon"].nunique() == 1 and b["geo_lon"].iloc[0] == a["geo_lon"].iloc[0]
    assert b["geo_confidence"].iloc[1] > a["geo_confidence"].iloc[1]
    with pytest.raises(InputError, match="单位2") as err:
        geocode_file(src, named, gaz, column="地址", name_column="单位2")
    assert err.value.field == "name-column" and "--name-column" in err.value.fix


def test_the_block_a_query_names_picks_its_records_not_every_record_of_the_mall():
    """香港广场: the north block's records say 购物中心北区, the others 购物中心 or 南座; a query
    naming the north block goes to the north block, one naming the mall to the mall's."""
    north = [(121.4700, 31.2370), (121.4702, 31.2371)]
    mall = [(121.4700, 31.2350), (121.4703, 31.2351)]
    south = [(121.4701, 31.2340)]
    texts = (["凤阳路415号香港广场购物中心北区F4层"] * 2 + ["凤阳路415号香港广场购物中心3层"] * 2
             + ["凤阳路415号香港广场南座9层"])
    addr = gpd.GeoDataFrame({"address": texts, "name": ["a", "b", "c", "d", "e"]},
                            geometry=[Point(*p) for p in north + mall + south],
                            crs="EPSG:4326")
    gaz = Gazetteer.from_frames(roads=ROAD, addresses=addr, calibration=None)
    r = gaz.geocode("凤阳路415号香港广场购物中心北区F1层NL1-16")
    assert _metres(r, (121.4701, 31.23705)) < 20, _metres(r, (121.4701, 31.23705))
    r = gaz.geocode("凤阳路415号香港广场购物中心F2层")
    assert _metres(r, (121.47015, 31.23505)) < 20
    r = gaz.geocode("凤阳路415号香港广场南座11楼")
    assert _metres(r, south[0]) < 5


def test_one_record_of_a_number_in_a_known_building_answers_with_the_buildings_centre():
    """新天地南里: 兴业路123弄 knows one shop; three more records name the same building under
    another number. The one shop says where that shop is; the building's centre is nearer a
    caller elsewhere in it. A building whose records disagree (far apart) keeps the record."""
    shop = (121.4700, 31.2350)
    others = [(121.4708, 31.2356), (121.4709, 31.2349), (121.4703, 31.2358)]
    texts = ["凤阳路415号新天地南里F1层"] + ["凤阳路417号新天地南里2层"] * 3
    addr = gpd.GeoDataFrame({"address": texts, "name": ["a", "b", "c", "d"]},
                            geometry=[Point(*p) for p in [shop] + others], crs="EPSG:4326")
    gaz = Gazetteer.from_frames(roads=ROAD, addresses=addr, calibration=None)
    centre = tuple(np.mean([shop] + others, axis=0))
    r = gaz.geocode("凤阳路415号新天地南里F4层")
    assert _metres(r, centre) < 2 and "centre of the records" in r.detail
    assert _metres(gaz.geocode("凤阳路415号"), shop) < 1  # no building named: the record
    far = [(121.4760, 31.2356), (121.4769, 31.2349), (121.4763, 31.2358)]
    addr2 = addr.set_geometry([Point(*p) for p in [shop] + far], crs="EPSG:4326")
    gaz2 = Gazetteer.from_frames(roads=ROAD, addresses=addr2, calibration=None)
    assert _metres(gaz2.geocode("凤阳路415号新天地南里F4层"), shop) < 1
