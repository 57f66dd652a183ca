"""Fixtures for the geocoding tests: the synthetic street of ``geocode_helpers``, the OSM extract."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import pytest
from geocode_helpers import synthetic_frames

OSM = Path(__file__).resolve().parents[2] / "data" / "osm" / "lujiazui"


@pytest.fixture(scope="session")
def synthetic() -> dict[str, gpd.GeoDataFrame]:
    return synthetic_frames()


@pytest.fixture(scope="session")
def gaz(synthetic):
    from geogrid.geocode import Gazetteer

    # the rule scores themselves: these tests check how the ladder ranks answers;
    # calibrated confidence is tested in test_calibration.py
    return Gazetteer.from_frames(**synthetic, calibration=None)


@pytest.fixture(scope="session")
def osm_layers() -> dict[str, gpd.GeoDataFrame]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # duplicate OSM ids in the extract
        return {name: gpd.read_file(OSM / f"{name}.geojson")
                for name in ("buildings", "landuse", "pois", "roads", "boundaries")}


@pytest.fixture(scope="session")
def osm_frames(osm_layers):
    from geogrid.geocode.osm import gazetteer_frames

    return gazetteer_frames(**{k: v for k, v in osm_layers.items() if k != "boundaries"})


@pytest.fixture(scope="session")
def osm_gaz(osm_frames):
    from geogrid.geocode import Gazetteer

    return Gazetteer.from_frames(**osm_frames)

