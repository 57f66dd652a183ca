"""Areas whose validity was checked before (a stored plan version whose locator was
built from them) are indexed without GEOS's validity test, and every other check
still runs; files a user passes keep every check."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import shapely
from locate_helpers import random_points, voronoi_city
from shapely.geometry import Polygon

from geogrid import ValidationError
from geogrid.locate import AreaIndex


@pytest.fixture
def no_validity_test(monkeypatch):
    """shapely.is_valid raises: a build that runs it fails."""
    def refuse(*a, **k):
        raise AssertionError("GEOS validity was tested again")

    monkeypatch.setattr(shapely, "is_valid", refuse)


@pytest.mark.parametrize("n", [300, 2500])          # checked at once / on another core
def test_known_valid_areas_give_the_same_index_without_the_validity_test(n, monkeypatch):
    areas = voronoi_city(n, seed=n)
    checked = AreaIndex.from_frame(areas, tie_break="code")
    calls = []
    real = shapely.is_valid
    monkeypatch.setattr(shapely, "is_valid", lambda *a, **k: calls.append(1) or real(*a, **k))
    trusted = AreaIndex.from_frame(areas, tie_break="code", known_valid=True)
    arrays = AreaIndex.from_arrays(np.asarray(areas.geometry.values), areas["id"].to_numpy(),
                                   areas["code"].to_numpy(), known_valid=True)
    assert calls == []
    assert trusted.fingerprint == checked.fingerprint == arrays.fingerprint
    pts = random_points(20_000, seed=n)
    x, y = pts["lon"].to_numpy(), pts["lat"].to_numpy()
    assert np.array_equal(trusted.locate(x, y), checked.locate(x, y))


def test_known_valid_still_reports_every_other_problem(no_validity_test):
    areas = voronoi_city(40, seed=3)
    areas.loc[5, "id"] = areas.loc[4, "id"]
    areas.loc[7, "geometry"] = shapely.Point(121.5, 31.23)
    with pytest.raises(ValidationError) as err:
        AreaIndex.from_frame(areas, known_valid=True)
    reasons = " ".join(p.reason for p in err.value.problems)
    assert "repeats an earlier id" in reasons and "not a (Multi)Polygon" in reasons


def test_a_file_a_user_passes_keeps_the_validity_test():
    areas = voronoi_city(40, seed=3)
    areas.loc[9, "geometry"] = Polygon([(121.50, 31.23), (121.51, 31.24), (121.51, 31.23),
                                        (121.50, 31.24)])          # a bow tie
    with pytest.raises(ValidationError, match="cannot be indexed") as err:
        AreaIndex.from_frame(areas)
    assert "Self-intersection" in err.value.problems[0].reason


def test_a_stored_plan_rebuilt_from_an_earlier_layout_skips_the_validity_test(tmp_path,
                                                                             monkeypatch):
    from geogrid.services import locatefiles

    store = SimpleNamespace(url="sqlite:///plans.db")
    data = SimpleNamespace(plan={"id": 3, "version": 2, "status": "active", "levels": None},
                           areas=voronoi_city(60, seed=5))
    asked = []
    real = locatefiles.plan_locator
    monkeypatch.setattr(locatefiles, "plan_locator",
                        lambda areas, levels, **k: asked.append(k) or real(areas, levels, **k))
    first = locatefiles.stored_locator(tmp_path, store, data)          # no directory yet
    path = locatefiles.locator_path(tmp_path, store, data.plan)
    meta = path / "locator.json"
    meta.write_text(meta.read_text().replace("geogrid-plan-locator/", "geogrid-plan-locator/0."))
    again = locatefiles.stored_locator(tmp_path, store, data)          # an earlier layout
    assert asked == [{"known_valid": False}, {"known_valid": True}]
    assert again.index.fingerprint == first.index.fingerprint
    assert locatefiles.stored_locator(tmp_path, store, data).index.fingerprint \
        == first.index.fingerprint and len(asked) == 2               # opened, not rebuilt
