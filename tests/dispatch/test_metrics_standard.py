"""Indicators by the standard definitions, against hand counts at a period end with open,
overdue cases; and population split by the households of the buildings a microgrid holds."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geogrid.dispatch import BEIJING
from geogrid.dispatch.metrics import DEFINITION, incident_metrics, population_by_area


def t(month, day, hour=10):
    return datetime(2026, month, day, hour, tzinfo=BEIJING).isoformat()


#   id  status       reported  deadline   completed  closed     reworks extensions
MAY_ROWS = [
    ("a", "closed", t(4, 25), t(5, 3), t(5, 2), t(5, 2), 0, 0),       # reported in April, due in May
    ("b", "closed", t(5, 5), t(5, 10), t(5, 12), t(5, 13), 0, 0),     # late
    ("c", "dispatched", t(5, 20), t(5, 28), None, None, 0, 0),         # open, overdue
    ("d", "dispatched", t(5, 25), t(6, 5), None, None, 0, 0),          # due in June
    ("e", "closed", t(5, 26), t(5, 29), t(5, 28), t(6, 3), 0, 0),     # closed after the period end
    ("f", "closed", t(5, 1), t(5, 15), t(5, 14), t(5, 14), 0, 1),     # extended, then on time
    ("g", "closed", t(5, 2), t(5, 9), t(5, 8), t(5, 9), 1, 0),        # reworked, on time
    ("h", "reported", t(5, 30), None, None, None, 0, 0),
]
COLS = ["id", "status", "reported_at", "deadline", "completed_at", "closed_at", "reworks",
        "extensions"]


@pytest.fixture
def may():
    df = pd.DataFrame(MAY_ROWS, columns=COLS)
    df["street"], df["channel"] = "S", "12345"
    return df


def test_hand_counts_at_the_period_end(may):
    m = incident_metrics(may, by="street", start="2026-05-01", end="2026-06-01",
                         population={"S": 4000}).loc["S"]
    assert m.reported == 7                        # b..h; a was reported in April
    assert m.accepted == 6                        # h is not accepted yet
    assert m.due == 6                             # a b c e f g: deadline in May, passed by 31 May
    assert m.closed_on_time == 3                  # a f g
    assert m.on_time_rate == 0.5
    assert m.open_overdue == 2                    # c, and e (closed only on 3 June)
    assert m.closed == 4                          # a b f g closed in May
    assert m.rework_rate == 0.25                  # g of a b f g
    assert m.extension_rate == pytest.approx(1 / 6)  # f of the 6 due
    assert m.closure_rate == pytest.approx(4 / 6)
    assert m.complaints_per_1000 == pytest.approx(7 / 4)
    assert m.as_of == "2026-06-01T00:00:00+08:00" and m.period_start.startswith("2026-05-01")
    assert m.definition == DEFINITION and "按期结案率" in m.definition and "as of" in m.definition


def test_as_of_caps_the_period_end(may):
    m = incident_metrics(may, by="street", start="2026-05-01", end="2026-06-01",
                         as_of="2026-05-20 12:00").loc["S"]
    assert m.due == 4                             # a b f g (deadline by 20 May noon)
    assert m.closed_on_time == 3 and m.open_overdue == 0   # b was closed on 13 May, late


def test_months_each_count_as_of_their_own_end(may):
    m = incident_metrics(may, by="street", freq="M", start="2026-04-01", end="2026-07-01")
    assert list(m.index) == [("S", "2026-04"), ("S", "2026-05"), ("S", "2026-06")]
    apr, jun = m.loc[("S", "2026-04")], m.loc[("S", "2026-06")]
    assert (apr.reported, apr.due) == (1, 0) and math.isnan(apr.on_time_rate)
    assert (jun.reported, jun.due, jun.closed, jun.open_overdue) == (0, 1, 1, 1)  # d due 5 June
    assert m.loc[("S", "2026-05"), "due"] == 6


def test_an_open_period_counts_as_of_now():
    now = datetime.now(BEIJING)
    rows = [("late", "dispatched", now - timedelta(days=5), now - timedelta(days=1)),
            ("soon", "dispatched", now - timedelta(days=2), now + timedelta(days=3))]
    df = pd.DataFrame([(i, s, r.isoformat(), d.isoformat()) for i, s, r, d in rows],
                      columns=["id", "status", "reported_at", "deadline"])
    df["street"] = "S"
    m = incident_metrics(df, by="street", start=now - timedelta(days=10),
                         end=now + timedelta(days=20)).loc["S"]
    assert (m.reported, m.due, m.open_overdue, m.on_time_rate) == (2, 1, 1, 0.0)
    assert pd.Timestamp(m.as_of) <= pd.Timestamp.now(tz="UTC")


def _box(x0, y0, x1, y1):
    return shapely.box(121.50 + x0 * 1e-3, 31.23 + y0 * 1e-3, 121.50 + x1 * 1e-3, 31.23 + y1 * 1e-3)


def test_population_split_by_households_of_the_buildings_held():
    areas = gpd.GeoDataFrame({"id": ["A", "B"]}, geometry=[_box(0, 0, 4, 4), _box(4, 0, 8, 4)],
                             crs="EPSG:4490")
    objects = gpd.GeoDataFrame({
        "id": ["c1", "b1", "b2", "b3", "c2", "lone", "shop"],
        "type": ["compound", "building", "building", "building", "compound", "building", "shop"],
        "households": [0, 10, 30, 60, 0, 20, 0],
        "population": [300, 25, 75, 150, 1000, 50, 0],
    }, geometry=[_box(1, 1, 7, 2), _box(1.2, 1.2, 1.5, 1.5), _box(2.2, 1.2, 2.5, 1.5),
                 _box(5.2, 1.2, 5.5, 1.5), _box(3, 2.5, 7, 3.5), _box(6, 3.6, 6.5, 3.9),
                 _box(0.5, 0.5, 0.6, 0.6)], crs="EPSG:4490")
    membership = pd.Series({"c1": "A", "b1": "A", "b2": "A", "b3": "B", "c2": "A", "lone": "B",
                            "shop": "A"})
    pop = population_by_area(objects, membership, areas)
    # c1 (300) by households 40:60; c2 (1000, no buildings) by ground 1:3; lone counts as itself
    assert pop["A"] == pytest.approx(300 * 0.4 + 1000 * 0.25, rel=1e-3)
    assert pop["B"] == pytest.approx(300 * 0.6 + 1000 * 0.75 + 50, rel=1e-3)
    assert pop.sum() == pytest.approx(300 + 1000 + 50)
    whole = objects.set_index("id")["population"].groupby(membership).sum()
    assert whole["A"] > pop["A"]                  # the old way gave whole compounds to A


def test_demo_population_is_conserved_and_reaches_every_microgrid_of_a_compound(demo_store):
    plan = int(demo_store.active_plan()["id"])
    mem = demo_store.memberships(plan)
    areas = demo_store.areas(plan)
    leaves = areas[areas["id"].isin(set(mem))]
    objects = demo_store.objects()
    pop = population_by_area(objects, mem, leaves)
    compounds = objects[(objects["type"] == "compound") & (objects["population"] > 0)]
    from geogrid.dispatch.metrics import _compound_of

    bldg = objects[objects["type"] == "building"]
    inside = _compound_of(bldg.set_index(bldg["id"].rename(None)),
                          compounds.set_index(compounds["id"].rename(None))).notna()
    expected = compounds["population"].sum() + bldg.loc[~inside.to_numpy(), "population"].sum()
    assert pop.sum() == pytest.approx(expected, rel=1e-9)
    from geogrid.crs import metric_crs

    crs = metric_crs(leaves)
    for c in compounds.to_crs(crs).itertuples():
        share = leaves.to_crs(crs).geometry.intersection(c.geometry).area / c.geometry.area
        for area_id in leaves["id"][(share > 0.05).to_numpy()]:
            assert pop.get(area_id, 0) > 0, (c.name, area_id)
