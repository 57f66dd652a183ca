"""Public data for the embed: areas with their public contact point, and suppressed incident counts.

Nothing here needs sign-in and nothing here is personal:

* ``/public/areas`` — the active plan's areas with name, code, level, a
  label point inside each, and
  the *public* contact of the team that covers them (team name, role,
  office phone, hours), taken from the teams' ``public_contact`` and the
  areas' ``team`` JSON through an allow-list of keys. An area without its
  own team shows its nearest ancestor's (属地兜底), marked ``inherited``.
* ``/public/stats`` — incident counts per area and category over the last
  ``days`` days. Counts below :data:`THRESHOLD` are reported as ``"<3"``;
  categories that fall below it are pooled into ``other``. No position,
  text, reporter or incident id ever leaves.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query

from geogrid.store import schema as S
from geogrid.store.repo import now

from ..deps import StateDep
from ..geojson import feature_collection, plain
from ..responses import GeoJSONResp, JSONResp
from .plans import ATTRIBUTION, LevelQ

router = APIRouter(prefix="/public", tags=["public"])

#: counts below this are reported as "<3" (re-identification guard)
THRESHOLD = 3
SUPPRESSED = f"<{THRESHOLD}"
#: keys of a contact that are public by design; anything else is dropped
CONTACT_KEYS = ("role", "office_phone", "hours")
LEVELS = ("street", "grid", "community", "microgrid", "building_group")
PUBLIC_FIELDS = ["id", "level", "kind", "name", "code", "parent_id", "contact", "label"]


def _clean_contact(raw: Any, team: str | None = None) -> dict | None:
    """The allow-listed public keys of a contact dict (``phone`` of a team office is accepted
    as ``office_phone`` only from the teams table, where it is public by design)."""
    if not isinstance(raw, dict):
        return None
    out = {k: str(raw[k])[:64] for k in CONTACT_KEYS if raw.get(k) not in (None, "")}
    if team:
        out["team"] = str(team)[:100]
    return out or None


def team_contacts(store) -> dict[str, dict]:
    """Area code → public contact, from the teams table."""
    t = S.teams.c
    with store.read() as conn:
        rows = conn.execute(sa.select(t.area_code, t.name, t.public_contact)).all()
    out = {}
    for code, name, contact in rows:
        contact = dict(contact or {})
        if "office_phone" not in contact and "phone" in contact:
            contact["office_phone"] = contact["phone"]
        cleaned = _clean_contact(contact, name)
        if cleaned:
            out[str(code)] = cleaned
    return out


def public_areas_frame(areas, contacts: dict[str, dict]):
    """``areas`` with a ``contact`` column: own team, else the nearest ancestor's (inherited)."""
    own: dict[str, dict | None] = {}
    for rec in areas[["id", "code", "team"]].to_dict("records"):
        own[rec["id"]] = contacts.get(str(rec["code"])) or _clean_contact(rec["team"])
    parent = dict(zip(areas["id"], areas["parent_id"]))
    names = dict(zip(areas["id"], areas["name"]))

    def resolve(aid: str) -> dict | None:
        cur, hops = aid, 0
        while cur is not None and hops < 8:
            if own.get(cur):
                c = dict(own[cur])
                if cur != aid:
                    c["inherited"] = True
                    c["from"] = names.get(cur)
                return c
            cur, hops = parent.get(cur), hops + 1
        return None

    out = areas.copy()
    out["contact"] = [resolve(a) for a in areas["id"]]
    return out


@router.get("/areas", summary="Areas of the active plan with public contacts (no personal data)",
            response_class=GeoJSONResp, responses={200: {"content": {"application/geo+json": {}}}})
def public_areas(state: StateDep, level: LevelQ = None):
    areas = state.plan_data(state.active_plan_id()).areas
    # contacts are read per request: a team's new office phone shows at once
    frame = public_areas_frame(areas, team_contacts(state.store))
    if level:
        frame = frame[frame["level"] == level]
    pts = frame.geometry.representative_point()
    frame = frame.assign(label=[[round(p.x, 6), round(p.y, 6)] for p in pts])  # where to put a name
    return GeoJSONResp(feature_collection(frame, PUBLIC_FIELDS, precision=6,
                                          attribution=ATTRIBUTION),
                       media_type="application/geo+json")


def _suppress(n: int) -> int | str:
    return n if n >= THRESHOLD else SUPPRESSED


def incident_chains(store, since) -> list[tuple[str, dict]]:
    """(category, area_chain) of every incident reported since ``since`` that was not merged."""
    c = S.incidents.c
    q = sa.select(c.category, c.area_chain).where(c.reported_at >= since, c.merged_into.is_(None))
    with store.read() as conn:
        return [(row[0], row[1] or {}) for row in conn.execute(q)]


def aggregate(rows: list[tuple[str, dict]], area_ids: set[str]) -> dict[str, Counter]:
    """Area id → Counter of categories, every incident counted in each area of its chain."""
    out: dict[str, Counter] = defaultdict(Counter)
    for category, chain in rows:
        for level in LEVELS:
            area = chain.get(level) if isinstance(chain, dict) else None
            aid = area.get("id") if isinstance(area, dict) else None
            if aid in area_ids:
                out[aid][category] += 1
    return out


def suppressed_counts(counts: Counter) -> dict[str, Any]:
    """Total and per-category counts with small numbers suppressed and pooled into ``other``."""
    total = sum(counts.values())
    shown = {cat: n for cat, n in counts.items() if n >= THRESHOLD}
    rest = total - sum(shown.values())
    by_category: dict[str, int | str] = dict(sorted(shown.items(), key=lambda kv: -kv[1]))
    if rest:
        by_category["other"] = _suppress(rest)
    return {"total": _suppress(total), "by_category": by_category if total >= THRESHOLD else {}}


@router.get("/stats",
            summary="Incident counts per area and category (counts below 3 shown as '<3')")
def public_stats(state: StateDep,
                 days: Annotated[int, Query(ge=1, le=365, description="window, days back")] = 30):
    plan_id = state.active_plan_id()
    areas = state.plan_data(plan_id).areas
    until = now()
    since = until - timedelta(days=days)
    counts = aggregate(incident_chains(state.store, since), set(areas["id"]))
    names = _category_names(state)
    rows = []
    for rec in areas[["id", "level", "name", "code"]].to_dict("records"):
        entry = {k: plain(v) for k, v in rec.items()}
        entry.update(suppressed_counts(counts.get(rec["id"], Counter())))
        rows.append(entry)
    return JSONResp({"days": days, "since": since.replace(microsecond=0).isoformat(),
                     "until": until.replace(microsecond=0).isoformat(), "threshold": THRESHOLD,
                     "categories": names, "areas": rows, "attribution": ATTRIBUTION})


def _category_names(state) -> dict[str, str]:
    from .incidents import service

    return {c.code: c.name for c in service(state).workflow.catalogue.categories}
