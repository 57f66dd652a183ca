"""One road-class table: the partition ranks, the road graph's speeds and exclusions and the
basemap's classes all come from :data:`geogrid.road_kinds.KINDS`, and read as before.

``_BEFORE_*`` are the tables the road graph and the basemap kept beside ``road_kinds`` until
they moved into it, copied as they were: every answer that reads the table (route costs,
tile bytes, ranks) is unchanged exactly when these views are. The shipped data (OSM ©
OpenStreetMap contributors, ODbL) is checked row by row too.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from geogrid import road_kinds
from geogrid.basemap import layers as basemap_layers
from geogrid.basemap.layers import ROAD_CLASSES
from geogrid.basemap.style import STYLE
from geogrid.road_kinds import KINDS, TILEZEN_KINDS, road_rank
from geogrid.routing import DEFAULT_SPEEDS_KMH, EXCLUDED_KINDS, graph_from_lines

ROOT = Path(__file__).resolve().parents[1]

_BEFORE_SPEEDS = {
    "motorway": 80.0, "motorway_link": 50.0, "trunk": 60.0, "trunk_link": 40.0,
    "primary": 40.0, "primary_link": 30.0, "secondary": 35.0, "secondary_link": 30.0,
    "tertiary": 30.0, "tertiary_link": 25.0, "unclassified": 25.0, "residential": 20.0,
    "living_street": 10.0, "service": 15.0, "road": 25.0,
    "pedestrian": 5.0, "footway": 5.0, "path": 5.0, "steps": 3.0, "cycleway": 12.0,
    "track": 10.0, "pier": 5.0,
    "highway": 60.0, "major_road": 35.0, "minor_road": 20.0,
}
_BEFORE_EXCLUDED = {
    "rail", "subway", "light_rail", "tram", "monorail", "funicular", "narrow_gauge",
    "ferry", "aerialway", "platform", "construction", "proposed", "abandoned",
}
_BEFORE_MAP = {"motorway": "motorway", "trunk": "motorway", "primary": "primary",
               "secondary": "secondary", "tertiary": "tertiary", "residential": "minor",
               "unclassified": "minor", "living_street": "minor", "road": "minor",
               "service": "service", "footway": "path", "path": "path", "pedestrian": "path",
               "cycleway": "path", "steps": "path", "pier": "path", "track": "path",
               "subway": "rail", "rail": "rail", "light_rail": "rail", "funicular": "rail",
               "tram": "rail", "monorail": "rail"}
_BEFORE_KIND_MAP = {"path": "path", "rail": "rail", "minor_road": "minor",
                    "major_road": "tertiary"}
_BEFORE_RANKS = {
    "major": {"motorway", "trunk", "primary", "secondary", "motorway_link", "trunk_link",
              "primary_link", "secondary_link"},
    "minor": {"tertiary", "tertiary_link", "residential", "unclassified", "living_street",
              "road", "busway"},
    "path": {"service", "pedestrian", "footway", "path", "cycleway", "steps", "track",
             "bridleway", "corridor", "sidewalk", "crossing"},
    "rail": {"rail", "light_rail", "narrow_gauge", "tram", "monorail", "preserved", "funicular"},
    None: {"ferry", "pier", "subway", "platform", "construction", "proposed", "abandoned",
           "disused", "elevator", "aerialway"},
}


def _before_rank(kind, detail):
    """``road_rank`` as it read its own sets."""
    detail = "" if detail is None else str(detail).strip().lower()
    k = "" if kind is None else str(kind).strip().lower()
    if detail in _BEFORE_RANKS[None] or k in {"ferry", "pier", "aerialway"}:
        return None
    for rank in ("major", "minor", "path", "rail"):
        if detail in _BEFORE_RANKS[rank]:
            return rank
    return {"rail": "rail", "major_road": "major", "highway": "major", "path": "path"}.get(k,
                                                                                         "minor")


def test_views_read_as_the_tables_they_replace():
    assert DEFAULT_SPEEDS_KMH == _BEFORE_SPEEDS
    assert set(EXCLUDED_KINDS) == _BEFORE_EXCLUDED
    assert basemap_layers.MAP_CLASSES == _BEFORE_MAP
    assert basemap_layers.TILEZEN_MAP_CLASSES == _BEFORE_KIND_MAP
    for rank, values in (("major", road_kinds.MAJOR), ("minor", road_kinds.MINOR),
                         ("path", road_kinds.PATH), ("rail", road_kinds.RAIL),
                         (None, road_kinds.NOT_ON_GROUND)):
        assert set(values) == _BEFORE_RANKS[rank], rank


@pytest.mark.parametrize("kind", [None, "", *TILEZEN_KINDS, "water", "major_road"])
def test_rank_of_every_pair_is_as_before(kind):
    for detail in [None, "", "unknown", *KINDS, *TILEZEN_KINDS, " Primary "]:
        assert road_rank(kind, detail) == _before_rank(kind, detail), (kind, detail)


def test_every_row_is_coherent():
    """A class the basemap draws has a style and a zoom; a routable speed is positive;
    a line that is not on the ground never ranks, and rail never carries responders."""
    for table in (KINDS, TILEZEN_KINDS):
        for value, k in table.items():
            assert k.rank in (*road_kinds.RANKS, None), value
            if k.map_class is not None:
                assert k.map_class in ROAD_CLASSES and k.map_class in STYLE["roads"], value
            if k.speed_kmh is not None:
                assert k.speed_kmh > 0 and k.routable, value
            if k.rank == "rail" and value != "preserved":
                assert not k.routable, value
    assert set(KINDS) >= set(_BEFORE_MAP) | (_BEFORE_EXCLUDED - set(TILEZEN_KINDS))


@pytest.mark.parametrize("path", ["data/boundaries/lujiazui_roads.geojson",
                                  "data/osm/lujiazui/roads.geojson"])
def test_shipped_roads_read_as_before(path):
    """Row by row over the shipped road files: rank, speed, exclusion and map class."""
    if not (ROOT / path).exists():
        pytest.skip(f"{path} is not shipped")
    roads = gpd.read_file(ROOT / path)
    kind = roads["kind"] if "kind" in roads else [None] * len(roads)
    detail = roads["kind_detail"] if "kind_detail" in roads else [None] * len(roads)
    pairs = list(zip(kind, detail))
    assert len(pairs) > 500
    for k, d in pairs:
        assert road_rank(k, d) == _before_rank(k, d)
    cls = [(_BEFORE_MAP.get(d) or _BEFORE_KIND_MAP.get(k)) for k, d in pairs]
    tiles = basemap_layers.normalise_tilezen({"roads": roads.to_crs(4326)})["roads"]
    assert list(tiles["cls"]) == [c for c in cls if c is not None]
    g = graph_from_lines(roads.to_crs("EPSG:4490"), weight="time")
    kept = [not ({k, d} & _BEFORE_EXCLUDED) for k, d in pairs]
    speeds = {(_BEFORE_SPEEDS.get(d) or _BEFORE_SPEEDS.get(k) or 25.0) / 3.6
              for (k, d), keep in zip(pairs, kept) if keep and "maxspeed" not in roads}
    assert set(np.round(g.seg_speed_mps, 9)) <= {round(s, 9) for s in speeds}
    assert len(set(np.round(g.seg_speed_mps, 9))) > 3
