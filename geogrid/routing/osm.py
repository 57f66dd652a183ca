"""Read an OSM XML file of an already noded road network (such as an OSMnx export).

Road data © OpenStreetMap contributors (ODbL).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from os import PathLike
from typing import IO, Iterable

import numpy as np
from pyproj import Transformer

from .._errors import InputError
from ..crs import STORAGE_CRS
from .graph import RoadGraph, _assemble, _check_weight, _metric_crs_for, _speed_kmh, parse_oneway

__all__ = ["read_osm_xml"]


# --------------------------------------------------------------------------- OSM XML


def read_osm_xml(source: str | PathLike | IO[bytes], *, weight: str = "length",
                 respect_oneway: bool = True, highways: Iterable[str] | None = None,
                 default_speed_kmh: float | None = None) -> RoadGraph:
    """Read an OSM XML file of a noded road network (e.g. an OSMnx export).

    Every ``<node>`` becomes a graph node (so the node count matches the
    file; nodes that no way uses stay isolated and are never snapped to) and
    every pair of consecutive nodes of a ``<way>`` a segment. Ways keep their
    ``highway``, ``oneway``, ``name`` and ``maxspeed``; ``highways`` limits
    the ways read to those classes.
    """
    _check_weight(weight)
    wanted = set(highways) if highways is not None else None
    ids, lon, lat, ways = _parse(source)
    node_ids = np.asarray(ids, np.int64)
    order = np.argsort(node_ids)
    notes: list[str] = []
    seg_a: list[int] = []
    seg_b: list[int] = []
    ow: list[int] = []
    spd: list[float] = []
    names: list[str | None] = []
    kinds: list[str | None] = []
    missing = bad_oneway = skipped = 0
    for refs, tags in ways:
        hw = tags.get("highway")
        if wanted is not None and hw not in wanted:
            skipped += 1
            continue
        pos = np.searchsorted(node_ids, refs, sorter=order)
        pos = np.minimum(pos, len(order) - 1)
        idx = order[pos]
        ok = node_ids[idx] == np.asarray(refs, np.int64)
        if not ok.all():
            missing += int((~ok).sum())
        code = parse_oneway(tags.get("oneway")) if respect_oneway else 0
        if code is None:
            bad_oneway += 1
            code = 0
        if respect_oneway and code == 0 and tags.get("junction") in ("roundabout", "circular") \
                and tags.get("oneway") is None:
            code = 1
        speed = _speed_kmh(tags.get("maxspeed"), hw, default=default_speed_kmh)
        idx = idx.tolist()
        okl = ok.tolist()
        for k in range(len(idx) - 1):
            if okl[k] and okl[k + 1] and idx[k] != idx[k + 1]:
                seg_a.append(idx[k])
                seg_b.append(idx[k + 1])
                ow.append(code)
                spd.append(speed)
                names.append(tags.get("name"))
                kinds.append(hw)
    if missing:
        notes.append(f"ignored {missing} way reference(s) to nodes missing from the file")
    if bad_oneway:
        notes.append(f"treated {bad_oneway} unrecognised oneway value(s) as two-way")
    if skipped:
        notes.append(f"skipped {skipped} way(s) outside the requested highway classes")
    isolated = len(ids) - len(set(seg_a) | set(seg_b))
    if isolated:
        notes.append(f"{isolated} node(s) are used by no way and stay isolated")
    crs = _metric_crs_for(lon, lat)
    fwd = Transformer.from_crs(STORAGE_CRS, crs, always_xy=True)
    x, y = fwd.transform(lon, lat)
    node_xy = np.column_stack([x, y])
    a = np.asarray(seg_a, np.int64)
    b = np.asarray(seg_b, np.int64)
    pairs = np.column_stack([a, b]).ravel()
    offsets = np.arange(0, 2 * len(a) + 1, 2, dtype=np.int64)
    return _assemble(
        node_lonlat=np.column_stack([lon, lat]), node_xy=node_xy, node_ids=node_ids, crs=crs,
        seg_a=a, seg_b=b, offsets=offsets, coords_lonlat=np.column_stack([lon[pairs], lat[pairs]]),
        coords_xy=node_xy[pairs], oneway=np.asarray(ow, np.int8), speed_kmh=np.asarray(spd, float),
        names=np.asarray(names, object), kinds=np.asarray(kinds, object), weight=weight, notes=notes)


def _parse(source) -> tuple[list[int], np.ndarray, np.ndarray, list[tuple[list[int], dict[str, str]]]]:
    """Node ids, lon, lat and ``(node refs, tags)`` per way, streamed with ``iterparse``."""
    ids: list[int] = []
    lons: list[float] = []
    lats: list[float] = []
    ways: list[tuple[list[int], dict[str, str]]] = []
    try:
        for _, elem in ET.iterparse(source, events=("end",)):
            tag = elem.tag
            if tag == "node":
                ids.append(int(elem.get("id")))
                lons.append(float(elem.get("lon")))
                lats.append(float(elem.get("lat")))
                elem.clear()
            elif tag == "way":
                refs = [int(nd.get("ref")) for nd in elem.iter("nd")]
                tags = {t.get("k"): t.get("v") for t in elem.iter("tag")}
                ways.append((refs, tags))
                elem.clear()
    except ET.ParseError as exc:
        raise InputError(f"source 不是有效的 OSM XML 文件 / source is not valid OSM XML: {exc}.", field="source",
                         fix="请传入 .osm XML 文件 (OSMnx 的 save_graph_xml 可生成) / "
                             "Pass an .osm XML file (OSMnx save_graph_xml writes one).") from None
    if not ids:
        raise InputError("source 中没有 <node> 元素 / source has no <node> elements.", field="source",
                         fix="请传入含节点和路段的 OSM XML 文件 / Pass an OSM XML file with nodes and ways.")
    return ids, np.asarray(lons), np.asarray(lats), ways
