"""`geogrid locate` on real-world inputs: datum sense, lines and polygons,
plain Parquet, areas files with other column names, snapping only when asked."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from locate_helpers import random_points, truth, voronoi_city
from shapely.geometry import LineString, box
from typer.testing import CliRunner

from geogrid.batch import locate_file
from geogrid.cli import app
from geogrid.datum import from_storage
from geogrid.locate import PlanLocator


def _cli(*args):
    res = CliRunner().invoke(app, ["locate", *map(str, args)])
    assert "Traceback" not in res.output
    return res


def _stats(res) -> dict:
    return json.loads(res.stdout[res.stdout.index("{"):])


@pytest.fixture(scope="module")
def blocks(tmp_path_factory):
    """200 blocks of ~60 m with ~90 m streets between them, and points on the blocks."""
    work = tmp_path_factory.mktemp("blocks")
    step, size = 0.0015, 0.0006
    cells = [box(121.49 + i * step, 31.225 + j * step, 121.49 + i * step + size,
                 31.225 + j * step + size) for i in range(20) for j in range(10)]
    ids = [f"B{k:03d}" for k in range(len(cells))]
    areas = gpd.GeoDataFrame({"编号": ids, "名称": ids}, geometry=cells, crs="EPSG:4490")
    areas.to_file(work / "blocks.geojson")
    rng = np.random.default_rng(0)
    pick = rng.integers(0, len(cells), 3000)
    b = shapely.bounds(np.array(cells))[pick]
    lon = rng.uniform(b[:, 0], b[:, 2])
    lat = rng.uniform(b[:, 1], b[:, 3])
    pd.DataFrame({"pid": np.arange(3000).astype(str), "lon": lon, "lat": lat}).to_csv(
        work / "wgs.csv", index=False)
    return work


def test_points_that_fit_another_datum_far_better_stop_unless_forced(blocks):
    areas, pts = blocks / "blocks.geojson", blocks / "wgs.csv"
    res = _cli(pts, "-o", blocks / "o.parquet", "-d", "gcj02", "--areas", areas,
               "--id-column", "编号")
    assert res.exit_code == 2
    assert "wgs84" in res.output and "坐标系" in res.output and "--force" in res.output
    assert not (blocks / "o.parquet").exists()
    forced = _cli(pts, "-o", blocks / "o.parquet", "-d", "gcj02", "--areas", areas,
                  "--id-column", "编号", "--force")
    assert forced.exit_code == 0, forced.output
    assert "wgs84" in _stats(forced)["datum_warning"]
    right = _cli(pts, "-o", blocks / "ok.parquet", "-d", "wgs84", "--areas", areas,
                 "--id-column", "编号", "--name-column", "名称")
    assert right.exit_code == 0 and _stats(right)["located"] == 3000
    assert "datum_warning" not in _stats(right)


def test_the_areas_file_can_declare_its_own_datum(blocks, tmp_path):
    """Areas drawn on an Amap base map (GCJ-02) are shifted back with --areas-datum."""
    areas = gpd.read_file(blocks / "blocks.geojson")
    shifted = areas.geometry.apply(lambda g: shapely.transform(
        g, lambda xy: np.column_stack(from_storage(xy[:, 0], xy[:, 1], "gcj02"))))
    areas.set_geometry(shifted).to_file(tmp_path / "gcj_blocks.geojson")
    res = _cli(blocks / "wgs.csv", "-o", tmp_path / "o.csv", "-d", "wgs84", "--areas",
               tmp_path / "gcj_blocks.geojson", "--areas-datum", "gcj02", "--id-column", "编号")
    assert res.exit_code == 0, res.output
    assert _stats(res)["located"] >= 2990           # a few within ~1 mm of a block edge may round out


def test_lines_are_refused_without_a_rule_and_located_by_the_one_given(tmp_path):
    areas = voronoi_city(50, seed=3)
    a = areas.geometry.values
    start = shapely.point_on_surface(a[:20])
    end = shapely.point_on_surface(a[20:40])
    lines = [LineString([(p.x, p.y), (q.x, q.y)]) for p, q in zip(start, end)]
    gpd.GeoDataFrame({"pid": [str(i) for i in range(20)]}, geometry=lines,
                     crs="EPSG:4490").to_file(tmp_path / "lines.geojson")
    areas.to_file(tmp_path / "areas.geojson")
    refused = _cli(tmp_path / "lines.geojson", "-o", tmp_path / "o.csv", "-d", "wgs84",
                   "--areas", tmp_path / "areas.geojson")
    assert refused.exit_code == 2 and "--geometry-point" in refused.output
    assert "LineString" in refused.output and "非点" in refused.output
    for how, ends in (("first", start), ("last", end)):
        res = _cli(tmp_path / "lines.geojson", "-o", tmp_path / f"{how}.csv", "-d", "wgs84",
                   "--areas", tmp_path / "areas.geojson", "--geometry-point", how)
        assert res.exit_code == 0, res.output
        got = pd.read_csv(tmp_path / f"{how}.csv")
        want = truth(areas, shapely.get_x(ends), shapely.get_y(ends))
        assert got["microgrid_id"].tolist() == list(want)
    res = _cli(tmp_path / "lines.geojson", "-o", tmp_path / "c.csv", "-d", "wgs84",
               "--areas", tmp_path / "areas.geojson", "--geometry-point", "centroid")
    mid = shapely.centroid(np.array(lines))
    got = pd.read_csv(tmp_path / "c.csv")
    assert got["microgrid_id"].tolist() == list(truth(areas, shapely.get_x(mid), shapely.get_y(mid)))


@pytest.mark.parametrize("engine", ["pandas", "dask"])
def test_plain_parquet_with_lonlat_columns_is_read_as_points(tmp_path, engine):
    areas = voronoi_city(300)
    pts = random_points(30_000)
    pts.to_parquet(tmp_path / "pts.parquet")                  # no geo metadata
    stats = locate_file(tmp_path / "pts.parquet", tmp_path / "out.parquet", PlanLocator(areas),
                        datum="wgs84", engine=engine, chunk_rows=7_000)
    got = pd.read_parquet(tmp_path / "out.parquet")
    assert stats["rows"] == 30_000 == len(got)
    want = truth(areas, pts["lon"].to_numpy(), pts["lat"].to_numpy())
    assert got["microgrid_id"].fillna("-").tolist() == pd.Series(want).fillna("-").tolist()
    assert gpd.read_parquet(tmp_path / "out.parquet").crs.to_epsg() == 4490


def test_areas_file_without_level_code_or_id(tmp_path):
    areas = voronoi_city(40)
    pts = random_points(2000)
    pts.to_csv(tmp_path / "p.csv", index=False)
    areas[["id", "geometry"]].to_file(tmp_path / "bare.geojson")       # no level, no code
    res = _cli(tmp_path / "p.csv", "-o", tmp_path / "o.csv", "-d", "wgs84",
               "--areas", tmp_path / "bare.geojson")
    assert res.exit_code == 0, res.output
    got = pd.read_csv(tmp_path / "o.csv")
    want = truth(areas, pts["lon"].to_numpy(), pts["lat"].to_numpy())
    assert got["microgrid_id"].fillna("-").tolist() == pd.Series(want).fillna("-").tolist()
    areas.rename(columns={"id": "网格编号"})[["网格编号", "geometry"]].to_file(tmp_path / "zh.geojson")
    res = _cli(tmp_path / "p.csv", "-o", tmp_path / "o2.csv", "-d", "wgs84",
               "--areas", tmp_path / "zh.geojson")
    assert res.exit_code == 2 and "--id-column" in res.output and "网格编号" in res.output
    res = _cli(tmp_path / "p.csv", "-o", tmp_path / "o2.csv", "-d", "wgs84",
               "--areas", tmp_path / "zh.geojson", "--id-column", "编号不存在")
    assert res.exit_code == 2 and "编号不存在" in res.output
    res = _cli(tmp_path / "p.csv", "-o", tmp_path / "o2.csv", "-d", "wgs84",
               "--areas", tmp_path / "zh.geojson", "--id-column", "网格编号")
    assert res.exit_code == 0 and pd.read_csv(tmp_path / "o2.csv").equals(got)


def test_outside_points_get_distances_only_when_snapping_is_asked(tmp_path):
    areas = voronoi_city(100)
    pts = random_points(20_000, margin=0.01)
    pts.to_csv(tmp_path / "p.csv", index=False)
    loc = PlanLocator(areas)
    plain = locate_file(tmp_path / "p.csv", tmp_path / "a.csv", loc, datum="wgs84")
    a = pd.read_csv(tmp_path / "a.csv")
    outside = a["microgrid_id"].isna()
    assert plain["outside"] == outside.sum() > 1000
    assert a.loc[outside, "distance_m"].isna().all() and (a.loc[~outside, "distance_m"] == 0).all()
    locate_file(tmp_path / "p.csv", tmp_path / "b.csv", loc, datum="wgs84", snap_m=200)
    b = pd.read_csv(tmp_path / "b.csv")
    snapped = b["snapped"]
    assert snapped.any() and (b.loc[snapped, "distance_m"] <= 200).all()
    assert (b.loc[snapped, "distance_m"] > 0).all() and not b.loc[~outside, "snapped"].any()
    assert b["microgrid_id"].notna().sum() == (~outside).sum() + snapped.sum()


def test_a_coordinate_that_is_not_a_number_far_into_a_csv(tmp_path):
    areas = voronoi_city(100)
    pts = random_points(40_000)
    text = pts.astype(str)
    text.loc[35_000, "lon"] = "东经121度"
    text.to_csv(tmp_path / "p.csv", index=False)
    stats = locate_file(tmp_path / "p.csv", tmp_path / "o.parquet", PlanLocator(areas),
                        datum="wgs84", chunk_rows=5_000)
    got = pd.read_parquet(tmp_path / "o.parquet")
    assert stats["rows"] == 40_000 == len(got) and got["pid"].tolist() == text["pid"].tolist()
    want = truth(areas, pts["lon"].to_numpy(), pts["lat"].to_numpy())
    want[35_000] = None
    assert got["microgrid_id"].fillna("-").tolist() == pd.Series(want).fillna("-").tolist()


def test_building_footprints_tell_a_datum_mix_up_inside_a_full_tiling(tmp_path):
    """Microgrids that tile the whole extent cannot tell a 500 m shift; footprints can."""
    areas = voronoi_city(200)
    areas.to_file(tmp_path / "areas.geojson")
    rng = np.random.default_rng(3)
    centres = np.c_[rng.uniform(121.495, 121.515, 300), rng.uniform(31.23, 31.245, 300)]
    houses = gpd.GeoDataFrame({"id": [f"H{i}" for i in range(300)]},
                              geometry=[box(x - 0.0002, y - 0.0002, x + 0.0002, y + 0.0002)
                                        for x, y in centres], crs="EPSG:4490")
    houses.to_file(tmp_path / "houses.geojson")
    pick = rng.integers(0, 300, 2000)
    lon = centres[pick, 0] + rng.uniform(-0.00015, 0.00015, 2000)
    lat = centres[pick, 1] + rng.uniform(-0.00015, 0.00015, 2000)
    pd.DataFrame({"pid": np.arange(2000).astype(str), "lon": lon, "lat": lat}).to_csv(
        tmp_path / "p.csv", index=False)
    blind = _cli(tmp_path / "p.csv", "-o", tmp_path / "a.csv", "-d", "gcj02",
                 "--areas", tmp_path / "areas.geojson")
    assert blind.exit_code == 0, blind.output          # the tiling alone cannot tell
    seeing = _cli(tmp_path / "p.csv", "-o", tmp_path / "b.csv", "-d", "gcj02",
                  "--areas", tmp_path / "areas.geojson", "--buildings", tmp_path / "houses.geojson")
    assert seeing.exit_code == 2 and "wgs84" in seeing.output and "建筑" in seeing.output


def test_prefetched_items_keep_their_order_errors_and_stop_early():
    import threading

    from geogrid.batch.read import prefetched

    assert list(prefetched(iter(range(50)))) == list(range(50))
    assert list(prefetched(iter([]))) == []

    def failing():
        yield 1
        raise ValueError("row 2 is broken")

    got = []
    with pytest.raises(ValueError, match="row 2"):
        for item in prefetched(failing()):
            got.append(item)
    assert got == [1]

    closed = threading.Event()

    def endless():
        try:
            n = 0
            while True:
                yield n
                n += 1
        finally:
            closed.set()

    ahead = prefetched(endless())
    for item in ahead:
        if item == 3:
            break
    ahead.close()                       # the reader thread stops and the source is closed
    assert closed.wait(5)
    assert list(ahead) == []
    assert not [t for t in threading.enumerate() if t.name == "geogrid-read"]


def test_a_csv_comes_as_one_block_first_then_in_whole_chunks_in_order(tmp_path):
    """The first chunk is the first block pyarrow parses (located while the rest is
    read); the others hold at least ``chunk_rows`` rows, and nothing is lost or moved."""
    from geogrid.batch.read import iter_points

    pts = random_points(300_000)
    pts.to_csv(tmp_path / "p.csv", index=False)
    chunks = list(iter_points(tmp_path / "p.csv", chunk_rows=100_000))
    sizes = [c[0].num_rows for c in chunks]
    assert sizes[0] < 100_000 and all(s >= 100_000 for s in sizes[1:-1]) and sum(sizes) == 300_000
    assert np.array_equal(np.concatenate([c[1] for c in chunks]), pts["lon"].to_numpy())
    assert np.concatenate([c[0].column("pid").to_numpy(zero_copy_only=False)
                           for c in chunks]).tolist() == pts["pid"].tolist()
