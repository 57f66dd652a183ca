"""Build the Lujiazui demo street from the OSM layers in ``data/osm/lujiazui``.

Reproducible: same inputs, same outputs (run ``python scripts/build_demo.py``).
Writes ``data/boundaries/lujiazui_*.geojson``. All outputs are derived from
OpenStreetMap data: © OpenStreetMap contributors, ODbL 1.0.

Method
------
street
    The data's bounding box, cut along the Pudong/Huangpu district line
    (``boundaries.geojson``, ``name:left``/``name:right``) and the
    Pudong/Hongkou/Yangpu line, minus the Huangpu river's water polygons:
    the land of the Pudong part of the area covered.
grids
    The street is cut into blocks by the major roads (primary, secondary,
    tertiary; tunnels excluded), noded first because OSM lines are not. Each
    block joins the grid whose sketch (a rough polygon per grid, below) covers
    most of it, so grid boundaries run along real roads. Sketch lines follow
    浦东南路, 世纪大道, 东昌路, 银城中路, 昌邑路, 东方路, 浦城路 and 张杨路.
objects
    buildings (footprints and points), compounds (named residential landuse),
    shops, institutions and plazas (POIs and pedestrian landuse), address
    points. OSM has no households, so households are estimated and every
    estimate is flagged (``estimated`` = true, ``estimate_method`` says how):

    * residential building with a footprint: floors = height / 3 m (6 when
      unknown), households = footprint × floors × 0.75 / 60 m²;
    * residential compound with no footprints inside: households =
      compound area × FAR 1.6 × 0.75 / 60 m²;
    * population = households × 2.5 (Shanghai's mean household size).
data gaps
    The OSM dump has one missing tile in the heart of Lujiazui; it is written
    as ``lujiazui_data_gaps.geojson`` so reports can flag it.
data extent
    The street's edges along the data's rectangle are where the extract was cut,
    not the street's boundary: ``lujiazui_data_extent.geojson`` (flagged
    ``real_boundary`` = false, labelled 数据范围边界).
titles
    Every object gets a readable ``title``: its name, else its address (one 号),
    else its type and a serial (``未命名办公楼 #12``), never its OSM id.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Polygon, box

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "data" / "osm" / "lujiazui"
OUT = ROOT / "data" / "boundaries"
CRS = "EPSG:4490"  # OSM is WGS84; CGCS2000 equals it at this scale (see geogrid.crs)
ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0"
ADMIN = {"province": "上海市", "district": "浦东新区", "district_code": "310115",
         "street": "陆家嘴街道", "street_code": "310115005"}

# Rough sketches of the six grids (lon, lat); blocks snap to them by majority area.
SKETCHES = {
    ("陆家嘴金融城", "business"): [(121.47, 31.2322), (121.4992, 31.2322), (121.5094, 31.2353),
                               (121.5052, 31.2416), (121.5041, 31.2435), (121.4998, 31.2414),
                               (121.47, 31.2414)],
    ("滨江船厂带", "business"): [(121.47, 31.2414), (121.4998, 31.2414), (121.5056, 31.2439),
                             (121.5129, 31.2437), (121.53, 31.2437), (121.53, 31.26), (121.47, 31.26)],
    ("崂山住区", "residential"): [(121.5094, 31.2353), (121.5196, 31.2337), (121.5155, 31.2418),
                              (121.5152, 31.2437), (121.5056, 31.2439), (121.5041, 31.2435),
                              (121.5052, 31.2416)],
    ("梅园住区", "residential"): [(121.5152, 31.2437), (121.5155, 31.2418), (121.5196, 31.2337),
                              (121.513, 31.2345), (121.5154, 31.2269), (121.5154, 31.22),
                              (121.53, 31.22), (121.53, 31.2437)],
    ("新上海商业城", "business"): [(121.5049, 31.2353), (121.5094, 31.2353), (121.513, 31.2345),
                              (121.5144, 31.2302), (121.5096, 31.2285), (121.5058, 31.2338)],
    ("滨江住区", "residential"): [(121.47, 31.2322), (121.4992, 31.2322), (121.5049, 31.2353),
                              (121.5058, 31.2338), (121.5096, 31.2285), (121.5144, 31.2302),
                              (121.5154, 31.2269), (121.5154, 31.22), (121.47, 31.22)],
}
#: the data's real extent (tile edges), slightly inside the nominal box: where the extract
#: was cut, so the street's edges along it are straight cut lines, not its real boundary
EXTENT = (121.48132, 31.22689, 121.51978, 31.25038)
SNAP_SHARE = 0.8  # a block this much inside one sketch is not cut
MISSING_TILE = (121.498, 31.236, 121.507, 31.242)

SHOP_KINDS = {"restaurant", "cafe", "fast_food", "convenience", "supermarket", "bank", "jewelry",
              "clothes", "shop", "bakery", "pharmacy", "electronics", "books", "mobile_phone",
              "gift", "computer", "ice_cream", "bar", "pub", "fuel", "mall", "fitness"}
INSTITUTION_KINDS = {"school", "kindergarten", "hospital", "police", "government", "fire_station",
                     "post_office", "library", "embassy", "place_of_worship", "museum",
                     "arts_centre", "cinema"}
BUSINESS_TYPE = {
    "bank": "finance", "atm": "finance", "office": "office", "company": "office",
    "commercial": "office", "retail": "retail", "mall": "retail", "shop": "retail",
    "supermarket": "retail", "convenience": "retail", "clothes": "retail", "jewelry": "retail",
    "electronics": "retail", "computer": "retail", "mobile_phone": "retail", "books": "retail",
    "gift": "retail", "restaurant": "catering", "cafe": "catering", "fast_food": "catering",
    "bakery": "catering", "ice_cream": "catering", "bar": "catering", "pub": "catering",
    "hotel": "hotel", "hostel": "hotel", "museum": "culture", "arts_centre": "culture",
    "cinema": "culture", "attraction": "culture", "pharmacy": "retail", "fuel": "retail",
    "fitness": "retail",
}
FINANCE_WORDS = ("银行", "金融", "证券", "保险", "交易所", "基金", "信托", "Bank", "Financial")
RESIDENTIAL_DETAIL = {"residential", "apartments", "house"}


def read(name: str) -> gpd.GeoDataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gdf = gpd.read_file(SRC / f"{name}.geojson")
    return gdf.set_crs("EPSG:4326", allow_override=True).set_crs(CRS, allow_override=True)


def metric(gdf):
    return gdf.to_crs("+proj=tmerc +lat_0=31.24 +lon_0=121.5 +ellps=GRS80 +units=m")


def build_street() -> Polygon:
    lines = read("boundaries")
    # the data's real extent (tile edges), slightly inside the nominal box
    frame = box(*EXTENT)
    edges = shapely.snap(shapely.union_all(list(lines.geometry.values) + [frame.boundary]),
                         shapely.union_all(list(lines.geometry.values)), 1e-5)
    pieces = shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.node(edges))))
    pudong_point = shapely.Point(121.51, 31.235)
    street = next(p for p in pieces if p.contains(pudong_point))
    water = read("water")
    water = water[water.geom_type.isin(["Polygon", "MultiPolygon"]) & water["kind"].isin(
        ["water", "riverbank", "river"])]
    street = street.difference(shapely.union_all(water.geometry.values))
    # morphological opening (erode, then dilate, by ~2 cm) removes the zero-width spikes
    # that subtracting the river leaves along the tile edge
    street = shapely.buffer(shapely.buffer(street, -2e-7, join_style="mitre"), 2e-7,
                            join_style="mitre")
    # keep the main land piece (drop specks left between water polygons)
    parts = sorted(shapely.get_parts(street), key=lambda g: g.area, reverse=True)
    return shapely.set_precision(parts[0], 1e-7)


def major_roads(roads: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    keep = roads["kind_detail"].isin(["primary", "secondary", "tertiary", "trunk"])
    keep &= roads["is_tunnel"].isna() if "is_tunnel" in roads else True
    return roads[keep]


def build_grids(street: Polygon, roads: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    lines = list(major_roads(roads).geometry.values) + [street.boundary]
    noded = shapely.node(shapely.union_all(lines))
    blocks = [b for b in shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
              if street.contains(b.representative_point())]
    blocks = gpd.GeoDataFrame(geometry=blocks, crs=CRS)
    sketches = gpd.GeoDataFrame(
        {"name": [k[0] for k in SKETCHES], "kind": [k[1] for k in SKETCHES]},
        geometry=[Polygon(v) for v in SKETCHES.values()], crs=CRS,
    )
    mb, ms = metric(blocks), metric(sketches)
    overlap = np.array([[b.intersection(s).area for s in ms.geometry] for b in mb.geometry])
    share = overlap.max(axis=1) / np.maximum(mb.area.values, 1e-9)
    geoms = [[] for _ in range(len(sketches))]
    for block, row, sh in zip(blocks.geometry, overlap, share):
        if sh >= SNAP_SHARE:
            # a block mostly inside one sketch joins it whole: the boundary follows roads
            geoms[int(row.argmax())].append(block)
        else:
            # no road where the sketch draws a line: cut the block along the sketch
            for i, sketch in enumerate(sketches.geometry):
                piece = block.intersection(sketch)
                if not piece.is_empty:
                    geoms[i].append(piece)
    geoms = [shapely.union_all(g) for g in geoms]
    # tile the street exactly: whatever polygonize left out goes to the nearest grid
    rest = street.difference(shapely.union_all(geoms))
    for part in shapely.get_parts(rest):
        if part.is_empty:
            continue
        j = int(np.argmax([g.intersection(part.buffer(1e-6)).area for g in geoms]))
        geoms[j] = geoms[j].union(part)
    geoms = [shapely.set_precision(g, 1e-7) for g in geoms]
    geoms = _fix_overlaps(geoms)
    grids = sketches.drop(columns="geometry").copy()
    grids = gpd.GeoDataFrame(grids, geometry=[_as_multi(g) for g in geoms], crs=CRS)
    grids = _keep_largest_part(grids)
    grids["level"] = "grid"
    grids["parent_id"] = "street-lujiazui"
    # serials: west→east in bands north→south (see geogrid.codes for the rule used by plans)
    c = metric(grids).geometry.representative_point()
    order = np.lexsort((c.x.round(-2), -(c.y // 400)))
    grids = grids.iloc[order].reset_index(drop=True)
    grids["code"] = [f"{ADMIN['street_code']}{i + 1:03d}" for i in range(len(grids))]
    grids["id"] = [f"grid-{code}" for code in grids["code"]]
    return grids[["id", "level", "kind", "name", "code", "parent_id", "geometry"]]


def street_of(grids: gpd.GeoDataFrame) -> Polygon:
    """The street as the union of its grids, so that it holds their nodes.

    Where a road meets the street's edge, the grids share a node on it; snap-rounding the
    grids to 1e-7° moves that node off the street's straight edge by up to 0.5e-7°
    (about 5 mm). Along the 1.6–2.3 km edges of the data extent such a node leaves a
    hairline of 2–3 m² between street and grids. The street taking the rounded nodes
    (a move of at most 5 mm) makes the grids tile it exactly.
    """
    return shapely.set_precision(shapely.union_all(grids.geometry.values), 1e-7)


def _fix_overlaps(geoms):
    out = []
    taken = None
    for g in geoms:
        g2 = g if taken is None else g.difference(taken)
        out.append(g2)
        taken = g2 if taken is None else taken.union(g2)
    return out


def _as_multi(g):
    polys = [p for p in shapely.get_parts(g) if p.geom_type == "Polygon" and p.area > 0]
    return shapely.MultiPolygon(polys)


def _keep_largest_part(grids: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Give detached specks of a grid to the neighbour sharing most boundary."""
    geoms = list(grids.geometry.values)
    for _ in range(3):
        moved = False
        for i, g in enumerate(geoms):
            parts = sorted(shapely.get_parts(g), key=lambda p: p.area, reverse=True)
            for part in parts[1:]:
                shared = [0.0 if j == i else part.boundary.intersection(h.buffer(1e-7)).length
                          for j, h in enumerate(geoms)]
                j = int(np.argmax(shared))
                if shared[j] <= 0:
                    continue
                geoms[i] = geoms[i].difference(part)
                geoms[j] = geoms[j].union(part)
                moved = True
        if not moved:
            break
    grids = grids.copy()
    grids["geometry"] = [_as_multi(shapely.set_precision(g, 1e-7)) for g in geoms]
    return grids


def business_type(kind_detail, name, landuse_kind) -> str | None:
    name = name if isinstance(name, str) else ""
    if any(w in name for w in FINANCE_WORDS):
        return "finance"
    for key in (kind_detail, landuse_kind):
        if isinstance(key, str) and key in BUSINESS_TYPE:
            return BUSINESS_TYPE[key]
    return None


def house_address(street: str, number: str) -> str:
    """``浦东南路`` + ``100`` → ``浦东南路100号``; a number that already ends in 号 keeps one."""
    number = number.strip()
    return f"{street.strip()}{number}" + ("" if number.endswith("号") else "号")


#: how an unnamed, unaddressed object is titled: its type in Chinese and a serial
TYPE_TITLE = {"building": "楼宇", "shop": "商铺", "institution": "单位", "plaza": "广场",
              "address": "门牌", "compound": "小区"}
RESIDENTIAL_TITLE = "住宅楼"
OFFICE_TITLE = {"office": "办公楼", "finance": "金融楼宇", "retail": "商业楼", "catering": "餐饮楼",
                "hotel": "酒店", "culture": "文化场馆"}


def titles(objects: gpd.GeoDataFrame) -> list[str]:
    """A readable title per object: its name, else its address, else type and serial."""
    out, serial = [], {}
    for o in objects.itertuples():
        if isinstance(o.name, str) and o.name:
            out.append(o.name)
        elif isinstance(o.address, str) and o.address:
            out.append(o.address)
        else:
            kind = TYPE_TITLE.get(o.type, o.type)
            if o.type == "building":
                kind = OFFICE_TITLE.get(o.business_type, RESIDENTIAL_TITLE)
            serial[kind] = serial.get(kind, 0) + 1
            out.append(f"未命名{kind} #{serial[kind]}")
    return out


def build_objects(street: Polygon) -> gpd.GeoDataFrame:
    rows = []
    m = lambda g: metric(gpd.GeoSeries([g], crs=CRS)).iloc[0]  # noqa: E731
    landuse = read("landuse")
    compounds = landuse[(landuse["kind"] == "residential") & landuse["name"].notna()]
    compounds = compounds[compounds.geom_type.isin(["Polygon", "MultiPolygon"])]
    compounds = compounds.dissolve("name", as_index=False)
    compounds = compounds[compounds.intersects(street)]
    cgeom = {row["name"]: row.geometry for _, row in compounds.iterrows()}

    buildings = read("buildings")
    buildings = buildings[buildings["kind"].isin(["building", "address"])]
    buildings = buildings[buildings.intersects(street)]
    bpoly = buildings[buildings.geom_type == "Polygon"]
    in_compound = {}
    for _, b in bpoly.iterrows():
        for cname, cg in cgeom.items():
            if cg.contains(b.geometry.representative_point()):
                in_compound[b["id"]] = cname
    for _, b in buildings.iterrows():
        geom = b.geometry
        addr = None
        if isinstance(b.get("addr_street"), str) and isinstance(b.get("addr_housenumber"), str):
            addr = house_address(b["addr_street"], b["addr_housenumber"])
        if b["kind"] == "address":
            rows.append(dict(id=f"addr-{b['id']}", type="address", name=None, address=addr,
                             households=0.0, floors=None, business_type=None,
                             estimated=False, estimate_method=None, compound=None, geometry=geom))
            continue
        cname = in_compound.get(b["id"])
        detail = b.get("kind_detail")
        residential = (detail in RESIDENTIAL_DETAIL) or cname is not None or \
            b.get("landuse_kind") == "residential"
        height = b.get("height")
        floors = int(max(1, round(height / 3.0))) if pd.notna(height) else None
        households, estimated, method = 0.0, False, None
        if residential and geom.geom_type == "Polygon":
            f = floors or 6
            households = round(m(geom).area * f * 0.75 / 60.0, 1)
            estimated = True
            method = "footprint×floors×0.75/60m²" + ("" if floors else " (6 floors assumed)")
        btype = None if residential else business_type(detail, b.get("name"), b.get("landuse_kind"))
        if not residential and btype is None:
            btype = "office"
        rows.append(dict(id=f"bldg-{b['id']}", type="building",
                         name=b.get("name") if isinstance(b.get("name"), str) else None,
                         address=addr, households=households, floors=floors, business_type=btype,
                         estimated=estimated, estimate_method=method, compound=cname,
                         geometry=geom))

    for _, c in compounds.iterrows():
        has_footprints = any(v == c["name"] for v in in_compound.values())
        area = m(c.geometry).area
        households = 0.0 if has_footprints else round(area * 1.6 * 0.75 / 60.0, 1)
        rows.append(dict(id=f"cmpd-{abs(hash(c['name'])) % 10**8}" if False else f"cmpd-{c['id']}",
                         type="compound", name=c["name"], address=None,
                         households=households, floors=None, business_type=None,
                         estimated=not has_footprints,
                         estimate_method=None if has_footprints else "area×FAR1.6×0.75/60m²",
                         compound=c["name"], geometry=c.geometry))

    pois = read("pois")
    pois = pois[pois.intersects(street)]
    for _, p in pois.iterrows():
        kind = p["kind"]
        if kind in SHOP_KINDS:
            typ = "shop"
        elif kind in INSTITUTION_KINDS:
            typ = "institution"
        else:
            continue
        rows.append(dict(id=f"poi-{p['id']}", type=typ,
                         name=p["name"] if isinstance(p["name"], str) else None, address=None,
                         households=0.0, floors=None,
                         business_type=business_type(kind, p.get("name"), None),
                         estimated=False, estimate_method=None, compound=None, geometry=p.geometry))
    plazas = landuse[(landuse["kind"] == "pedestrian") & landuse["name"].notna()]
    plazas = plazas[plazas.geom_type.isin(["Polygon", "MultiPolygon"])].dissolve("name", as_index=False)
    for _, p in plazas[plazas.intersects(street)].iterrows():
        rows.append(dict(id=f"plaza-{p['id']}", type="plaza", name=p["name"], address=None,
                         households=0.0, floors=None, business_type=None, estimated=False,
                         estimate_method=None, compound=None, geometry=p.geometry))

    objects = gpd.GeoDataFrame(rows, crs=CRS)
    objects = objects.drop_duplicates("id").reset_index(drop=True)
    # objects must lie in the street: clip polygons, drop points outside
    objects = objects[objects.geometry.representative_point().within(street)].copy()
    objects["population"] = (objects["households"] * 2.5).round(1)
    objects["source"] = "osm"
    cid = {n: i for n, i in zip(objects.loc[objects.type == "compound", "name"],
                                 objects.loc[objects.type == "compound", "id"])}
    objects["compound_id"] = objects["compound"].map(cid)
    objects = objects.drop(columns="compound")
    objects["households"] = objects["households"].astype(float)
    objects["floors"] = objects["floors"].astype("Int64")
    objects = objects.sort_values("id").reset_index(drop=True)
    objects["title"] = titles(objects)
    return objects


def build_addresses() -> gpd.GeoDataFrame:
    """Every addressed OSM object in the data extent, both banks (for the gazetteer)."""
    b = read("buildings")
    b = b[b["addr_street"].notna() & b["addr_housenumber"].notna()].copy()
    b["geometry"] = b.geometry.representative_point()
    out = gpd.GeoDataFrame({
        "id": [f"addr-{i}" for i in b["id"]],
        "name": b["name"].where(b["name"].notna(), None),
        "addr_street": b["addr_street"], "addr_housenumber": b["addr_housenumber"],
    }, geometry=b.geometry.values, crs=CRS)
    out = out.drop_duplicates(["addr_street", "addr_housenumber", "name"]).drop_duplicates("id")
    return out.sort_values(["addr_street", "addr_housenumber", "id"]).reset_index(drop=True)


def build_roads() -> gpd.GeoDataFrame:
    r = read("roads")
    r = r[r["kind"].isin(["major_road", "minor_road", "path"])].copy()
    out = gpd.GeoDataFrame({
        "id": [f"road-{i}-{n}" for n, i in enumerate(r["id"])],
        "name": r["name"].where(r["name"].notna(), None),
        "kind": r["kind"], "kind_detail": r["kind_detail"],
        "oneway": r["oneway"].where(r["oneway"].notna(), None) if "oneway" in r else None,
        "is_tunnel": r["is_tunnel"].fillna(False).astype(bool) if "is_tunnel" in r else False,
        "is_bridge": r["is_bridge"].fillna(False).astype(bool) if "is_bridge" in r else False,
    }, geometry=r.geometry.values, crs=CRS)
    return out.reset_index(drop=True)


def build_extent_edges(street: Polygon) -> gpd.GeoDataFrame:
    """The street's edges along the data extent: flagged, labelled, never the street boundary."""
    import sys

    sys.path.insert(0, str(ROOT))
    from geogrid.communities import extent_edges

    lines = extent_edges(street, EXTENT)
    return gpd.GeoDataFrame({
        "id": [f"extent-{i + 1}" for i in range(len(lines.geoms))],
        "kind": "data_extent", "real_boundary": False,
        "label": "数据范围边界", "label_en": "data extent boundary",
        "note": "数据截取范围的直线边, 非街道实际边界 / a straight cut of the data extract, "
                "not the street's real boundary",
    }, geometry=list(lines.geoms), crs=CRS)


def write(gdf: gpd.GeoDataFrame, name: str) -> None:
    path = OUT / f"{name}.geojson"
    gdf = gdf.copy()
    gdf["geometry"] = shapely.set_precision(gdf.geometry.values, 1e-7)
    text = gdf.to_json(drop_id=True, ensure_ascii=False)
    data = json.loads(text)
    data["name"] = name
    data["attribution"] = ATTRIBUTION
    data["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}}
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    roads = read("roads")
    street = build_street()
    grids = build_grids(street, roads)
    street = street_of(grids)
    street_gdf = gpd.GeoDataFrame({
        "id": ["street-lujiazui"], "level": ["street"], "kind": ["mixed"],
        "name": [ADMIN["street"]], "code": [ADMIN["street_code"]], "parent_id": [None],
    }, geometry=[shapely.MultiPolygon([street])], crs=CRS)
    objects = build_objects(street)
    write(street_gdf, "lujiazui_street")
    write(grids, "lujiazui_grids")
    write(objects, "lujiazui_objects")
    write(build_roads(), "lujiazui_roads")
    write(build_addresses(), "lujiazui_addresses")
    gaps = gpd.GeoDataFrame({"reason": ["OSM tile missing from the source dump: no roads, "
                                        "buildings or POIs here"]},
                            geometry=[box(*MISSING_TILE).intersection(street)], crs=CRS)
    write(gaps, "lujiazui_data_gaps")
    write(build_extent_edges(street), "lujiazui_data_extent")
    mg = metric(grids)
    print(f"street: {metric(street_gdf).area.iloc[0] / 1e6:.2f} km²")
    for (_, g), a in zip(grids.iterrows(), mg.area):
        print(f"  {g['code']} {g['name']:8s} {g['kind']:12s} {a / 1e6:.3f} km² parts={len(g.geometry.geoms)}")
    print(objects.groupby("type").agg(n=("id", "size"), households=("households", "sum")))


if __name__ == "__main__":
    main()
