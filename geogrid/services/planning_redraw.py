"""Drawing one level up in the store: a line across 网格 or 居民区 moves their children.

The planning service sends a ``cut`` here when the areas it names hold areas of a tiling
level below them (a 网格 over its 居民区, a 居民区 or 社区 over its 网格/微网格), instead
of cutting a microgrid's cells. :func:`geogrid.partition.redraw.regroup_along_line`
decides which children change side; this module checks what the store adds (locks, the
plan's declared levels) and writes the edit as one transaction with one undo entry that
holds the outlines and parents before and after (WKB), so undo and redo put them back
exactly. Microgrids made by partitioning a 居民区 carry their cells along: both 居民区'
saved tessellations are rewritten (:func:`geogrid.partition.transfer.take_microgrids`)
and the undo entry names the states before and after, per 居民区.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from .._errors import InputError, StateError
from ..partition.redraw import regroup_along_line
from ..partition.transfer import StateFrames, empty_like, take_microgrids
from ..store._sql import to_multi

__all__ = ["upper_areas", "cut_upper", "step_upper"]


def upper_areas(store, conn, plan_id: int, uids: list) -> gpd.GeoDataFrame | None:
    """The areas ``uids`` when they hold areas of a tiling level (a cut one level up);
    None when they do not (a microgrid: its cells are cut instead)."""
    if not uids:
        return None
    areas = store.areas(plan_id, uids=[str(u) for u in uids], conn=conn)
    if areas.empty or len(areas) != len(set(uids)):
        return None
    levels = store.plan_levels(plan_id, conn)
    if not set(areas["level"]) <= set(levels.keys):
        return None
    kids = _children(store, conn, plan_id, areas, levels)
    return areas if len(kids) else None


def _children(store, conn, plan_id, areas, levels) -> gpd.GeoDataFrame:
    """The areas of a tiling level right under ``areas`` (their 楼组 aside)."""
    frames = [store.areas(plan_id, parent=str(u), conn=conn) for u in areas["id"]]
    kids = pd.concat(frames, ignore_index=True)
    kids = gpd.GeoDataFrame(kids, geometry=frames[0].geometry.name, crs=areas.crs)
    tiling = [k for k in levels.keys if levels.tiles(k)]
    return kids[kids["level"].isin(tiling)].reset_index(drop=True)


def _below(svc, conn, plan_id: int, uids) -> set[str]:
    """``uids`` and every area under them, at any depth."""
    out, step = set(uids), list(uids)
    while step:
        step = [u for u in svc.edits.children(conn, plan_id, step) if u not in out]
        out.update(step)
    return out


def cut_upper(svc, conn, plan_id: int, areas: gpd.GeoDataFrame, line, *, actor: str,
              params: dict) -> dict:
    """Regroup the children of ``areas`` along ``line``; push one undoable edit."""
    levels = svc.store.plan_levels(plan_id, conn)
    if areas["level"].nunique() != 1 or areas["parent_id"].nunique(dropna=False) != 1:
        raise InputError("沿线调整的两个区域须同一层级、同一上级。the areas of one drawn edit must "
                         "share their level and parent.", field="microgrids",
                         value=areas["id"].tolist(),
                         fix="选同一上级下的相邻区域。Pick neighbours under one parent.")
    kids = _children(svc.store, conn, plan_id, areas, levels)
    out = regroup_along_line(areas, kids, line, names=dict(zip(kids["id"], kids["name"])))
    _refuse_locked(svc, conn, plan_id, out.moved)
    level = areas["level"].iat[0]
    created = _new_areas(svc.store, conn, plan_id, areas, out, levels.spec(level))
    uid_of = {k: r["uid"] for k, r in created.items()}
    members = svc.store.memberships(plan_id, conn)
    carried = _carry_states(svc, conn, plan_id, kids, out, uid_of, list(areas["id"]))
    touched = sorted(set(areas["id"]) | set(out.moved))
    now_rows = svc.store.areas(plan_id, uids=touched, conn=conn)
    before = [_row(r["id"], r["parent_id"], r["geometry"]) for r in now_rows.to_dict("records")]
    kid_geom = dict(zip(kids["id"], kids.geometry.values))
    parent_of = dict(zip(areas["id"], areas["parent_id"]))
    after = [_row(p, parent_of[p], g) for p, g in out.geometries.items() if isinstance(p, str)]
    after += [_row(k, uid_of.get(out.parent_of[k], out.parent_of[k]), kid_geom[k])
              for k in out.moved]
    for k, r in created.items():
        r["wkb"] = shapely.to_wkb(out.geometries[k], hex=True)
    redraw = {"before": before, "after": after, "created": list(created.values())}
    _apply(svc, conn, plan_id, redraw, undo=False)
    if carried is not None:
        redraw["states"] = _save_carried(svc, conn, plan_id, carried)
    # objects moved: held by another area now, or carried along inside a moved area
    now = svc.store.memberships(plan_id, conn).reindex(members.index)
    carried_along = now.isin(_below(svc, conn, plan_id, out.moved))
    moved_objects = int(((now != members) | carried_along).sum())
    svc._truncate_redo(conn, plan_id)
    seq = svc.edits.push(conn, plan_id, "cut", params, before=None, after=None, actor=actor,
                         parent_uid=str(areas["id"].iat[0]), extra={"redraw": redraw})
    svc.store.audit(conn, actor=actor, action="plan.cut", entity="plan", entity_id=plan_id,
                    after={"level": level, "moved": out.moved,
                           "created": [r["uid"] for r in created.values()]})
    return {"op": "cut", "seq": seq, "level": level, "moved_areas": out.moved,
            "new_areas": [r["uid"] for r in created.values()], "moved_objects": moved_objects,
            "microgrids": len(svc.store.areas(plan_id, level=level, conn=conn))}


def _row(uid, parent, geom) -> dict:
    return {"uid": str(uid), "parent_uid": None if parent is None else str(parent),
            "wkb": shapely.to_wkb(geom, hex=True)}


def _refuse_locked(svc, conn, plan_id: int, moved: list) -> None:
    locked = sorted(set(moved) & svc.edits.locked(conn, plan_id))
    if locked:
        raise StateError(f"区域 {locked} 已锁定, 不能换到另一上级。areas {locked} are locked.",
                         field="microgrids", value=locked, fix="先解锁。Unlock them first (op=unlock).")


def _partitioned(svc, conn, plan_id: int, uids) -> dict[str, int]:
    """Area uid → its current saved partition state, for those partitioned in geogrid."""
    out = {}
    for p in uids:
        try:
            out[p] = svc._current_state_id(conn, plan_id, p)
        except StateError:
            pass
    return out


def _carry_states(svc, conn, plan_id: int, kids, out, uid_of: dict, parents: list):
    """The tessellations of the partitioned parents after their microgrids move (None when
    no moved child was made by partitioning). A move between a partitioned parent and one
    whose children were imported is refused: the two kinds of children cannot mix."""
    old_of = dict(zip(kids["id"], kids["parent_id"]))
    moves = [(k, old_of[k], uid_of.get(out.parent_of[k], out.parent_of[k])) for k in out.moved]
    states = _partitioned(svc, conn, plan_id, parents)
    if not {src for _, src, _ in moves} & set(states):
        return None
    mixed = sorted({p for _, s_, d in moves for p in (s_, d)}
                   - set(states) - set(uid_of.values()))
    if mixed:
        raise StateError(
            f"{mixed} 的下级区域是导入的, 另一方的是划分生成的, 两者不能互换。the children of "
            f"{mixed} were imported while the others were made by partitioning; they cannot "
            "change places.", field="microgrids", value=mixed,
            fix="重新划分这些区域, 或在导入文件中修改后重新导入。Partition those areas too, or "
                "edit the imported file and import it again.")
    saved = {p: svc.edits.load_state(conn, sid) for p, sid in states.items()}
    frames = {p: StateFrames(st.cells, st.edges, st.objects) for p, st in saved.items()}
    first = next(iter(saved.values()))
    for p in uid_of.values():
        frames[p], saved[p] = empty_like(frames[next(iter(states))]), first
    serial = {p: {uid: i for i, uid in svc._mg_map(conn, plan_id, p).items()} for p in states}
    for k, src, dst in moves:
        frames[src], frames[dst], _ = take_microgrids(frames[src], frames[dst], [serial[src][k]])
    losing = {src for _, src, _ in moves}
    order = sorted(frames, key=lambda p: (p not in losing, p))
    return {"frames": frames, "saved": saved, "before": states, "order": order}


def _save_carried(svc, conn, plan_id: int, carried: dict) -> dict:
    """Save each rewritten tessellation and make the plan's microgrids those of it (the
    parents' outlines are already the new ones); returns parent → {before, after} states."""
    out = {}
    for p in carried["order"]:
        f, st = carried["frames"][p], carried["saved"][p]
        sid = svc.edits.save_state(conn, plan_id, p, cells=f.cells, edges=f.edges,
                                   objects=f.objects, options=st.options, report={})
        _, result = svc._load_state(conn, sid, plan_id)
        svc._materialise(conn, plan_id, p, result)
        out[p] = {"before": carried["before"].get(p), "after": sid}
    return out


def _new_areas(store, conn, plan_id, areas, out, spec) -> dict:
    """Rows of the areas a split makes: same level, kind and parent as the area it left."""
    first = areas.iloc[0]
    taken = set(store.areas(plan_id, conn=conn)["id"])
    created, n = {}, 0
    for k in sorted(v for v in out.geometries if not isinstance(v, str)):
        n += 1
        uid = f"{first['id']}-{n}"
        while uid in taken:
            n += 1
            uid = f"{first['id']}-{n}"
        taken.add(uid)
        created[k] = {"uid": uid, "level": spec.key, "kind": first["kind"] or "mixed",
                      "name": f"{first['name']}（新{n}）", "parent_uid": first["parent_id"]}
    return created


def _apply(svc, conn, plan_id: int, redraw: dict, *, undo: bool) -> None:
    """Put the outlines and parents of ``redraw`` as they were (undo) or are after (redo),
    and the partitions it changed as they were or are (their saved states)."""
    rows = redraw["before" if undo else "after"]
    created = redraw.get("created") or []
    if not undo and created:
        frame = gpd.GeoDataFrame(
            [{"id": r["uid"], "level": r["level"], "kind": r["kind"], "name": r["name"],
              "code": None, "parent_id": r["parent_uid"], "attrs": {"drawn": True}}
             for r in created],
            geometry=[shapely.from_wkb(r["wkb"]) for r in created], crs=4490)
        svc.store.add_areas(conn, plan_id, frame)
    svc.edits.reshape(conn, plan_id, [
        {"uid": r["uid"], "parent_uid": r["parent_uid"],
         "wkb": to_multi([shapely.from_wkb(r["wkb"])], "polygon")[0]} for r in rows])
    for p, st in (redraw.get("states") or {}).items():
        target = st["before" if undo else "after"]
        if target is None:   # a 居民区 the split made: its microgrids go with it
            svc.edits.clear(conn, plan_id, p, level=svc._parts_level(plan_id, p, conn)[0])
        else:
            _, result = svc._load_state(conn, int(target), plan_id)
            svc._materialise(conn, plan_id, p, result)
    if undo and created:
        svc.edits.delete_areas(conn, plan_id, [r["uid"] for r in created])


def step_upper(svc, conn, plan_id: int, undo_record: dict, *, undo: bool) -> None:
    """Undo or redo a redraw one level up (its undo record holds ``redraw``)."""
    _apply(svc, conn, plan_id, undo_record["redraw"], undo=undo)
