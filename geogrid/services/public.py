"""Public data for the embed: areas with their public contact point, and suppressed counts.

Nothing here is personal:

* contacts — the *public* contact of the team that covers each area (team
  name, role, office phone, hours), from the teams' ``public_contact`` and the
  areas' ``team`` JSON through an allow-list of keys. An area without its own
  team shows its nearest ancestor's (属地兜底), marked ``inherited``.
* counts — incidents per area and category over a window. Counts below
  :data:`THRESHOLD` are shown as ``"<3"``; categories below it are pooled into
  ``other``. Suppression is *complementary*: where one cell of a group would be
  the only hidden one (so its value is the shown total minus the shown
  cells), the smallest shown cell of the group is hidden too — for sibling
  areas under a shown parent, and for a pooled ``other`` next to shown
  categories. No position, text, reporter or incident id ever leaves.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any

from ..store import Store
from ..store._sql import now

__all__ = ["THRESHOLD", "SUPPRESSED", "CONTACT_KEYS", "LEVELS", "team_contacts",
           "public_areas_frame", "aggregate", "suppressed_counts", "hidden_areas", "public_stats",
           "PublicService"]

#: counts below this are reported as "<3" (re-identification guard)
THRESHOLD = 3
SUPPRESSED = f"<{THRESHOLD}"
#: keys of a contact that are public by design; anything else is dropped
CONTACT_KEYS = ("role", "office_phone", "hours")
LEVELS = ("street", "grid", "community", "microgrid", "building_group")


def _clean_contact(raw: Any, team: str | None = None) -> dict | None:
    """The allow-listed public keys of a contact dict."""
    if not isinstance(raw, dict):
        return None
    out = {k: str(raw[k])[:64] for k in CONTACT_KEYS if raw.get(k) not in (None, "")}
    if team:
        out["team"] = str(team)[:100]
    return out or None


def team_contacts(store: Store) -> dict[str, dict]:
    """Area code → public contact, from the teams table (a team office's ``phone`` is public
    by design and shown as ``office_phone``)."""
    out = {}
    for code, name, contact in store.responders.teams():
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


def _complement(cells: dict[str, int], hidden: set[str]) -> set[str]:
    """``hidden`` grown so that no group has exactly one hidden cell: add the smallest shown."""
    if len(hidden) != 1 or len(cells) < 2:
        return hidden
    shown = sorted((n, k) for k, n in cells.items() if k not in hidden)
    return hidden | {shown[0][1]} if shown else hidden


def suppressed_counts(counts: Counter) -> dict[str, Any]:
    """Total and per-category counts with small numbers suppressed and pooled into ``other``.

    When the pool would hold one small category next to shown ones (total minus
    the shown categories would give it away), the smallest shown category joins
    the pool."""
    total = sum(counts.values())
    small = {c for c, n in counts.items() if n < THRESHOLD}
    if len(small) == 1 and len(counts) > 1:
        small = _complement(dict(counts), small)
    shown = {cat: n for cat, n in counts.items() if cat not in small}
    rest = total - sum(shown.values())
    by_category: dict[str, int | str] = dict(sorted(shown.items(), key=lambda kv: -kv[1]))
    if rest:
        by_category["other"] = rest if rest >= THRESHOLD and len(small) > 1 else SUPPRESSED
    return {"total": total if total >= THRESHOLD else SUPPRESSED,
            "by_category": by_category if total >= THRESHOLD else {}}


def hidden_areas(totals: dict[str, int], parent: dict[str, str | None]) -> set[str]:
    """Areas whose total is hidden: below the threshold, plus complements so that no shown
    parent has exactly one hidden child (whose total would be the difference)."""
    hidden = {a for a, n in totals.items() if n < THRESHOLD}
    children: dict[str, list[str]] = defaultdict(list)
    for a, p in parent.items():
        if p is not None and p in totals:
            children[p].append(a)
    changed = True
    while changed:
        changed = False
        for p, kids in children.items():
            if p in hidden:
                continue
            group = {k: totals.get(k, 0) for k in kids}
            grown = _complement(group, hidden & group.keys())
            if grown - hidden:
                hidden |= grown
                changed = True
    return hidden


def public_stats(store: Store, areas, category_names: dict[str, str], days: int) -> dict:
    """Suppressed incident counts per area of ``areas`` over the last ``days`` days."""
    until = now()
    since = until - timedelta(days=days)
    counts = aggregate(store.incidents.chains_since(since), set(areas["id"]))
    totals = {a: sum(counts.get(a, Counter()).values()) for a in areas["id"]}
    hidden = hidden_areas(totals, dict(zip(areas["id"], areas["parent_id"])))
    rows = []
    for rec in areas[["id", "level", "name", "code"]].to_dict("records"):
        entry = dict(rec)
        if rec["id"] in hidden:
            entry.update(total=SUPPRESSED, by_category={})
        else:
            entry.update(suppressed_counts(counts.get(rec["id"], Counter())))
        rows.append(entry)
    return {"days": days, "since": since.replace(microsecond=0).isoformat(),
            "until": until.replace(microsecond=0).isoformat(), "threshold": THRESHOLD,
            "categories": category_names, "areas": rows}


class PublicService:
    """The public layer over the cached active plan."""

    def __init__(self, cache, category_names: dict[str, str]):
        self.cache, self.category_names = cache, category_names

    def areas(self, level: str | None = None):
        """The active plan's areas with public contacts (read per call: a new office phone
        shows at once), and a label point inside each."""
        areas = self.cache.plan_data(self.cache.active_plan_id()).areas
        frame = public_areas_frame(areas, team_contacts(self.cache.store))
        if level:
            frame = frame[frame["level"] == level]
        pts = frame.geometry.representative_point()
        return frame.assign(label=[[round(p.x, 6), round(p.y, 6)] for p in pts])

    def stats(self, days: int) -> dict:
        areas = self.cache.plan_data(self.cache.active_plan_id()).areas
        return public_stats(self.cache.store, areas, self.category_names, days)
