"""A locate index saved once and opened by any process: same answers, memory-mapped,
and a failed save leaves the earlier index as it was."""

from __future__ import annotations

import json

import numpy as np
import pytest
from locate_helpers import random_points, voronoi_city

from geogrid import InputError
from geogrid.locate import AreaIndex


@pytest.fixture(scope="module")
def built():
    areas = voronoi_city(500, seed=21)
    return areas, AreaIndex.from_frame(areas, tie_break="code")


def test_a_saved_index_answers_exactly_as_the_built_one(built, tmp_path):
    areas, index = built
    index.save(tmp_path / "idx")
    opened = AreaIndex.load(tmp_path / "idx")
    pts = random_points(100_000, seed=22, margin=0.002)
    x, y = pts["lon"].to_numpy(), pts["lat"].to_numpy()
    assert np.array_equal(opened.locate(x, y), index.locate(x, y))
    a, b = opened.locate_detail(x[:3000], y[:3000], snap_m=80), index.locate_detail(x[:3000], y[:3000], snap_m=80)
    assert all(np.array_equal(u, v, equal_nan=True) for u, v in zip(a, b))
    assert [opened.find(u, v) for u, v in zip(x[:500], y[:500])] == index.locate(x[:500], y[:500]).tolist()
    assert opened.ids.tolist() == index.ids.tolist() == areas["id"].tolist()
    assert opened.fingerprint == index.fingerprint and opened.crs == index.crs
    assert isinstance(opened._lut, np.memmap) and isinstance(opened._set_items, np.memmap)


def test_a_failed_save_keeps_the_earlier_index(built, tmp_path, monkeypatch):
    _, index = built
    other = AreaIndex.from_frame(voronoi_city(50, seed=2))
    other.save(tmp_path / "idx")
    real_save = np.save

    def failing(path, arr, *a, **k):
        if str(path).endswith("wkb.npy"):
            raise OSError("disk full")
        return real_save(path, arr, *a, **k)

    monkeypatch.setattr(np, "save", failing)
    with pytest.raises(OSError):
        index.save(tmp_path / "idx")
    monkeypatch.undo()
    assert AreaIndex.load(tmp_path / "idx").fingerprint == other.fingerprint
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx"]      # no temporary left


def test_an_index_of_another_format_is_refused_with_a_clear_message(built, tmp_path):
    _, index = built
    index.save(tmp_path / "idx")
    meta = json.loads((tmp_path / "idx" / "index.json").read_text())
    meta["format"] = "geogrid-area-index/0"
    (tmp_path / "idx" / "index.json").write_text(json.dumps(meta))
    with pytest.raises(InputError, match="rebuild"):
        AreaIndex.load(tmp_path / "idx")
    with pytest.raises(InputError, match="定位索引"):
        AreaIndex.load(tmp_path / "missing")


def test_find_is_the_batch_answer_for_single_points(built):
    _, index = built
    pts = random_points(2000, seed=5)
    x, y = pts["lon"].to_numpy(), pts["lat"].to_numpy()
    assert [index.find(u, v) for u, v in zip(x, y)] == index.locate(x, y).tolist()
    assert index.find(float("nan"), 31.2) == -1 and index.find(0.0, 0.0) == -1


def test_a_plan_locator_starts_from_a_saved_index(tmp_path):
    from geogrid.locate import PlanLocator

    areas = voronoi_city(300, seed=8)
    built = PlanLocator(areas)
    built.index.save(tmp_path / "plan-index")
    started = PlanLocator(areas, index=AreaIndex.load(tmp_path / "plan-index"))
    pts = random_points(5000, seed=9)
    x, y = pts["lon"].to_numpy(), pts["lat"].to_numpy()
    assert started.locate_many(x, y).equals(built.locate_many(x, y))
    assert started.locate_one(float(x[0]), float(y[0])) == built.locate_one(float(x[0]), float(y[0]))
    with pytest.raises(InputError, match="rebuild"):
        PlanLocator(voronoi_city(30, seed=1), index=started.index)
