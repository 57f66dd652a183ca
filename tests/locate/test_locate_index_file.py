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


@pytest.mark.parametrize("ids, saved_as", [
    (["MG-二-1", "MG-b", "MG-c"], "<U"),          # text, Chinese included
    ([7, 3, 10 ** 12], "int64"),
    ([7, "MG-b", 3], None),                      # mixed: kept in index.json
])
def test_ids_are_saved_as_an_array_and_come_back_as_python_values(tmp_path, ids, saved_as):
    areas = voronoi_city(3, seed=4)
    areas["id"] = ids
    AreaIndex.from_frame(areas, tie_break="code").save(tmp_path / "idx")
    meta = json.loads((tmp_path / "idx" / "index.json").read_text())
    assert ("ids" in meta) == (saved_as is None)
    assert (tmp_path / "idx" / "ids.npy").exists() == (saved_as is not None)
    for mmap in (True, False):
        opened = AreaIndex.load(tmp_path / "idx", mmap=mmap)
        assert [opened.id_of(i) for i in range(3)] == ids
        assert [type(opened.id_of(0)), type(opened.ids[1])] == [type(ids[0]), type(ids[1])]
        assert opened.ids.tolist() == ids and opened.ids_at([2, -1]).tolist() == [ids[2], None]
    if saved_as:
        assert str(np.load(tmp_path / "idx" / "ids.npy").dtype).lstrip("<>=").startswith(
            saved_as.lstrip("<"))


def test_a_single_lookup_on_an_opened_index_converts_no_id(built, tmp_path):
    areas, index = built
    index.save(tmp_path / "idx")
    opened = AreaIndex.load(tmp_path / "idx")
    x, y = (float(v) for v in areas.geometry.iloc[40].representative_point().coords[0])
    pos = opened.locate_one(x, y)
    assert opened.id_of(pos) == areas["id"].iloc[pos] == index.ids[pos]
    assert isinstance(opened._id_values, np.memmap)          # still the saved array
    opened.ids_at([pos])
    assert opened._id_values.dtype == object                   # converted once, for a batch


def test_an_index_saved_in_the_previous_layout_still_opens(built, tmp_path):
    """Format 2 kept the ids in index.json and had no extent: both are still read."""
    _, index = built
    index.save(tmp_path / "idx")
    meta = json.loads((tmp_path / "idx" / "index.json").read_text())
    meta["format"] = "geogrid-area-index/2"
    meta["ids"] = index.ids.tolist()
    del meta["stats"]["extent"]
    (tmp_path / "idx" / "index.json").write_text(json.dumps(meta))
    (tmp_path / "idx" / "ids.npy").unlink()
    old = AreaIndex.load(tmp_path / "idx")
    pts = random_points(3000, seed=23, margin=0.003)
    x, y = pts["lon"].to_numpy(), pts["lat"].to_numpy()
    assert old.ids.tolist() == index.ids.tolist()
    assert all(np.array_equal(u, v, equal_nan=True) for u, v in
               zip(old.locate_detail(x, y, snap_m=90), index.locate_detail(x, y, snap_m=90)))


def test_the_saved_extent_gives_the_projection_the_boxes_give(built, tmp_path):
    from geogrid.locate._near import metric_pipeline

    areas, index = built
    index.save(tmp_path / "idx")
    extent = json.loads((tmp_path / "idx" / "index.json").read_text())["stats"]["extent"]
    assert extent == pytest.approx(list(areas.total_bounds), abs=0)
    bounds = np.load(tmp_path / "idx" / "bounds.npy")
    assert metric_pipeline(np.asarray([extent])) == metric_pipeline(bounds)
