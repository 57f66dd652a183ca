"""Accuracy on the OSM Lujiazui extract (© OpenStreetMap contributors, ODbL 1.0).

Floors are set a little under what was measured (see the benchmark), so a
regression fails the test while ordinary noise does not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from shapely.geometry import Point
import pytest

from geogrid.geocode import Gazetteer, MatchLevel, build_eval_set, evaluate
from geogrid.geocode.evaluate import district_namer

HOUSE_VARIANTS = ("exact", "bare", "prefix", "fullwidth", "cn_numeral", "traditional", "detail",
                  "spaces", "paren_hint", "dash")


@pytest.fixture(scope="module")
def run(osm_frames, osm_layers):
    es = build_eval_set(osm_frames, boundaries=osm_layers["boundaries"], seed=0)
    g = Gazetteer.from_frames(**es.frames)
    return es, evaluate(g, es.cases)


def test_eval_set_covers_every_variant(run):
    es, res = run
    variants = set(res["by_variant"])
    assert set(HOUSE_VARIANTS) <= variants
    assert {"interpolation", "intersection", "intersection_offset", "poi_with_road", "compound",
            "building_name"} <= variants
    assert res["by_variant"]["exact"]["n"] >= 120
    assert res["total"]["n"] == len(es.cases)


@pytest.mark.parametrize("variant", HOUSE_VARIANTS)
def test_house_number_variants_within_50m(run, variant):
    stats = run[1]["by_variant"][variant]
    assert stats["pct_within"] >= 98.0, stats       # measured: 100 %
    assert stats["pct_level"] >= 98.0, stats


@pytest.mark.parametrize("variant", ["poi_with_road", "compound", "building_name"])
def test_name_variants_within_50m(run, variant):
    stats = run[1]["by_variant"][variant]
    assert stats["pct_within"] >= 90.0, stats       # measured: 100 %


def test_intersections_against_bus_stop_truth(run):
    # The truth is a bus stop named after the crossing; stops stand 30-280 m from the junction.
    stats = run[1]["by_variant"]["intersection"]
    assert stats["pct_level"] == 100.0
    assert stats["pct_within_200m"] >= 90.0, stats  # measured: 95 %
    assert stats["median_m"] <= 120.0, stats         # measured: 98 m


def test_interpolation_of_held_out_numbers(osm_frames, osm_layers):
    frames = []
    for seed in range(4):
        es = build_eval_set(osm_frames, boundaries=osm_layers["boundaries"], seed=seed,
                            holdout_fraction=0.34)
        g = Gazetteer.from_frames(**es.frames)
        cases = [c for c in es.cases if c.variant == "interpolation"]
        frames.append(evaluate(g, cases)["cases"])
    df = pd.concat(frames).drop_duplicates("query")
    assert len(df) >= 20
    assert (df["level"] == MatchLevel.INTERPOLATED.value).all()
    assert (df["error_m"] <= 50).mean() >= 0.8, df.sort_values("error_m").tail()  # measured: 0.9
    assert df["error_m"].median() <= 30.0            # measured: 17 m


def test_held_out_rows_are_not_in_the_returned_frames(osm_frames, osm_layers):
    es = build_eval_set(osm_frames, boundaries=osm_layers["boundaries"], seed=1)
    g = Gazetteer.from_frames(**es.frames)
    for case in (c for c in es.cases if c.variant == "interpolation"):
        assert g.geocode(case.query).level is MatchLevel.INTERPOLATED


def test_eval_set_is_reproducible(osm_frames):
    a = build_eval_set(osm_frames, seed=3)
    b = build_eval_set(osm_frames, seed=3)
    assert [c.query for c in a.cases] == [c.query for c in b.cases]
    assert a.holdout == b.holdout


def test_per_case_frame_supports_further_checks(run):
    cases = run[1]["cases"]
    for col in ("query", "variant", "truth", "truth_lon", "truth_lat", "ok", "lon", "lat",
                "level", "confidence", "error_m", "within", "level_ok"):
        assert col in cases.columns
    found = cases[cases["ok"]]
    assert np.isfinite(found["error_m"]).all()


def test_district_namer_reads_boundary_sides(osm_layers):
    name = district_namer(osm_layers["boundaries"])
    assert name(121.5055, 31.2397) == "浦东新区"     # Oriental Pearl Tower
    assert name(121.4852, 31.2404) == "黄浦区"       # the Bund, 中山东一路18号


@pytest.mark.parametrize("query, level, truth_row", [
    ("中山东一路18号", MatchLevel.HOUSE_NUMBER, ("中山东一路", "18")),
    ("上海市黄浦区四川中路１２６弄５号", MatchLevel.HOUSE_NUMBER, ("四川中路126弄", "5~21")),
    ("张杨路628弄5号", MatchLevel.HOUSE_NUMBER, ("张杨路", "628弄4-7号")),
    ("南京东路161号", MatchLevel.HOUSE_NUMBER, ("南京东路", "151-171")),
    ("陆家咀环路1318号", MatchLevel.HOUSE_NUMBER, ("陆家嘴环路", "1318")),
])
def test_osm_spot_checks(osm_gaz, osm_frames, query, level, truth_row):
    r = osm_gaz.geocode(query)
    assert r.level is level
    pts = pd.concat([osm_frames["address_points"], osm_frames["buildings"]])
    rows = pts[(pts["addr_street"] == truth_row[0]) & (pts["addr_housenumber"] == truth_row[1])]
    reps = rows.geometry.representative_point()
    # one record of the number, or the mean of the address points that share it (all within
    # a few tens of metres here: the entrances of one building)
    pts = osm_frames["address_points"]
    own = pts[(pts["addr_street"] == truth_row[0]) & (pts["addr_housenumber"] == truth_row[1])]
    mean = own.geometry.representative_point()
    expected = list(reps) + ([Point(mean.x.mean(), mean.y.mean())] if len(own) > 1 else [])
    assert any(abs(p.x - r.lon) < 1e-7 and abs(p.y - r.lat) < 1e-7 for p in expected)


def test_osm_names_and_intersections(osm_gaz):
    assert osm_gaz.geocode("东方明珠").level is MatchLevel.POI
    assert osm_gaz.geocode("崂山五村12号").level is MatchLevel.COMPOUND
    r = osm_gaz.geocode("浦东南路与东昌路交叉口东50米")
    base = osm_gaz.geocode("浦东南路与东昌路交叉口")
    assert r.level is base.level is MatchLevel.INTERSECTION
    assert r.lon > base.lon                          # moved east
