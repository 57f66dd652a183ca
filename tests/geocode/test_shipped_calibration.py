"""The shipped calibration: fit on OSM's own addressed points (ODbL), never on the Amap rows
the real-address benchmark evaluates on; stored and read back identically."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks.geocode.real_addresses import osm_address_database, osm_frames
from geogrid.geocode.calibrate import DEFAULT_CALIBRATION, FEATURES, Calibration


@pytest.fixture(scope="module")
def split():
    frames = osm_frames()
    return frames, *osm_address_database(frames)


def test_the_database_holds_every_addressed_osm_row_and_the_rest_none(split):
    frames, rest, db = split
    addressed = sum(int((f["addr_street"].notna() & f["addr_housenumber"].notna()).sum())
                    for f in (frames["address_points"], frames["buildings"]))
    assert len(db) == addressed > 300
    for key in ("address_points", "buildings"):
        left = rest[key]
        assert not (left["addr_street"].notna() & left["addr_housenumber"].notna()).any()
        assert len(left) == len(frames[key]) - int(
            (frames[key]["addr_street"].notna() & frames[key]["addr_housenumber"].notna()).sum())
    # 滨江大道2727号; OSM also has 南京东路151-171, 中山东一路15甲, English names…
    assert db["address"].str.match(r"^\D+\d+号$").mean() > 0.8
    assert db.geometry.geom_type.eq("Point").all()


def test_the_shipped_file_reads_back_identically_with_its_models():
    data = json.loads(DEFAULT_CALIBRATION.read_text(encoding="utf-8"))
    cal = Calibration.load()
    assert cal.to_dict() == data
    assert cal.models, "fit with feature models"
    for level, model in cal.models.items():
        assert set(model["features"]) <= set(FEATURES) and model["platt"][0] > 0, level
    # plain house numbers dominate OSM's addresses; the Amap evaluation's floors and malls do not
    assert cal.counts["门牌"] > 200 and cal.counts.get("门牌/楼内", 0) < 30
    conf = cal.many(["门牌", "道路插值/外推", "道路插值/同侧"], [0.98, 0.5, 0.7],
                    [{"n_records": 1.0}, {"move_m": 80.0}, {"gap_m": 40.0}])
    assert ((conf > 0) & (conf < 1)).all() and conf[0] > 0.9
    assert np.isfinite(conf).all()
