"""Simulated days of incident reports: reproducible, weighted, datum-tagged."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod
from shapely.geometry import Point, box

from geogrid._errors import CRSError, InputError
from geogrid.datum import to_storage
from geogrid.dispatch import BEIJING, CHANNELS, Catalogue, simulate_day, simulate_days

GEOD = Geod(ellps="GRS80")
MONDAY, SUNDAY = date(2026, 3, 2), date(2026, 3, 8)


@pytest.fixture
def places():
    return gpd.GeoDataFrame(
        {"id": ["big", "small", "shop", "plaza"],
         "type": ["compound", "compound", "shop", "plaza"],
         "name": ["崂山五村", "梅园三街坊", "沿街商铺", None],
         "address": [None, None, "崂山路638弄1号", None],
         "population": [9000, 1000, None, None], "households": [None, None, None, None]},
        geometry=[box(121.510, 31.230, 121.514, 31.233), box(121.515, 31.230, 121.516, 31.231),
                  Point(121.512, 31.234), box(121.505, 31.235, 121.506, 31.236)],
        crs="EPSG:4490")


def test_reproducible(places):
    a = simulate_day(places, MONDAY, seed=3)
    b = simulate_day(places, MONDAY, seed=3)
    pd.testing.assert_frame_equal(a, b)
    c = simulate_day(places, MONDAY, seed=4)
    assert not a[["lon", "lat"]].equals(c[["lon", "lat"]])
    # about 1.5 reports per 1,000 residents on a working day
    assert 5 <= len(a) <= 30


def test_columns_times_and_ids(places):
    df = simulate_day(places, MONDAY, n=200, seed=1)
    assert list(df.columns) == ["id", "category", "category_name", "channel", "channel_name", "reported_at",
                                "lon", "lat", "datum", "true_lon", "true_lat", "place_id", "place_type",
                                "description", "source"]
    assert len(df) == 200 and df["id"].is_unique and df["id"].iloc[0] == "SIM-20260302-0001"
    assert df["reported_at"].is_monotonic_increasing
    local = df["reported_at"].dt.tz_convert(BEIJING)
    assert (local.dt.date == MONDAY).all()
    patrol = local[df["channel"] == "patrol"].dt.hour
    assert patrol.between(7, 18).all()  # patrols report in office hours
    assert set(df["channel"]) <= set(CHANNELS) and set(df["channel_name"]) <= set(CHANNELS.values())
    cat = Catalogue.default()
    assert all(cat.get(c).name == n for c, n in zip(df["category"], df["category_name"]))
    assert (df["source"] == "simulated").all()
    assert df["description"].str.len().gt(0).all()


def test_places_weighted_by_population(places):
    df = simulate_day(places, MONDAY, n=3000, seed=2)
    share = df["place_id"].value_counts(normalize=True)
    # weights 9000 : 1000 : 3 (shop) : 8 (plaza)
    assert share["big"] == pytest.approx(9000 / 10011, abs=0.02)
    assert share["small"] == pytest.approx(1000 / 10011, abs=0.015)
    # points fall inside their place
    big = df.loc[df["place_id"] == "big"]
    assert big["true_lon"].between(121.510, 121.514).all() and big["true_lat"].between(31.230, 31.233).all()


def test_categories_follow_the_place(places):
    shops = gpd.GeoDataFrame({"id": ["s"], "type": ["shop"]}, geometry=[Point(121.5, 31.23)], crs="EPSG:4490")
    homes = gpd.GeoDataFrame({"id": ["h"], "type": ["compound"], "population": [3000]},
                             geometry=[box(121.5, 31.23, 121.501, 31.231)], crs="EPSG:4490")
    s = simulate_day(shops, MONDAY, n=1500, seed=5)["category"].value_counts(normalize=True)
    h = simulate_day(homes, MONDAY, n=1500, seed=5)["category"].value_counts(normalize=True)
    assert s.get("street_vending", 0) > 2 * h.get("street_vending", 0)
    assert h.get("group_rental", 0) > 5 * s.get("group_rental", 0)


def test_datums_are_tagged_and_convertible(places):
    df = simulate_day(places, MONDAY, n=600, seed=7)
    assert {"wgs84", "gcj02", "cgcs2000"} <= set(df["datum"])
    assert (df.loc[df["channel"] == "patrol", "datum"] == "wgs84").all()
    assert (df.loc[df["channel"] == "resident", "datum"] == "gcj02").all()
    assert (df.loc[df["channel"] == "sensor", "datum"] == "cgcs2000").all()
    for datum, grp in df.groupby("datum"):
        lon, lat = to_storage(grp["lon"].to_numpy(), grp["lat"].to_numpy(), datum)
        _, _, err = GEOD.inv(lon, lat, grp["true_lon"].to_numpy(), grp["true_lat"].to_numpy())
        assert err.max() < 150  # only the channel's position error remains
        if datum in ("gcj02", "bd09"):
            _, _, raw = GEOD.inv(grp["lon"].to_numpy(), grp["lat"].to_numpy(),
                                 grp["true_lon"].to_numpy(), grp["true_lat"].to_numpy())
            assert np.median(raw) > 300  # unconverted, they would be hundreds of metres off


def test_days_off_have_fewer_patrol_reports(places):
    work = simulate_day(places, MONDAY, n=2000, seed=9)
    rest = simulate_day(places, SUNDAY, n=2000, seed=9)
    assert (rest["channel"] == "patrol").mean() < 0.6 * (work["channel"] == "patrol").mean()


def test_several_days_and_errors(places):
    week = simulate_days(places, MONDAY, 7, seed=0)
    days = week["reported_at"].dt.tz_convert(BEIJING).dt.date
    assert days.min() == MONDAY and days.max() == date(2026, 3, 8) and week["id"].is_unique
    with pytest.raises(InputError):
        simulate_days(places, MONDAY, 0)
    with pytest.raises(InputError):
        simulate_day(places.iloc[:0], MONDAY)
    with pytest.raises(InputError):
        simulate_day(places, "2026-03-02")
    with pytest.raises(InputError):
        simulate_day(places, MONDAY, n=-1)
    with pytest.raises(CRSError):
        simulate_day(places.set_crs(None, allow_override=True), MONDAY)
