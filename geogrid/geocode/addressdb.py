"""The address database (标准地址库), before it is stored: keys, checks and candidates.

A street office keeps its own list of standard addresses, and dispatchers
confirm thousands of incident locations a year. Both become rows of the
address database, which the gazetteer reads as its ``addresses`` frame.
This module is the pure part: it turns a frame read from a file into rows
with a normalised key and provenance, and reports every address it cannot
read, all at once; storage is :mod:`geogrid.store.addresses`.

Key
---
``address_key`` is the normalised address (:func:`~geogrid.geocode.normalise`),
plus ``|`` and the normalised name when the rows carry names: a mall holds
many named shops at one address, a standard address list one point per
address. Importing the same file twice changes nothing (idempotent); a row
whose key exists replaces it.

A row is unparsable when its address names no road, compound or place and
no number (``[]``, ``附近``, a bare metro line list).

>>> import geopandas as gpd
>>> from shapely.geometry import Point
>>> f = gpd.GeoDataFrame({"address": ["崂山路638弄1号", "[]"]},
...     geometry=[Point(121.51, 31.23), Point(121.51, 31.23)], crs="EPSG:4490")
>>> rows, problems = prepare_addresses(f, source="街道标准地址库", source_date="2026-11-01",
...                                    licence="内部")
>>> rows["key"].tolist(), [p.reason for p in problems]
(['崂山路638弄1号'], ['地址无法解析 / the address names no road, place or number: []'])
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import InputError, ValidationProblem
from ..crs import require_storage_crs
from .address import normalise, parse_address

__all__ = ["LEARNING_MODES", "address_key", "confirmed_candidate", "prepare_addresses"]

#: how confirmed incident locations join the gazetteer
LEARNING_MODES = ("auto", "review")


def address_key(address: str, name: str | None = None) -> str:
    """Normalised key of an address (and of a name at it, when given)."""
    key = normalise(address)
    if name is not None and not (isinstance(name, float) and np.isnan(name)) and str(name).strip():
        key += "|" + normalise(str(name))
    return key


def _readable(text: str) -> bool:
    p = parse_address(text)
    return bool(p.road or p.compound or p.poi or p.intersection) and not (
        p.metro_lines and not p.road)


def prepare_addresses(frame: gpd.GeoDataFrame, *, address_column: str = "address",
                      name_column: str | None = None, building_column: str | None = None,
                      compound_column: str | None = None, source: str, source_date: str,
                      licence: str) -> tuple[gpd.GeoDataFrame, list[ValidationProblem]]:
    """Rows ready to store (key, address, name, provenance, point) and every unparsable row.

    ``frame`` must be in the storage CRS (read it with :func:`geogrid.io.read_frame`
    and a declared datum). Rows with a missing point or an unreadable address
    are reported, not stored. Within the frame the last row of a key wins.
    ``building_column`` / ``compound_column`` carry the source's own building
    and compound identifiers into ``building_id`` / ``compound_id``.
    """
    require_storage_crs(frame, "addresses")
    for col, opt in ((address_column, "--address-col"), (name_column, "--name-col"),
                     (building_column, "--building-col"), (compound_column, "--compound-col")):
        if col is not None and col not in frame.columns:
            raise InputError(f"文件中没有列 {col!r} / column {col!r} is not in the file; it has "
                             f"{list(frame.columns)[:12]}.",
                             field=opt, value=col, fix=f"Pass {opt} with one of those columns.")
    for value, opt in ((source, "--source"), (source_date, "--source-date"),
                       (licence, "--licence")):
        if not value or not str(value).strip():
            raise InputError(f"缺少 {opt} / {opt} is required: every address keeps its provenance.",
                             field=opt, value=value,
                             fix=f"Pass {opt} (来源 / 日期 / 许可), e.g. {opt} '街道标准地址库'.")
    problems: list[ValidationProblem] = []
    keep, keys = [], []
    names = frame[name_column].tolist() if name_column else [None] * len(frame)
    pts = frame.geometry.representative_point()
    for i, (idx, text, name) in enumerate(zip(frame.index, frame[address_column].tolist(), names)):
        text = "" if text is None or (isinstance(text, float) and np.isnan(text)) else str(text)
        geom = frame.geometry.iloc[i]
        if geom is None or geom.is_empty:
            problems.append(ValidationProblem(idx, "geometry", "坐标缺失 / no point for this row"))
        elif not text.strip() or not _readable(text):
            problems.append(ValidationProblem(
                idx, address_column,
                f"地址无法解析 / the address names no road, place or number: {text}"))
        else:
            keep.append(i)
            keys.append(address_key(text, name))
    rows = gpd.GeoDataFrame({
        "key": keys,
        "address": [str(frame[address_column].iloc[i]) for i in keep],
        "name": [None if names[i] is None or pd.isna(names[i]) else str(names[i]) for i in keep],
        "building_id": _ids(frame, building_column, keep),
        "compound_id": _ids(frame, compound_column, keep),
        "source": source, "source_date": str(source_date), "licence": licence,
    }, geometry=[pts.iloc[i] for i in keep], crs=frame.crs)
    rows = rows.drop_duplicates("key", keep="last").reset_index(drop=True)
    return rows, problems


def _ids(frame: pd.DataFrame, column: str | None, keep: list[int]) -> list[str | None]:
    if column is None:
        return [None] * len(keep)
    values = frame[column].tolist()
    return [None if pd.isna(values[i]) else str(values[i]) for i in keep]


def confirmed_candidate(address: str, lon: float, lat: float, *, actor: str,
                        incident_id: str | int | None, mode: str) -> dict:
    """The address-database row a dispatcher's confirmed location becomes.

    ``mode`` is ``"auto"`` (the row is active at once) or ``"review"`` (it is a
    candidate until someone approves it). The row records who confirmed it and
    for which incident.
    """
    if mode not in LEARNING_MODES:
        raise InputError(f"未知的学习模式 / learning mode {mode!r} is not known.",
                         field="geocode_learning",
                         value=mode, fix="Use 'auto' or 'review'.")
    if not (np.isfinite(lon) and np.isfinite(lat)):
        raise InputError(f"坐标无效 / lon/lat must be finite, got ({lon}, {lat}).", field="lon/lat",
                         value=(lon, lat), fix="Pass the confirmed CGCS2000 point.")
    if not address or not _readable(str(address)):
        raise InputError(f"地址无法解析 / the address {address!r} names no road, place or number.",
                         field="address", value=address, fix="Record the address as written.")
    return {"key": address_key(address), "address": str(address), "name": None,
            "source": "confirmed", "source_date": pd.Timestamp.now(tz="UTC").date().isoformat(),
            "licence": "internal", "status": "active" if mode == "auto" else "candidate",
            "confirmed_by": actor, "incident_id": None if incident_id is None else str(incident_id),
            "lon": float(lon), "lat": float(lat)}
