"""Hints that name a neighbour (``汉口路691号(近来福士广场)``), another address of the place
(``城都北路440号(凤阳路415号)``) or, in the place's own name, the road of a branch
(``星巴克(六合路店)``).

A neighbour says where along the road the address is; it is never the answer's premises.
Built in metres (see ``geocode_helpers``): 汉口路 runs along y = 0 from x = 0 to 1000 with
no known number; 来福士广场 stands at x = 900, 60 m north of it; a second 来福士广场
(another city block's) stands 2 km away.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from geocode_helpers import ll, xy
from shapely.geometry import LineString, Point

from geogrid.geocode import Gazetteer, MatchLevel


def _gaz(numbers: dict[int, float] | None = None) -> Gazetteer:
    roads = gpd.GeoDataFrame({"name": ["汉口路", "六合路", "长路"]}, geometry=[
        LineString([ll(0, 0), ll(1000, 0)]), LineString([ll(600, -400), ll(600, 400)]),
        LineString([ll(0, -2000), ll(3000, -2000)])], crs="EPSG:4490")
    pois = gpd.GeoDataFrame({"name": ["来福士广场", "来福士广场"]},
                            geometry=[Point(ll(900, 60)), Point(ll(2900, -1960))],
                            crs="EPSG:4490")
    numbers = numbers or {}
    pts = gpd.GeoDataFrame({"addr_street": ["汉口路"] * len(numbers),
                            "addr_housenumber": [str(n) for n in numbers]},
                           geometry=[Point(ll(x, 15.0)) for x in numbers.values()],
                           crs="EPSG:4490")
    return Gazetteer.from_frames(roads=roads, pois=pois,
                                 address_points=pts if numbers else None, calibration=None)


def test_a_neighbour_puts_an_unknown_number_on_its_stretch_of_the_road():
    r = _gaz().geocode("汉口路691号(近来福士广场)")
    assert r.ok and r.level is MatchLevel.ROAD_SEGMENT
    x, y = xy(r.lon, r.lat)
    assert np.hypot(x - 900.0, y) < 5.0, (x, y)  # on the road beside the neighbour
    assert "来福士广场" in r.detail


def test_a_neighbour_is_never_the_answer_itself():
    r = _gaz().geocode("汉口路691号(近来福士广场)")
    assert r.level not in (MatchLevel.POI, MatchLevel.BUILDING)
    assert all(a.level is not MatchLevel.POI for a in r.alternatives)
    assert r.parsed.poi is None and r.parsed.near_places == ("来福士广场",)


def test_a_neighbour_far_from_the_road_says_nothing():
    # the second 来福士广场 is 2 km off: only the first, beside 汉口路, is used
    r = _gaz().geocode("长路5号(近来福士广场)")
    x, y = xy(r.lon, r.lat)
    assert r.ok and abs(y + 2000.0) < 5.0
    assert abs(x - 2900.0) < 5.0  # the one beside 长路


def test_an_interpolation_far_from_the_neighbour_is_flagged_with_the_stretch_beside_it():
    # numbers say 691 is at x = 100; the neighbour says x = 900: they disagree
    gaz = _gaz({601: 10.0, 651: 60.0, 701: 110.0, 751: 160.0})
    plain = gaz.geocode("汉口路691号")
    hinted = gaz.geocode("汉口路691号(近来福士广场)")
    assert hinted.score < plain.score
    spots = [xy(a.lon, a.lat) for a in (hinted, *hinted.alternatives)]
    assert any(np.hypot(x - 900.0, y) < 5.0 for x, y in spots), spots
    assert any(np.hypot(x - 100.0, y - 15.0) < 10.0 for x, y in spots), spots


def test_an_interpolation_beside_the_neighbour_is_confirmed():
    gaz = _gaz({801: 800.0, 851: 850.0, 951: 950.0, 1001: 1000.0})
    plain = gaz.geocode("汉口路901号")
    hinted = gaz.geocode("汉口路901号(近来福士广场)")
    assert hinted.level is MatchLevel.INTERPOLATED and hinted.score > plain.score
    x, _ = xy(hinted.lon, hinted.lat)
    assert abs(x - 900.0) < 10.0


def test_a_second_address_in_brackets_answers_when_the_first_is_unknown():
    gaz = _gaz({601: 10.0, 651: 60.0})
    r = gaz.geocode("城都北路440号(汉口路651号)")
    assert r.ok and r.level is MatchLevel.HOUSE_NUMBER and r.matched == "汉口路651号"
    x, y = xy(r.lon, r.lat)
    assert np.hypot(x - 60.0, y - 15.0) < 1.0


def test_a_branch_named_after_a_road_is_a_hinted_cross_street():
    from geogrid.geocode.address import parse_address, with_place_name

    p = with_place_name(parse_address("汉口路691号"), "星巴克(六合路店)")
    assert p.near_roads == ("六合路",) and p.place_name == "星巴克(六合路店)"
    same = with_place_name(parse_address("汉口路691号"), "小吃(汉口路店)")
    assert same.near_roads == ()  # the address's own road says nothing more
    # the branch's road meets 汉口路 at x = 600: the unknown number goes to that segment
    r = _gaz().geocode("汉口路691号", name="星巴克(六合路店)")
    x, y = xy(r.lon, r.lat)
    assert r.level is MatchLevel.ROAD_SEGMENT and np.hypot(x - 600.0, y) < 5.0, (x, y)


def test_no_address_and_an_unknown_brand_falls_to_the_road_its_branch_names():
    r = _gaz().geocode("", name="村夫烤鱼(六合路店)")
    assert r.ok and r.level is MatchLevel.ROAD and r.score < 0.35 and r.needs_review
    x, _ = xy(r.lon, r.lat)
    assert abs(x - 600.0) < 5.0  # on 六合路
    assert "六合路" in r.detail
    assert not _gaz().geocode("", name="村夫烤鱼").ok  # no branch, nothing to go on


def test_a_known_segment_leaves_no_middle_of_the_road_to_outrank_it():
    r = _gaz().geocode("汉口路第一食品商店3楼(近六合路)")
    assert r.level is MatchLevel.ROAD_SEGMENT
    assert all(a.level is not MatchLevel.ROAD for a in r.alternatives)
    assert _gaz().geocode("汉口路第一食品商店3楼").level is MatchLevel.ROAD  # no hint: the road


def test_name_aliases_read_the_bracket_and_the_institution_not_a_branch_or_a_status():
    from geogrid.geocode._forms import name_aliases

    assert "上海长征医院" in name_aliases("海军军医大学第二附属医院(上海长征医院)")
    assert name_aliases("上海长征医院-门诊处") == ("上海长征医院-门诊处", "上海长征医院")
    assert name_aliases("星巴克(六合路店)") == ("星巴克(六合路店)",)  # a brand is not the place
    assert name_aliases("凯迪拉克·上海音乐厅(装修中)")[1] == "凯迪拉克·上海音乐厅"
    assert name_aliases("上海大剧院-小剧场")[-1] == "上海大剧院"


def _hospital_road(far: bool = False) -> Gazetteer:
    """汉口路 numbered 601-751 at x = 10..160; 上海长征医院 (a POI) stands at x = 700 beside it,
    or 2 km off the road with ``far``."""
    roads = gpd.GeoDataFrame({"name": ["汉口路"]},
                             geometry=[LineString([ll(0, 0), ll(1000, 0)])], crs="EPSG:4490")
    pois = gpd.GeoDataFrame({"name": ["上海长征医院"]},
                            geometry=[Point(ll(700, 2030 if far else 30))], crs="EPSG:4490")
    xs = {601: 10.0, 651: 60.0, 701: 110.0, 751: 160.0}
    pts = gpd.GeoDataFrame({"addr_street": ["汉口路"] * 4,
                            "addr_housenumber": [str(n) for n in xs]},
                           geometry=[Point(ll(x, 15.0)) for x in xs.values()], crs="EPSG:4490")
    return Gazetteer.from_frames(roads=roads, pois=pois, address_points=pts, calibration=None)


def test_a_place_known_by_its_alias_on_the_road_beats_an_extrapolated_number():
    gaz = _hospital_road()
    plain = gaz.geocode("汉口路1391号附近")  # extrapolated from 751 at 1 m per number
    assert plain.level is MatchLevel.INTERPOLATED
    r = gaz.geocode("汉口路1391号附近", name="海军军医大学第二附属医院(上海长征医院)")
    assert r.level is MatchLevel.POI and r.matched == "上海长征医院"
    x, y = xy(r.lon, r.lat)
    assert np.hypot(x - 700.0, y - 30.0) < 1.0
    assert r.alternatives[0].level is MatchLevel.INTERPOLATED  # the estimate is kept
    # the same name 2 km from the road is another place: the estimate stands
    far = _hospital_road(far=True).geocode("汉口路1391号附近", name="上海长征医院-门诊处")
    assert far.level is MatchLevel.INTERPOLATED
    # an exact number is never overridden by a name
    assert gaz.geocode("汉口路651号", name="上海长征医院").level is MatchLevel.HOUSE_NUMBER


def test_a_place_known_on_the_road_beats_the_middle_of_the_road():
    gaz = _hospital_road()
    assert gaz.geocode("汉口路附近").level is MatchLevel.ROAD
    r = gaz.geocode("汉口路附近", name="上海长征医院-膏方门诊")
    assert r.level is MatchLevel.POI and r.alternatives[0].level is MatchLevel.ROAD
    x, y = xy(r.lon, r.lat)
    assert np.hypot(x - 700.0, y - 30.0) < 1.0
