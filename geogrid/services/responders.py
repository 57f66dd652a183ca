"""Responders: who may see whose phone and position, who may move whom, nearest by road."""

from __future__ import annotations

import numpy as np

from .._errors import InputError, NotFoundError
from ..datum import Datum, to_storage
from ..routing import (graph_from_lines, hierarchy, largest_component, nearest_responder, rank_responders,
                       route_table)
from ..security import Principal
from ..store import Store
from . import policy
from .plancache import PlanCache

__all__ = ["ResponderService", "PRIVATE_FIELDS"]

#: fields of a responder shown only to who may read that responder in full
PRIVATE_FIELDS = ("phone", "lon", "lat")


def _storage_point(lon, lat, datum) -> tuple[float | None, float | None]:
    if (lon is None) != (lat is None):
        raise InputError("lon 与 lat 须同时给出。lon and lat come together: one was missing.",
                         field="lat" if lat is None else "lon", value=[lon, lat],
                         fix="同时发送 lon 和 lat (或都不发)。Send both lon and lat, or neither.")
    if lon is None:
        return None, None
    x, y = to_storage(np.array([lon]), np.array([lat]), Datum(datum))
    return float(x[0]), float(y[0])


class ResponderService:
    def __init__(self, store: Store, cache: PlanCache):
        self.store, self.repo, self.cache = store, store.responders, cache

    def visible(self, principal: Principal) -> list[dict]:
        """Every responder; phone and position only where the caller may read that responder
        (and phones only for roles that see personal data)."""
        out = []
        for r in self.repo.list():
            r = dict(r)
            if not policy.allowed(principal, "read", policy.ResponderRef.of(r)):
                for k in PRIVATE_FIELDS:
                    r[k] = None
            if not principal.can("incident.personal"):
                r.pop("phone", None)
            out.append(r)
        return out

    def add(self, principal: Principal, *, lon=None, lat=None, datum="cgcs2000", **fields) -> int:
        x, y = _storage_point(lon, lat, datum)
        if fields.get("area_code") is not None:
            policy.require(principal, "change", policy.ResponderRef(0, fields.get("name", ""),
                                                                    fields["area_code"]))
        return self.repo.add(actor=principal.username, lon=x, lat=y, **fields)

    def update(self, principal: Principal, rid: int, *, lon=None, lat=None, datum="cgcs2000",
               available: bool | None = None) -> dict:
        policy.require(principal, "change", policy.ResponderRef.of(self.repo.get(rid)))
        x, y = _storage_point(lon, lat, datum)
        values: dict = {} if x is None else {"lon": x, "lat": y}
        if available is not None:
            values["available"] = available
        row = self.repo.update(rid, actor=principal.username, **values)
        if not principal.can("incident.personal"):
            row.pop("phone", None)
        return row

    def road_graph(self):
        return self.cache.road_graph.get(self._build_road_graph)

    def _build_road_graph(self):
        """The store's roads as a graph, with its route index built now rather than on the
        first route asked for (a route table: a few tenths of a second on a district)."""
        g = largest_component(graph_from_lines(self.store.roads()))
        route_table(g)
        hierarchy(g)
        return g

    def ranked(self, incident: dict) -> list[dict]:
        """Available responders with a position, fastest to the incident by road first; each
        with its travel time, distance and whether it is the incident's chosen responder."""
        people = [r for r in self.repo.list() if r["lon"] is not None and r["available"]]
        if not people:
            return []
        order = rank_responders(self.road_graph(), (incident["lon"], incident["lat"]),
                                [[r["lon"], r["lat"]] for r in people])
        return [{"rank": n, "id": people[j]["id"], "name": people[j]["name"],
                 "role": people[j]["role"], "department": people[j].get("department"),
                 "duration_s": round(rt.duration_s, 1), "distance_m": round(rt.distance_m, 1),
                 "fallback": rt.fallback, "chosen": people[j]["id"] == incident.get("responder_id")}
                for n, (j, rt) in enumerate(order, start=1)]

    def route(self, incident: dict, responder_id: int | None = None) -> dict:
        """The route of the named responder, else of the incident's chosen responder, else of
        the fastest available one by road: the first that :meth:`ranked` lists, so the API and
        the console's list agree."""
        if responder_id is None:
            responder_id = incident.get("responder_id")
        if responder_id is None:
            top = self.ranked(incident)
            responder_id = top[0]["id"] if top else None
        people = [r for r in self.repo.list() if r["lon"] is not None]
        if responder_id is not None:  # route a named responder rather than the nearest
            people = [r for r in people if r["id"] == responder_id]
        if not people:
            raise NotFoundError(
                "没有符合条件且有位置的处置人员。no responder with a position matches.",
                field="responder_id", value=responder_id,
                fix="用 POST /responders 添加, 或用 PATCH /responders/{id} 更新位置。Add responders "
                    "with POST /responders, or update their position with PATCH /responders/{id}.")
        pts = np.array([[r["lon"], r["lat"]] for r in people])
        avail = np.array([bool(r["available"]) or responder_id is not None for r in people])
        idx, rt = nearest_responder(self.road_graph(), (incident["lon"], incident["lat"]), pts,
                                    avail)
        who = {k: v for k, v in people[idx].items() if k != "phone"}
        return {"incident": incident["uid"], "responder": who, "route": rt.to_dict()}
