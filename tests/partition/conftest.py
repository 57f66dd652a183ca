"""Fixtures of the partition tests: a synthetic case and the Lujiazui demo layers."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import pytest

from partition_helpers import synthetic_case

DATA = Path(__file__).resolve().parents[2] / "data" / "boundaries"


@pytest.fixture(scope="session")
def lujiazui():
    """The Lujiazui demo layers (skipped when the demo files are absent)."""
    names = ["grids", "objects", "roads", "street"]
    paths = {n: DATA / f"lujiazui_{n}.geojson" for n in names}
    if not all(p.exists() for p in paths.values()):
        pytest.skip("Lujiazui demo files are not built")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {n: gpd.read_file(p) for n, p in paths.items()}


@pytest.fixture(scope="session")
def small_case():
    return synthetic_case(200, seed=3)
