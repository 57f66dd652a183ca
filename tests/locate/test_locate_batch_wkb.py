"""Areas read from WKB without GEOS: the vertices equal shapely's on every kind of
row, the crossing test over them answers as GEOS does (holes, parts, islands, points
at every vertex's height), and the checks that run beside the batch stop it before
anything is written."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely
from locate_helpers import random_points, truth, voronoi_city
from shapely.geometry import MultiPolygon, Point, Polygon, box
from typer.testing import CliRunner

from geogrid import ValidationError
from geogrid.batch import locate_file
from geogrid.batch.areas import _index_from_polygons, _index_from_wkb, lookup_from_geoparquet
from geogrid.batch.wkb import ragged_polygons, wkb_rings
from geogrid.cli import app
from geogrid.datum import Datum, from_storage
from geogrid.locate._quick import QuickTables, rings_of

ROOT = Path(__file__).resolve().parents[2]

#: a ring with two holes, an island in one of them, two parts, a part with a hole
CATALOGUE = [
    box(0, 0, 1, 1),
    MultiPolygon([box(2, 0, 3, 1)]),
    Polygon([(4, 0), (8, 0), (8, 4), (4, 4)],
            [[(5, 1), (6, 1), (6, 2), (5, 2)], [(6.5, 2.5), (7.5, 2.5), (7.5, 3.5), (6.5, 3.5)]]),
    box(5.25, 1.25, 5.75, 1.75),
    MultiPolygon([box(0, 2, 1, 3), Polygon([(1.5, 2), (3.5, 2), (3.5, 4), (1.5, 4)],
                                           [[(2, 2.5), (3, 2.5), (3, 3.5), (2, 3.5)]])]),
    Polygon([(9, 0), (10, 0.5), (9.5, 1), (10, 2), (9, 2)]),
]


def _wkb(geoms, big_endian=(), z=()) -> list[bytes]:
    out = []
    for i, g in enumerate(geoms):
        if i in z:
            g = shapely.force_3d(g, 1.0)
        out.append(shapely.to_wkb(g, byte_order=0 if i in big_endian else 1,
                                  output_dimension=3 if i in z else 2))
    return out


def _columns(values: list[bytes]):
    yield pa.array(values, pa.binary())
    yield pa.array(values, pa.large_binary())
    yield pa.chunked_array([pa.array(values[:2]), pa.array(values[2:])])
    yield pa.array(values * 3).slice(len(values), len(values))


@pytest.mark.parametrize("big_endian, z", [((), ()), ((0, 2), ()), ((), (1, 5))])
def test_vertices_read_from_wkb_equal_shapely_on_every_kind_of_row(big_endian, z):
    values = _wkb(CATALOGUE, big_endian, z)
    for column in _columns(values):
        found = wkb_rings(column)
        geoms = shapely.from_wkb(np.array(column.to_pylist(), dtype=object))
        want = rings_of(geoms)
        for name, got, expected in zip(want._fields, found.rings, want):
            assert np.array_equal(got, expected), name
        # read in place: one-ring polygons (and one-part multipolygons) in little endian
        in_place = [i for i, g in enumerate(CATALOGUE) if i not in big_endian and i not in z
                    and i in (0, 1, 3, 5)]
        assert np.flatnonzero(found.kind != 0).tolist() == in_place
        made = ragged_polygons(found)
        assert shapely.equals_exact(made, shapely.force_2d(geoms)).all()
        assert [g.geom_type for g in made] == [g.geom_type for g in CATALOGUE]
        some = np.array([5, 0, 2])
        assert shapely.equals_exact(ragged_polygons(found, some), made[some]).all()


@pytest.mark.parametrize("bad", [None, shapely.to_wkb(Point(1, 2)), b"\x01\x03\x00",
                                 shapely.to_wkb(Polygon())])
def test_rows_that_are_no_polygons_are_left_to_the_full_reader(bad):
    assert wkb_rings(pa.array(_wkb(CATALOGUE[:2]) + [bad], pa.binary())) is None


def _lowest_rank_truth(geoms, rank, x, y) -> np.ndarray:
    tree = shapely.STRtree(geoms)
    pi, ai = tree.query(shapely.points(x, y), predicate="intersects")
    by = np.lexsort((rank[ai], pi))
    pi, ai = pi[by], ai[by]
    first = np.r_[True, pi[1:] != pi[:-1]]
    out = np.full(len(x), -1)
    out[pi[first]] = ai[first]
    return out


def test_crossings_over_holes_parts_and_islands_answer_as_shapely():
    geoms = np.array(CATALOGUE, dtype=object)
    found = wkb_rings(pa.array(_wkb(CATALOGUE)))
    rng = np.random.default_rng(3)
    xy = shapely.get_coordinates(geoms)
    # random points, every vertex, and points at the height of every vertex (where a
    # ray meets the end of one ring and the start of the next)
    x = np.r_[rng.uniform(-0.5, 10.5, 20_000), xy[:, 0], rng.uniform(-0.5, 10.5, len(xy))]
    y = np.r_[rng.uniform(-0.5, 4.5, 20_000), xy[:, 1], xy[:, 1]]
    for rank in (np.arange(len(geoms)), np.arange(len(geoms))[::-1].copy()):
        want = _lowest_rank_truth(geoms, rank, x, y)
        quick = QuickTables.from_rings(found.rings, rank, geoms)
        assert np.array_equal(quick.locate(x, y), want)
        assert np.array_equal(QuickTables(geoms, rank).locate(x, y), want)
    assert (want == 3).any() and (want == 2).any() and (want == -1).any()   # island, ring, hole


def _areas_file(tmp_path: Path, areas, name="areas.parquet") -> Path:
    path = tmp_path / name
    areas[["id", "code", "geometry"]].to_parquet(path)
    return path


def test_the_vertex_path_answers_as_the_polygon_path_also_in_another_datum(tmp_path):
    areas = voronoi_city(300)
    moved = areas.copy()
    moved["geometry"] = shapely.transform(moved.geometry.values, lambda xy: np.column_stack(
        from_storage(xy[:, 0], xy[:, 1], "gcj02")))
    pts = random_points(40_000)
    x, y = pts["lon"].to_numpy(), pts["lat"].to_numpy()
    for frame, datum in ((areas, Datum.CGCS2000), (moved, Datum.GCJ02)):
        column = pq.read_table(_areas_file(tmp_path, frame)).column("geometry")
        ids = frame["id"].to_numpy(object)
        # few points for many vertices: no lookup table (see ``table_pays``)
        fast, check = _index_from_wkb(column, ids, ids, datum, 1, "areas.parquet")
        slow = _index_from_polygons(column, ids, ids, datum, 1, "areas.parquet")
        assert fast.stats["lazy"] and check is not None
        assert np.array_equal(fast.locate(x, y), slow.locate(x, y))
        check.result()
        assert shapely.equals_exact(check.take(np.arange(len(ids))), slow._geoms).all()
    want = truth(areas, x, y)
    got = fast.ids_at(fast.locate(x, y))
    assert np.mean(got == want) > 0.999        # GCJ-02 and back: well under a millimetre


def _bad_areas(tmp_path: Path) -> Path:
    areas = voronoi_city(400)
    geoms = areas.geometry.values.copy()
    geoms[7] = Polygon([(121.50, 31.23), (121.51, 31.24), (121.51, 31.23), (121.50, 31.24)])
    areas = areas.set_geometry(geoms)
    areas.loc[12, "id"] = areas.loc[11, "id"]
    return _areas_file(tmp_path, areas)


def test_bad_areas_stop_the_batch_and_leave_the_output_as_it_was(tmp_path):
    path = _bad_areas(tmp_path)
    pts = random_points(200_000)
    pts.to_csv(tmp_path / "pts.csv", index=False)
    out = tmp_path / "out.parquet"
    out.write_bytes(b"an earlier result")
    lookup = lookup_from_geoparquet(path, "cgcs2000", {}, points=1)      # no lookup table
    assert lookup is not None and lookup.index.stats["lazy"]
    with pytest.raises(ValidationError) as err:
        locate_file(tmp_path / "pts.csv", out, lookup, datum="cgcs2000")
    reasons = sorted(p.reason.split("[")[0] for p in err.value.problems)
    assert reasons == ["Self-intersection", "repeats an earlier id"]
    assert out.read_bytes() == b"an earlier result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["areas.parquet", "out.parquet",
                                                          "pts.csv"]
    with pytest.raises(ValidationError):
        pickle.dumps(lookup)                       # never shipped to workers either
    pts[:1000].to_csv(tmp_path / "few.csv", index=False)        # no lookup table either
    res = CliRunner().invoke(app, ["locate", str(tmp_path / "few.csv"), "-o", str(out), "-d",
                                   "cgcs2000", "--areas", str(path)])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "无法建立索引" in res.output and "cannot be indexed" in res.output
    assert out.read_bytes() == b"an earlier result"


def test_a_lookup_from_wkb_ships_to_workers_with_its_checked_polygons(tmp_path):
    areas = voronoi_city(200)
    lookup = lookup_from_geoparquet(_areas_file(tmp_path, areas), "cgcs2000", {}, 1)
    assert lookup.index.stats["lazy"]
    pts = random_points(20_000)
    x, y = pts["lon"].to_numpy(), pts["lat"].to_numpy()
    copy = pickle.loads(pickle.dumps(lookup))
    for one in (lookup, copy):
        assert one.arrow_columns(x, y)["microgrid_id"].to_pylist() == truth(areas, x, y).tolist()
    assert not copy.index.stats["lazy"]           # shipped with its lookup table


def test_the_command_ends_its_process_with_every_answer_written(tmp_path):
    """``geogrid locate`` skips the interpreter's teardown: exit code, report and file
    are whole."""
    areas = voronoi_city(500)
    path = _areas_file(tmp_path, areas)
    pts = random_points(300_000)
    pts.to_csv(tmp_path / "pts.csv", index=False)
    out = tmp_path / "out.parquet"
    proc = subprocess.run([sys.executable, "-c", "from geogrid.cli import app; app()", "locate",
                           str(tmp_path / "pts.csv"), "-o", str(out), "-d", "cgcs2000",
                           "--areas", str(path)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    stats = json.loads(proc.stdout)
    got = pq.read_table(out)
    want = truth(areas, pts["lon"].to_numpy(), pts["lat"].to_numpy())
    assert stats["rows"] == got.num_rows == len(pts)
    assert stats["outside"] == int(np.sum(want == None))          # noqa: E711
    assert got.column("microgrid_id").to_pylist() == want.tolist()


def test_labels_of_a_large_plan_are_written_as_plain_text():
    """Over 65,536 labels the answer columns are plain text (a Parquet dictionary page
    would overflow), gathered from the labels' buffers: the same values and nulls."""
    from geogrid.batch.lookup import _PLAIN_ABOVE, _arrow_labels, _plain_labels, padded_labels

    values = np.array([f"mg-{i:09d}" if i % 7 else f"楼组{i}" for i in range(_PLAIN_ABOVE + 5)]
                      + [None], dtype=object)
    dictionary, code = _arrow_labels(values)
    rng = np.random.default_rng(0)
    at = code[rng.integers(0, len(code), 50_000)]
    got = _plain_labels(padded_labels(dictionary), at)
    assert got.type == pa.large_string() and got.null_count == int((at < 0).sum()) > 0
    assert got.to_pylist() == [None if k < 0 else values[k] for k in at]
    part = _plain_labels(padded_labels(dictionary.slice(5, 100)),
                         np.array([0, 3, -1, 99], dtype=np.int32))
    assert part.to_pylist() == [values[5], values[8], None, values[104]]
