"""Who handles an incident: the dispatch rules (派单规则).

Orders go straight to the microgrid (派单直接到微网格). :func:`assign`
applies these rules in order and says which one decided:

1. ``raise_hand``   — the microgrid raised its hand (举手): the named
   department (or the category's ``escalate_to``) takes over, the microgrid
   stays on as a participant.
2. ``department``   — the category needs a department's powers
   (网格出题、部门答题, e.g. 违法搭建 → 城管执法): the department leads, the
   microgrid(s) take part on site.
3. ``microgrid``    — the default: the team of the microgrid the incident is
   in, in the category's role (网格长 / 专职网格员 / 兼职网格员).
4. ``territorial``  — 属地兜底: nothing above matched (no microgrid, or a
   category missing from the catalogue): the nearest territorial unit that
   holds the point takes it — the microgrid's 网格长 if there is a
   microgrid, else the community, grid or street it lies in.

An incident that spans several microgrids (a flooded road, a noise complaint
across a block) gets a **lead** microgrid and **participants**:
:func:`lead_microgrid` picks the one containing the reported point, or with
the largest overlap for a line or area. Re-categorising or correcting the
location simply calls :func:`assign` again; the workflow records both
assignments (see :mod:`geogrid.dispatch.workflow`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from .._errors import InputError, OutOfCoverageError
from ..crs import metric_crs, require_storage_crs
from .catalogue import Catalogue, Category

__all__ = ["Lead", "Assignment", "assign", "raise_hand", "lead_microgrid", "RULES", "REASONS", "reason_text",
           "reason_in"]

#: Rule names, in the order :func:`assign` tries them.
RULES = ("raise_hand", "department", "microgrid", "territorial")


@dataclass(frozen=True)
class Lead:
    """Who leads an order: two orders with the same lead go to the same people.

    ``kind`` is ``"team"`` (a microgrid team role), ``"department"`` or
    ``"territorial"`` (a community / grid / street as 属地兜底); ``handler`` the
    role or department; ``unit`` the microgrid id, the department name or the
    territorial unit id.
    """

    kind: str
    handler: str
    unit: str


@dataclass(frozen=True)
class Assignment:
    """The result of dispatch rules: who leads (:class:`Lead`), who takes part, and why."""

    lead: Lead
    rule: str
    reason: str
    participants: tuple[str, ...] = ()
    must_attend: str | None = None

    @property
    def handler_kind(self) -> str:
        return self.lead.kind

    @property
    def handler(self) -> str:
        return self.lead.handler

    @property
    def unit(self) -> str:
        return self.lead.unit

    def to_dict(self) -> dict[str, Any]:
        return {"handler_kind": self.handler_kind, "handler": self.handler, "unit": self.unit,
                "rule": self.rule, "reason": self.reason, "participants": list(self.participants),
                "must_attend": self.must_attend}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Assignment:
        return cls(Lead(data["handler_kind"], data["handler"], str(data["unit"])), rule=data["rule"],
                   reason=data.get("reason", ""),
                   participants=tuple(str(p) for p in data.get("participants") or ()),
                   must_attend=data.get("must_attend"))

    def same_handler(self, other: Assignment | None) -> bool:
        """Whether ``other`` sends the order to the same unit in the same role."""
        return other is not None and self.lead == other.lead


#: why an order went where it went: Chinese first, English after (like error messages)
REASONS: dict[str, tuple[str, str]] = {
    "microgrid": ("派单到微网格: {category}由微网格团队处置 ({role})",
                  "Sent to the microgrid: {category} goes to its team ({role})"),
    "department": ("网格出题、部门答题: {category}需由{dept}处置",
                   "The grid asks, the department answers: {category} needs {dept}'s powers"),
    "raise_hand": ("举手: {unit}请{dept}接手", "Raised hand: {unit_en} asked {dept} to take over"),
    "territorial_no_category": ("属地兜底: 事项不在目录中, 由{unit}负责",
                                "Territorial: the category is not in the catalogue; {unit_en} "
                                "takes it"),
    "territorial_no_microgrid": ("属地兜底: 此处无微网格, 由{unit}负责",
                                 "Territorial: no microgrid at this location; {unit_en} takes it"),
}


def reason_text(key: str, lang: str | None = None, **values) -> str:
    """The reason ``key`` with ``values`` filled: ``"中文。English"`` (``lang`` None), or one language.

    >>> reason_text("raise_hand", unit="微网格", unit_en="the microgrid", dept="城管")
    '举手: 微网格请城管接手。Raised hand: the microgrid asked 城管 to take over'
    >>> reason_text("raise_hand", "en", unit="MG-1", unit_en="MG-1", dept="城管")
    'Raised hand: MG-1 asked 城管 to take over'
    """
    zh, en = (text.format(**values) for text in REASONS[key])
    return {"zh": zh, "en": en}.get(lang or "", f"{zh}。{en}")


def reason_in(reason: str, lang: str = "zh") -> str:
    """One language of a stored ``"中文。English"`` reason (older one-language reasons unchanged)."""
    zh, sep, en = reason.partition("。")
    return reason if not sep else (en if lang == "en" else zh)


def assign(category: Category | str | None, *, microgrid: str | None = None,
           participants: Sequence[str] = (), chain: Sequence[str] = (),
           catalogue: Catalogue | None = None, raise_hand_to: str | None = None) -> Assignment:
    """Apply the dispatch rules (see the module docstring).

    Parameters
    ----------
    category
        A :class:`Category`, or a key looked up in ``catalogue``; an unknown
        key (or ``None``) falls through to the territorial rule.
    microgrid
        The lead microgrid (the one the incident is in), if any.
    participants
        Other microgrids the incident touches.
    chain
        The territorial units above the point, nearest first (community,
        grid, street), used when there is no microgrid.
    raise_hand_to
        A department the microgrid asks to take over (举手).

    Raises
    ------
    OutOfCoverageError
        when there is neither a microgrid nor a territorial unit.
    """
    cat = category if isinstance(category, Category) else None
    if cat is None and category is not None and catalogue is not None:
        cat = catalogue.find(str(category))
    parts = tuple(p for p in dict.fromkeys(str(p) for p in participants) if p != microgrid)
    local = ((microgrid,) if microgrid else ()) + parts
    must = cat.must_attend.value if cat is not None and cat.must_attend else None
    if raise_hand_to is not None or (cat is not None and cat.needs_department):
        dept = raise_hand_to or cat.handler
        if catalogue is not None and not catalogue.is_department(dept):
            depts = ", ".join(catalogue.departments)
            raise InputError(f"部门 {dept!r} 不在事件目录的部门中。department {dept!r} is not in "
                             "the catalogue's departments.", field="department", value=dept,
                             fix=f"部门取以下之一: {depts}。Use one of: {depts}.")
        if raise_hand_to is not None:
            rule, reason = "raise_hand", reason_text("raise_hand", unit="微网格", unit_en="the microgrid",
                                                     dept=dept)
        else:
            rule, reason = "department", reason_text("department", category=cat.name, dept=dept)
        return Assignment(Lead("department", dept, dept), rule, reason, local, must)
    if cat is not None and microgrid:
        return Assignment(Lead("team", cat.handler, str(microgrid)), "microgrid",
                          reason_text("microgrid", category=cat.name, role=cat.handler), parts, must)
    # 属地兜底
    why = "no_category" if cat is None else "no_microgrid"
    if microgrid:
        return Assignment(Lead("team", "网格长", str(microgrid)), "territorial",
                          reason_text(f"territorial_{why}", unit="本微网格网格长",
                                      unit_en="the microgrid's 网格长 (grid leader)"), parts, must)
    units = [str(u) for u in chain if u]
    if not units:
        raise OutOfCoverageError(
            "事件不在任何微网格或属地单位内, 无人可接。the incident is in no microgrid and no "
            "territorial unit, so no one can take it.", field="location",
            fix="核对坐标及其坐标系, 或给出 chain=(街道 id,)。Check the coordinates and their "
                "datum, or pass chain=(street_id,).")
    return Assignment(Lead("territorial", "负责人", units[0]), "territorial",
                      reason_text(f"territorial_{why}", unit=units[0], unit_en=units[0]), parts, must)


def raise_hand(current: Assignment, department: str, *, catalogue: Catalogue | None = None) -> Assignment:
    """The assignment after a microgrid raises its hand to ``department`` (举手).

    The department leads; the microgrid that raised its hand and the earlier
    participants stay on.
    """
    if catalogue is not None and not catalogue.is_department(department):
        depts = ", ".join(catalogue.departments)
        raise InputError(f"部门 {department!r} 不在事件目录的部门中。department {department!r} is "
                         "not in the catalogue's departments.", field="department",
                         value=department, fix=f"部门取以下之一: {depts}。Use one of: {depts}.")
    keep = ((current.unit,) if current.handler_kind != "department" else ()) + current.participants
    parts = tuple(p for p in dict.fromkeys(keep) if p != department)
    return Assignment(Lead("department", department, department), "raise_hand",
                      reason_text("raise_hand", unit=current.unit, unit_en=current.unit, dept=department),
                      parts, current.must_attend)


def lead_microgrid(geometry: BaseGeometry, microgrids: gpd.GeoDataFrame, *, id_column: str = "id",
                   min_share: float = 0.0) -> tuple[Any, tuple[Any, ...], dict[Any, float]]:
    """The lead microgrid of an incident and the others it touches.

    A point goes to the microgrid that covers it (on a shared edge: the
    smallest id, as :mod:`geogrid.locate` does) and has no participants. A
    line or area is shared by overlap — length for lines, area for polygons,
    measured in a local metric CRS — and the largest share leads. Shares
    below ``min_share`` are dropped.

    Returns ``(lead, participants, shares)``; ``lead`` is ``None`` when the
    geometry touches no microgrid.
    """
    require_storage_crs(microgrids, "microgrids")
    if id_column not in microgrids.columns:
        raise InputError(f"microgrids has no column {id_column!r}.", field=id_column,
                         value=list(microgrids.columns), fix="Pass id_column=...")
    if geometry is None or shapely.is_empty(geometry):
        raise InputError("geometry is empty.", field="geometry", fix="Pass the incident's point, line or area.")
    ids = microgrids[id_column].to_numpy()
    geoms = microgrids.geometry.to_numpy()
    hits = microgrids.sindex.query(geometry, predicate="intersects")
    if len(hits) == 0:
        return None, (), {}
    dim = shapely.get_dimensions(geometry)
    if dim == 0:
        order = sorted(hits.tolist(), key=lambda i: (str(ids[i]), i))
        return ids[order[0]], (), {ids[order[0]]: 1.0}
    crs = metric_crs(microgrids)
    series = gpd.GeoSeries([geometry], crs=microgrids.crs).to_crs(crs)
    g = series.iloc[0]
    parts = gpd.GeoSeries(geoms[hits], crs=microgrids.crs).to_crs(crs).to_numpy()
    inter = shapely.intersection(parts, g)
    size = shapely.length(inter) if dim == 1 else shapely.area(inter)
    total = size.sum()
    if total <= 0:  # touches edges only
        order = sorted(hits.tolist(), key=lambda i: (str(ids[i]), i))
        return ids[order[0]], tuple(ids[i] for i in order[1:]), {ids[i]: 0.0 for i in order}
    share = size / total
    order = np.lexsort((np.array([str(ids[i]) for i in hits]), -share))
    kept = [k for k in order if share[k] > 0 and share[k] >= min_share] or [order[0]]
    shares = {ids[hits[k]]: float(share[k]) for k in kept}
    return ids[hits[kept[0]]], tuple(ids[hits[k]] for k in kept[1:]), shares
