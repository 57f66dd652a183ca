"""The lean batch path: areas read straight into arrays, no pandas in the command,
answers written dictionary-encoded but read back as plain text."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely
from locate_helpers import random_points, truth, voronoi_city
from shapely.geometry import box

from geogrid import ValidationError
from geogrid.batch import BatchLookup, locate_file
from geogrid.batch.areas import lookup_from_geoparquet, table_pays
from geogrid.datum import from_storage
from geogrid.locate.index import AreaIndex

ROOT = Path(__file__).resolve().parents[2]


def _edge_points(areas) -> tuple[np.ndarray, np.ndarray]:
    """Every vertex and every edge midpoint of the areas (covered by two or three)."""
    xy = shapely.get_coordinates(areas.geometry.values)
    mid = (xy[1:] + xy[:-1]) / 2
    pts = np.vstack([xy, mid])
    return pts[:, 0], pts[:, 1]


@pytest.mark.parametrize("lazy", [False, True])
def test_from_arrays_answers_as_from_frame_and_brute_force(lazy):
    areas = voronoi_city(150)
    pts = random_points(20_000)
    ex, ey = _edge_points(areas)
    x = np.r_[pts["lon"].to_numpy(), ex, 150.0, np.nan]
    y = np.r_[pts["lat"].to_numpy(), ey, 10.0, 31.23]
    arrays = AreaIndex.from_arrays(shapely.from_wkb(shapely.to_wkb(areas.geometry.values)),
                                   areas["id"].to_numpy(object), areas["code"].to_numpy(object),
                                   lazy=lazy)
    frame = AreaIndex.from_frame(areas, tie_break="code")
    got = arrays.locate(x, y)
    assert np.array_equal(got, frame.locate(x, y))
    want = truth(areas, x[:-1], y[:-1])
    assert arrays.ids_at(got[:-1]).tolist() == want.tolist()
    assert got[-1] == -1 and got[-2] == -1
    assert arrays.crs.to_epsg() == 4490


def test_from_arrays_reports_every_bad_row_at_once():
    good = box(121.50, 31.23, 121.51, 31.24)
    bowtie = shapely.Polygon([(121.5, 31.2), (121.51, 31.21), (121.51, 31.2), (121.5, 31.21)])
    geoms = np.array([good, bowtie, None, shapely.Point(121.5, 31.2), good], dtype=object)
    with pytest.raises(ValidationError) as err:
        AreaIndex.from_arrays(geoms, np.array(["A", "B", "C", "D", "A"], dtype=object),
                              where="areas.parquet")
    reasons = {(p.index, p.field): p.reason for p in err.value.problems}
    assert reasons[(4, "id")] == "repeats an earlier id"
    assert "Self-intersection" in reasons[(1, "geometry")]
    assert reasons[(2, "geometry")] == "is missing"
    assert "Point" in reasons[(3, "geometry")]
    assert "areas.parquet" in err.value.message


def test_overlapping_areas_keep_the_lowest_key_in_the_table():
    # B covers the middle of A without an edge there: the table must still list A
    a = box(121.50, 31.23, 121.52, 31.25)
    b = box(121.505, 31.235, 121.515, 31.245)
    index = AreaIndex.from_arrays(np.array([b, a], dtype=object), np.array(["B", "A"], object))
    assert index.stats["overlaps"]
    rng = np.random.default_rng(3)
    x, y = rng.uniform(121.499, 121.521, 50_000), rng.uniform(31.229, 31.251, 50_000)
    got = index.ids_at(index.locate(x, y))
    inside_a = shapely.intersects_xy(a, x, y)
    assert (got[inside_a] == "A").all() and pd.isna(got[~inside_a]).all()


def _write_areas(areas, path: Path) -> Path:
    areas.to_parquet(path)
    return path


def test_geoparquet_lookup_matches_the_frame_lookup(tmp_path):
    areas = voronoi_city(120)[["id", "code", "geometry"]]
    path = _write_areas(areas, tmp_path / "areas.parquet")
    pts = random_points(30_000)
    x, y = pts["lon"].to_numpy(), pts["lat"].to_numpy()
    for points in (None, 10):                      # the table, then the lazy index
        fast = lookup_from_geoparquet(path, "cgcs2000", {}, points)
        assert fast is not None and fast.index.stats.get("lazy", False) == (points == 10)
        slow = BatchLookup.from_frame(areas)
        got, want = fast.arrow_columns(x, y), slow.arrow_columns(x, y)
        assert list(got) == list(want) == fast.columns
        for name in got:
            assert got[name].to_pylist() == want[name].to_pylist(), name
        assert got["microgrid_id"].to_pylist() == truth(areas, x, y).tolist()


def test_geoparquet_lookup_renames_columns_and_converts_the_datum(tmp_path):
    areas = voronoi_city(60)
    moved = areas.rename(columns={"id": "编号"})[["编号", "geometry"]].copy()
    moved["geometry"] = shapely.transform(moved.geometry.values, lambda xy: np.column_stack(
        from_storage(xy[:, 0], xy[:, 1], "gcj02")))
    path = _write_areas(moved, tmp_path / "gcj.parquet")
    lookup = lookup_from_geoparquet(path, "gcj02", {"id": "编号"})
    pts = random_points(5_000, margin=0)
    x, y = pts["lon"].to_numpy(), pts["lat"].to_numpy()
    got = lookup.arrow_columns(x, y)["microgrid_id"].to_pylist()
    want = truth(areas, x, y)
    # the round trip through GCJ-02 moves vertices by far less than a millimetre
    assert np.mean([g == w for g, w in zip(got, want)]) > 0.999


def test_files_that_need_the_full_reader_are_left_to_it(tmp_path):
    areas = voronoi_city(30)
    assert lookup_from_geoparquet(_write_areas(areas, tmp_path / "lv.parquet"), "wgs84") is None
    plain = areas[["id", "geometry"]]
    assert lookup_from_geoparquet(_write_areas(plain.to_crs(32651), tmp_path / "utm.parquet"),
                                  "wgs84") is None
    plain.to_file(tmp_path / "a.geojson")
    assert lookup_from_geoparquet(tmp_path / "a.geojson", "wgs84") is None
    ok = _write_areas(plain, tmp_path / "ok.parquet")
    assert lookup_from_geoparquet(ok, "wgs84", {"id": "no such column"}) is None
    assert lookup_from_geoparquet(tmp_path / "missing.parquet", "wgs84") is None
    assert lookup_from_geoparquet(ok, "wgs84") is not None


def test_table_pays_for_many_points_over_few_vertices():
    geoms = voronoi_city(100).geometry.values
    vertices = int(shapely.get_num_coordinates(geoms).sum())
    assert table_pays(geoms, None)
    assert table_pays(geoms, vertices * 20)
    assert not table_pays(geoms, vertices * 20 - 1)


def test_command_loads_neither_pandas_geopandas_nor_pyproj_and_is_exact(tmp_path):
    areas = voronoi_city(200)
    _write_areas(areas[["id", "code", "geometry"]], tmp_path / "areas.parquet")
    pts = random_points(50_000)
    pts.to_csv(tmp_path / "pts.csv", index=False)
    # the command ends its process at once when done (``_leave_now``): kept alive here
    # to look at what it imported
    script = ("import sys\nfrom geogrid.cli import app\nimport geogrid.cli.batch as b\n"
              "b._leave_now = lambda: None\n"
              "try:\n    app()\nexcept SystemExit as e:\n    code = e.code\n"
              "heavy = [m for m in ('pandas', 'geopandas', 'sqlalchemy', 'pyproj')\n"
              "         if m in sys.modules]\n"
              "print('HEAVY', ','.join(heavy))\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = tmp_path / "out.parquet"
    proc = subprocess.run([sys.executable, "-c", script, "locate", str(tmp_path / "pts.csv"),
                           "-o", str(out), "-d", "cgcs2000", "--areas",
                           str(tmp_path / "areas.parquet")],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == "HEAVY"
    stats = json.loads(proc.stdout[proc.stdout.index("{"):proc.stdout.rindex("}") + 1])
    got = pq.read_table(out)
    assert stats["rows"] == got.num_rows == 50_000
    want = truth(areas, pts["lon"].to_numpy(), pts["lat"].to_numpy())
    assert got.column("microgrid_id").to_pylist() == want.tolist()
    assert stats["outside"] == int(pd.isna(want).sum()) > 0


def test_written_answers_read_back_as_plain_text_with_the_attribute_types(tmp_path):
    areas = voronoi_city(50)
    pts = random_points(3_000)
    when = pa.array(np.arange(len(pts)) * 1000, type=pa.timestamp("ms", tz="Asia/Shanghai"))
    table = pa.Table.from_pandas(pts, preserve_index=False).append_column("when", when)
    pq.write_table(table, tmp_path / "pts.parquet")
    locate_file(tmp_path / "pts.parquet", tmp_path / "out.parquet",
                BatchLookup.from_frame(areas), datum="cgcs2000", chunk_rows=1_000)
    back = pq.read_table(tmp_path / "out.parquet")
    assert back.schema.field("microgrid_id").type == pa.large_string()
    assert back.schema.field("when").type == pa.timestamp("ms", tz="Asia/Shanghai")
    assert back.column("when").equals(pa.chunked_array([when]))
    assert b"geo" in back.schema.metadata
    want = truth(areas, pts["lon"].to_numpy(), pts["lat"].to_numpy())
    assert back.column("microgrid_id").to_pylist() == want.tolist()
    # every answer column as the pandas answer of the same lookup says
    lookup = BatchLookup.from_frame(areas)
    frame = lookup.locate(pts["lon"].to_numpy(), pts["lat"].to_numpy())
    for name in lookup.columns:
        want_column = [None if pd.isna(v) else v for v in frame[name].tolist()]
        got_column = [None if v is None or v != v else v for v in back.column(name).to_pylist()]
        assert got_column == want_column, name


@pytest.mark.parametrize("values, unique", [
    (["MG-1", "MG-2", "MG-3"], True),
    (["G-1", None, "G-1", "G-2", None], False),
    ([310115001, 310115002, 310115001], False),
    ([7, 8, 9], True),
    (["甲", "乙", "乙", "丙"], False),
])
def test_labels_from_arrow_columns_equal_the_labels_from_objects(values, unique):
    from geogrid.batch.lookup import _arrow_labels, arrow_labels

    column = pa.chunked_array([pa.array(values[:2]), pa.array(values[2:], pa.array(values).type)])
    dictionary, code = arrow_labels(column, unique=unique)
    objects = np.empty(len(values) + 1, dtype=object)
    objects[:-1] = values
    want_dictionary, want_code = _arrow_labels(objects)
    assert dictionary.to_pylist() == want_dictionary.to_pylist()
    assert code.tolist() == want_code.tolist()
    assert code[-1] == -1                               # the entry for "no leaf"
    decoded = [None if c < 0 else dictionary[int(c)].as_py() for c in code[:-1]]
    assert decoded == [None if v is None else str(v) for v in values]


def test_labels_of_other_types_are_left_to_the_object_path():
    from geogrid.batch.lookup import _arrow_labels, arrow_labels

    assert arrow_labels(pa.array([1.5, 2.5])) is None
    dictionary, code = _arrow_labels(np.array([None, None, None], dtype=object))
    assert len(dictionary) == 0 and code.tolist() == [-1, -1, -1]


def test_row_estimate_of_a_csv_is_exact_when_short_and_close_when_long(tmp_path):
    from geogrid.batch.read import count_rows, estimate_rows

    short = tmp_path / "short.csv"
    short.write_text("pid,lon,lat\n1,121.5,31.2\n2,121.6,31.3")    # no final newline
    assert estimate_rows(short) == count_rows(short) + 1 == 2
    long = tmp_path / "long.csv"
    rows = [f"{i},{121.5 + i * 1e-7:.8f},{31.2:.8f}" for i in range(200_000)]
    long.write_text("pid,lon,lat\n" + "\n".join(rows) + "\n")
    assert abs(estimate_rows(long, sample=1 << 16) - 200_000) < 200_000 * 0.05
    (tmp_path / "empty.csv").write_text("")
    assert estimate_rows(tmp_path / "empty.csv") == 0
    assert estimate_rows(tmp_path / "missing.csv") is None


def test_stored_crs_of_the_output_is_what_pyproj_writes_for_epsg_4490():
    from pyproj import CRS

    from geogrid.batch.write import geo_metadata

    meta = json.loads(geo_metadata())
    assert meta["columns"]["geometry"]["crs"] == CRS.from_epsg(4490).to_json_dict()
    assert CRS.from_user_input(meta["columns"]["geometry"]["crs"]).to_epsg() == 4490
