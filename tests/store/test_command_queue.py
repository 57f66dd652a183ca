"""Manual 指挥, the responder choice and the change sequence on SpatiaLite and PostGIS."""

from __future__ import annotations

import pytest

from geogrid.security import Principal, Role
from geogrid.services.incidents import IncidentService, Intake
from geogrid.services.plancache import PlanCache
from geogrid.services.responders import ResponderService
from geogrid.store import Store
from geogrid.store.demo import load_demo
from geogrid.store.responders import add_responder, list_responders, update_responder

DISPATCHER = Principal("disp", Role.DISPATCHER)


@pytest.fixture
def store(demo_store_any):
    """The demo street on each store, copied from one build (``load_demo`` finds it and
    returns its plan id)."""
    return demo_store_any


def _call(svc: IncidentService, category: str, lon: float, lat: float) -> dict:
    row, created = svc.intake(Intake(category=category, lon=lon, lat=lat, datum="wgs84",
                                     channel="phone"), actor="disp")
    assert created
    return row


def test_manual_categories_wait_for_a_dispatcher_and_changes_reach_another_worker(store):
    load_demo(store)
    svc = IncidentService(store, PlanCache(store))
    other = Store.open(store.engine.url.render_as_string(hide_password=False), migrate=False)
    try:
        watcher = IncidentService(other, PlanCache(other))
        start, _ = watcher.changes_since(2**62, DISPATCHER)
        manual = _call(svc, "矛盾纠纷", 121.5120, 31.2370)
        auto = _call(svc, "积水", 121.5010, 31.2300)
        assert manual["status"] == "accepted" and auto["status"] == "dispatched"
        assert [e["action"] for e in svc.events(manual["uid"])] == ["report", "accept"]
        assert [r["uid"] for r in svc.command_queue(DISPATCHER)] == [manual["uid"]]
        # a dispatcher does the 指挥 step: the order leaves the queue
        svc.transition(manual["uid"], "dispatch", actor="disp")
        assert svc.command_queue(DISPATCHER) == []
        assert svc.get(manual["uid"])["status"] == "dispatched"
        # the second store (another worker) sees every write, in order, once
        last, rows = watcher.changes_since(start, DISPATCHER)
        seen = [(r["uid"], r["action"]) for r in rows]
        assert seen == [(manual["uid"], "report"), (manual["uid"], "accept"),
                        (auto["uid"], "report"), (auto["uid"], "accept"),
                        (auto["uid"], "dispatch"), (manual["uid"], "dispatch")]
        assert watcher.changes_since(last, DISPATCHER) == (last, [])
        # a dispatcher scoped elsewhere hears none of it
        outsider = Principal("far", Role.DISPATCHER, scope="310115999")
        assert watcher.changes_since(start, outsider)[1] == []
    finally:
        other.dispose()


def test_the_chosen_responder_is_an_event_and_is_the_one_routed(store):
    load_demo(store)
    cache = PlanCache(store)
    svc, people = IncidentService(store, cache), ResponderService(store, cache)
    for r in list_responders(store):   # the demo's 网格员 off duty: only the two below rank
        update_responder(store, r["id"], actor="t", available=False)
    near = add_responder(store, name="近", role="专职网格员", actor="t", lon=121.5115, lat=31.2365)
    far = add_responder(store, name="远", role="兼职网格员", actor="t", lon=121.4990, lat=31.2330)
    inc = _call(svc, "积水", 121.5120, 31.2370)
    ranked = people.ranked(inc)
    assert [r["id"] for r in ranked] == [near, far]
    assert ranked[0]["duration_s"] < ranked[1]["duration_s"] and not any(r["chosen"] for r in ranked)
    assert people.route(inc)["responder"]["id"] == near
    row = svc.assign_responder(inc["uid"], far, actor="disp")
    ev = svc.events(inc["uid"])[-1]
    assert (ev["action"], ev["data"]["responder_id"], ev["data"]["responder"]) == ("assign", far, "远")
    assert row["status"] == "dispatched" and row["responder_id"] == far
    assert people.route(row)["responder"]["id"] == far
    assert [r["chosen"] for r in people.ranked(row)] == [False, True]
    # the timeline still replays into the stored state
    state = svc.workflow.replay([{**e, "incident_id": inc["uid"]} for e in svc.events(inc["uid"])])
    assert state.version == svc.state(row).version
