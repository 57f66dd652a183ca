"""Shops, offices and institutions join the microgrid of their nearest housing
(内外一网覆盖), judged by the independent rule metrics on built fixtures."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geogrid.partition import partition
from geogrid.partition.attach import settled
from geogrid.rule_metrics import rule_metrics

LOCAL = "+proj=tmerc +lat_0=31.23 +lon_0=121.5 +k=1 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs"


def frame(geoms, **cols):
    gs = gpd.GeoSeries(list(geoms), crs=LOCAL).to_crs("EPSG:4490")
    return gpd.GeoDataFrame(cols, geometry=gs.values, crs="EPSG:4490")


def _three_blocks():
    """Road blocks west to east; a home in each west block, one in the east, three
    shops in the middle-north block: one nearest the south-west home on foot, one the
    north-west home, one the east home."""
    parent = frame([shapely.box(0, 0, 600, 200)], id=["g"])
    # a street along the north edge, outside the grid, leads to the north-west home
    roads = frame([shapely.LineString([(200, -30), (200, 230)]),
                   shapely.LineString([(400, -30), (400, 230)]),
                   shapely.LineString([(-30, 100), (630, 100)]),
                   shapely.LineString([(-30, 210), (630, 210)])],
                  kind=["minor_road"] * 4, kind_detail=["residential"] * 4)
    # the east home is listed first, so its cell has the lowest number
    homes = [shapely.box(540, 120, 580, 160), shapely.box(20, 40, 60, 80),
             shapely.box(20, 140, 60, 180)]
    shops = [shapely.Point(215, 110), shapely.Point(215, 190), shapely.Point(385, 130)]
    objs = frame(homes + shops, id=["east", "west-s", "west-n", "shop-1", "shop-2", "shop-3"],
                 type=["building"] * 3 + ["shop"] * 3,
                 households=[300.0, 150.0, 150.0, 0.0, 0.0, 0.0])
    return parent, objs, roads


def test_a_road_block_of_shops_joins_the_microgrid_most_of_them_are_nearest():
    # two shops are nearest a home of the west microgrid (a different home each), one
    # the east home: the block votes by microgrid, not by home, and goes west whole,
    # leaving one shop away rather than two
    parent, objs, roads = _three_blocks()
    res = partition(parent, objs, roads, n_microgrids=2, kind="residential",
                    weights={"shop": 0.0}, measure_rules=False)
    a = res.assignment
    assert a["west-s"] == a["west-n"] != a["east"]
    assert a["shop-1"] == a["shop-2"] == a["shop-3"] == a["west-s"]
    m = rule_metrics(parent, res.microgrids, objs, roads)["grid"]
    assert m["nearest"]["method"] == "walking"
    assert [i["id"] for i in m["nearest"]["items"]] == ["shop-3"]


def test_settled_blocks_are_whole_in_one_microgrid_and_at_their_goal():
    cells = pd.DataFrame({"block": [0, 0, 1, 1, 2, 2, 3]})
    goal = np.array([5, -1, 5, 5, 6, 6, -1])
    labels = np.array([5, 5, 5, 4, 6, 6, 7])
    # block 0 whole at its goal; block 1 split; block 2 whole at its goal; block 3 no goal
    assert settled(goal, labels, cells).tolist() == [True, True, False, False, True, True,
                                                     False]
