"""A small Hangzhou-style plan, shaped like the real ones street offices keep.

街道 → 社区 → 网格 in one GeoPackage, one layer per level, with Chinese columns
(名称, 编码, 上级编码, 所属组织), local codes such as ``SQ-3-2`` and the flaws real
files have: a gap between the street and its communities, a self-intersecting grid,
a duplicate code and a multipart grid.
"""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

CRS = "EPSG:4490"
STREET = shapely.box(120.100, 30.250, 120.140, 30.280)
SQ1 = shapely.box(120.100, 30.250, 120.120, 30.280)
SQ3 = shapely.box(120.120, 30.250, 120.138, 30.280)  # 120.138–120.140: the gap
#: 一网格 reaches east between the two pieces of 二网格, and its ring crosses itself
#: in a bow-tie on the west edge: "Self-intersection"
BOWTIE = shapely.Polygon([(120.100, 30.250), (120.110, 30.250), (120.110, 30.265),
                          (120.120, 30.265), (120.120, 30.270), (120.110, 30.270),
                          (120.110, 30.280), (120.100, 30.280), (120.100, 30.266),
                          (120.1005, 30.264), (120.100, 30.264), (120.1005, 30.266),
                          (120.100, 30.266)])
#: a grid in two pieces (a 飞地 across 一网格): multipart
TWO_PIECES = shapely.MultiPolygon([shapely.box(120.110, 30.250, 120.120, 30.265),
                                   shapely.box(120.110, 30.270, 120.120, 30.280)])
GAP_M2_MIN = 0.002 * 0.030 * 96_000 * 111_000 * 0.9  # ≈ 190 m × 3.3 km, a generous floor


def hangzhou_layers() -> dict[str, gpd.GeoDataFrame]:
    street = gpd.GeoDataFrame({"名称": ["留下街道"], "编码": ["330106001"], "上级编码": [None],
                               "所属组织": ["西湖区"]}, geometry=[STREET], crs=CRS)
    communities = gpd.GeoDataFrame({
        "名称": ["杨家牌楼社区", "屏峰社区"], "编码": ["SQ-1", "SQ-3"],
        "上级编码": ["330106001", "330106001"], "所属组织": ["留下街道", "留下街道"],
    }, geometry=[SQ1, SQ3], crs=CRS)
    grids = gpd.GeoDataFrame({
        "名称": ["一网格", "二网格", "三网格", "四网格"],
        "编码": ["SQ-1-1", "SQ-1-2", "SQ-3-1", "SQ-3-1"],  # the last is a duplicate (SQ-3-2)
        "上级编码": ["SQ-1", "SQ-1", "SQ-3", "SQ-3"],
        "所属组织": ["杨家牌楼社区", "杨家牌楼社区", "屏峰社区", "屏峰社区"],
    }, geometry=[BOWTIE, TWO_PIECES, shapely.box(120.120, 30.250, 120.138, 30.265),
                 shapely.box(120.120, 30.265, 120.138, 30.280)], crs=CRS)
    return {"街道": street, "社区": communities, "网格": grids}


@pytest.fixture
def hangzhou_gpkg(tmp_path):
    path = tmp_path / "liuxia.gpkg"
    for name, frame in hangzhou_layers().items():
        frame.to_file(path, layer=name, driver="GPKG")
    return path


#: the one documented command line (README, CLI section)
HZ_ARGS = ["-d", "cgcs2000", "--levels", "街道=street,社区=community,网格=grid",
           "--name-column", "名称", "--code-column", "编码", "--parent-column", "上级编码"]
#: what a draft with its real flaws needs to be written: repairs listed, problems kept
WRITE = ["--street-code", "330106001", "--repair", "--with-problems", "--commit"]


@pytest.fixture
def cli_store(tmp_path, monkeypatch):
    """A fresh embedded store behind the CLI."""
    from geogrid.settings import get_settings
    from geogrid.store import open_store

    monkeypatch.setenv("GEOGRID_DATABASE_URL", f"sqlite:///{tmp_path / 'plans.sqlite'}")
    get_settings.cache_clear()
    yield open_store
    get_settings.cache_clear()
