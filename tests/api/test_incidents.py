from __future__ import annotations

import pytest

from geogrid.store.users import create_user, issue_token


@pytest.fixture
def h(demo_store):
    out = {}
    for name, role, scope in [("disp", "dispatcher", None), ("resp", "responder", None),
                              ("plan", "planner", None), ("far", "dispatcher", "310115005001")]:
        create_user(demo_store, name, role, scope=scope)
        out[name] = {"Authorization": f"Bearer {issue_token(demo_store, name)}"}
    return out


def report(client, h, **kw):
    body = {"category": "积水", "lon": 121.512, "lat": 31.237, "datum": "wgs84"} | kw
    return client.post("/incidents", json=body, headers=h["disp"])


def test_intake_dispatches_to_the_located_unit(client, h):
    r = report(client, h)
    assert r.status_code == 201
    inc = r.json()
    assert inc["status"] == "dispatched"
    assert inc["area_chain"]["grid"]["name"] == "崂山住区"
    assert inc["handler"] == inc["microgrid_uid"]
    assert inc["deadline_at"] is not None
    # the queue of that unit holds it
    q = client.get(f"/queues/{inc['handler']}", headers=h["disp"]).json()
    assert [i["uid"] for i in q] == [inc["uid"]]


def test_idempotency_key_never_creates_two(client, h):
    hdr = h["disp"] | {"Idempotency-Key": "retry-1"}
    body = {"category": "积水", "lon": 121.512, "lat": 31.237, "datum": "wgs84"}
    a = client.post("/incidents", json=body, headers=hdr)
    b = client.post("/incidents", json=body, headers=hdr)
    assert a.status_code == 201 and b.status_code == 200
    assert a.json()["uid"] == b.json()["uid"]
    assert b.headers["Idempotent-Replay"] == "true"
    assert len(client.get("/incidents", headers=h["disp"]).json()) == 1


def test_full_loop_with_rework_and_metrics(client, h):
    uid = report(client, h).json()["uid"]

    def act(who, action, **kw):
        r = client.post(f"/incidents/{uid}/actions", json={"action": action, **kw}, headers=h[who])
        assert r.status_code == 200, r.json()
        return r.json()

    act("resp", "start")
    act("resp", "complete")
    act("disp", "rework", reason="积水未清")
    act("resp", "complete")
    act("disp", "approve")
    final = act("disp", "evaluate", satisfaction=5)
    assert final["status"] == "closed" and final["reworks"] == 1 and final["satisfaction"] == 5
    detail = client.get(f"/incidents/{uid}", headers=h["disp"]).json()
    assert [e["action"] for e in detail["events"]] == [
        "report", "accept", "dispatch", "start", "complete", "rework", "complete", "approve", "evaluate"]
    assert all(e["actor"] for e in detail["events"])
    m = client.get("/metrics", params={"by": "grid"}, headers=h["disp"]).json()
    row = next(r for r in m if r["grid"] == detail["area_chain"]["grid"]["id"])
    assert row["closed"] == 1 and row["rework_rate"] == 1.0 and row["satisfaction_mean"] == 5


def test_illegal_transition_names_state_and_allowed(client, h):
    uid = report(client, h).json()["uid"]
    r = client.post(f"/incidents/{uid}/actions", json={"action": "evaluate"}, headers=h["disp"])
    assert r.status_code == 409
    err = r.json()["error"]
    assert "dispatched" in err["message"] and "start" in err["fix"]


def test_reason_required_and_stale_version_refused(client, h):
    uid = report(client, h).json()["uid"]
    r = client.post(f"/incidents/{uid}/actions", json={"action": "return"}, headers=h["resp"])
    assert r.status_code == 403  # responders cannot return to the centre
    r = client.post(f"/incidents/{uid}/actions", json={"action": "return"}, headers=h["disp"])
    assert r.status_code == 422 and r.json()["error"]["field"] == "reason"
    r = client.post(f"/incidents/{uid}/actions", json={"action": "start", "version": 1},
                    headers=h["resp"])
    assert r.status_code == 409 and r.json()["error"]["field"] == "version"


def test_personal_fields_only_for_dispatchers(client, h):
    uid = report(client, h, reporter={"name": "张三", "phone": "13800000000"}).json()["uid"]
    disp = client.get(f"/incidents/{uid}", headers=h["disp"]).json()
    resp = client.get(f"/incidents/{uid}", headers=h["resp"]).json()
    assert disp["reporter_phone"] == "13800000000"
    assert "reporter_phone" not in resp and "reporter_name" not in resp
    assert client.get(f"/incidents/{uid}").status_code == 401


def test_scope_limits_what_a_dispatcher_sees(client, h):
    uid = report(client, h).json()["uid"]  # in grid 003
    assert client.get(f"/incidents/{uid}", headers=h["far"]).status_code == 403
    assert client.get("/incidents", headers=h["far"]).json() == []


def test_relocation_redispatches_and_keeps_trail(client, h):
    inc = report(client, h).json()
    r = client.post(f"/incidents/{inc['uid']}/actions",
                    json={"action": "relocate", "lon": 121.5005, "lat": 31.2385, "datum": "wgs84",
                          "reason": "位置更正"}, headers=h["disp"]).json()
    assert r["area_chain"]["grid"]["name"] == "陆家嘴金融城"
    assert r["handler"] != inc["handler"]
    events = client.get(f"/incidents/{inc['uid']}", headers=h["disp"]).json()["events"]
    assert events[-1]["action"] == "relocate" and events[-1]["data"]["redispatched"] is True


def test_duplicates_wait_for_a_merge(client, h):
    first = report(client, h).json()
    second = report(client, h, lon=121.5121, lat=31.2371).json()  # ~15 m away, same category
    assert second["duplicates_of"] == [first["uid"]] and second["status"] == "reported"
    merged = client.post(f"/incidents/{second['uid']}/merge", json={"into": first["uid"]},
                         headers=h["disp"]).json()
    assert merged["status"] == "rejected" and merged["merged_into"] == first["uid"]
    other = report(client, h, category="噪声").json()  # another category is not a duplicate
    assert other["duplicates_of"] is None and other["status"] == "dispatched"


def test_department_category_escalates(client, h):
    inc = report(client, h, category="违法搭建").json()
    assert inc["handler_kind"] == "department"


def test_unknown_category_and_missing_datum(client, h):
    # 属地兜底: an unknown category is taken in, never refused (see test_territorial_*)
    r = report(client, h, category="不存在")
    assert r.status_code == 201 and r.json()["handler_kind"] == "team"
    r = client.post("/incidents", json={"category": "积水", "lon": 121.5, "lat": 31.2},
                    headers=h["disp"])
    assert r.status_code == 422 and r.json()["error"]["field"] == "datum"


def test_nearest_responder_route(client, h):
    uid = report(client, h).json()["uid"]
    # the demo places a 网格员 in every microgrid: "近" stands at the incident itself
    for name, lon, lat in [("近", 121.512, 31.237), ("远", 121.500, 31.230)]:
        assert client.post("/responders", json={"name": name, "lon": lon, "lat": lat},
                           headers=h["disp"]).status_code == 201
    r = client.get(f"/incidents/{uid}/route", headers=h["disp"]).json()
    assert r["responder"]["name"] == "近"
    assert r["route"]["geometry"]["type"] == "LineString"
    assert 0 < r["route"]["distance_m"] < 500


def test_open311_services_and_requests(client, h):
    services = client.get("/open311/v2/services.json").json()
    code = next(s["service_code"] for s in services if s["service_name"] == "积水")
    r = client.post("/open311/v2/requests.json", headers=h["disp"],
                    data={"service_code": code, "lat": 31.237, "long": 121.512,
                          "description": "路口积水", "phone": "13900000000"})
    assert r.status_code == 201
    rid = r.json()[0]["service_request_id"]
    got = client.get(f"/open311/v2/requests/{rid}.json", headers=h["disp"]).json()[0]
    assert got["status"] == "open" and got["service_code"] == code
    assert got["status_notes"] == "指挥 (dispatched)"
    assert got["phone"] == "13900000000"  # staff in scope get the full record
    public = client.get(f"/open311/v2/requests/{rid}.json").json()[0]
    assert "phone" not in public and public["position_precision"] == "microgrid"
    listed = client.get("/open311/v2/requests.json", params={"status": "closed"},
                        headers=h["disp"]).json()
    assert listed == []
    bad = client.post("/open311/v2/requests.json", headers=h["disp"],
                      data={"service_code": code, "lat": 91, "long": 121.5})
    assert bad.status_code == 400 and "lat" in bad.json()[0]["description"]  # GeoReport errors


def test_named_responder_and_route(client, h):
    uid = report(client, h).json()["uid"]
    far = client.post("/responders", json={"name": "远", "lon": 121.500, "lat": 31.230},
                      headers=h["disp"]).json()["id"]
    client.post("/responders", json={"name": "近", "lon": 121.5125, "lat": 31.2372}, headers=h["disp"])
    r = client.post(f"/incidents/{uid}/responder", json={"responder_id": far}, headers=h["disp"])
    assert r.status_code == 200 and r.json()["responder_id"] == far
    route = client.get(f"/incidents/{uid}/route", params={"responder_id": far}, headers=h["disp"]).json()
    assert route["responder"]["name"] == "远" and route["route"]["distance_m"] > 1000
    assert client.post(f"/incidents/{uid}/responder", json={"responder_id": 999},
                       headers=h["disp"]).status_code == 404
    assert client.post(f"/incidents/{uid}/responder", json={"responder_id": far},
                       headers=h["resp"]).status_code == 403


def test_footprint_spanning_microgrids_gets_participants(client, h):
    line = {"type": "LineString", "coordinates": [[121.5112, 31.2368], [121.5160, 31.2390]]}
    inc = report(client, h, footprint=line).json()
    assert inc["participants"], inc
    too_big = {"type": "LineString", "coordinates": [[121.51 + i * 1e-6, 31.237] for i in range(200_000)]}
    r = report(client, h, footprint=too_big)
    assert r.status_code in (413, 422)


def test_territorial_unknown_or_other_category_goes_to_the_unit_flagged(client, h):
    for category in ("不存在", "其他"):
        inc = report(client, h, category=category).json()
        assert inc["status"] == "dispatched"
        assert inc["assignment"]["rule"] == "territorial"
        assert inc["handler"] == inc["microgrid_uid"]          # the microgrid's 网格长 takes it
        assert inc["flags"] == ["unknown_category"]


def test_territorial_point_just_outside_coverage_goes_to_the_nearest_grid(client, h):
    # 150 m east of the street's eastern edge: outside every microgrid, within reach
    r = report(client, h, lon=121.5235, lat=31.2405, datum="cgcs2000")
    assert r.status_code == 201, r.json()
    inc = r.json()
    assert inc["microgrid_uid"] is None and inc["located_by"] == "territorial"
    assert inc["handler_kind"] == "territorial" and inc["handler"].startswith("grid-")
    assert inc["flags"] == ["outside_coverage"]
    far = report(client, h, lon=121.60, lat=31.30, datum="cgcs2000")   # kilometres away
    assert far.status_code == 422 and far.json()["error"]["field"] == "location"


def test_participants_see_a_multi_microgrid_order_in_their_queue(client, h):
    line = {"type": "LineString", "coordinates": [[121.5112, 31.2368], [121.5160, 31.2390]]}
    inc = report(client, h, footprint=line).json()
    for unit in inc["participants"]:
        q = client.get(f"/queues/{unit}", headers=h["disp"]).json()
        assert inc["uid"] in [i["uid"] for i in q]


def test_footprint_far_from_its_point_is_refused(client, h):
    far_line = {"type": "LineString", "coordinates": [[121.49, 31.22], [121.491, 31.221]]}
    r = report(client, h, footprint=far_line)
    assert r.status_code == 422 and r.json()["error"]["field"] == "footprint"


def test_idempotency_key_is_per_caller_and_tied_to_the_body(client, h):
    body = {"category": "积水", "lon": 121.512, "lat": 31.237, "datum": "wgs84",
            "reporter": {"name": "张三", "phone": "13900000000"}}
    first = client.post("/incidents", json=body, headers=h["disp"] | {"Idempotency-Key": "k1"})
    assert first.status_code == 201
    # another caller with the same key gets their own incident, never the first one
    other = client.post("/incidents", json=body, headers=h["far"] | {"Idempotency-Key": "k1"})
    assert other.status_code == 201 and other.json()["uid"] != first.json()["uid"]
    # the same caller and key with another body: 422 in the documented shape
    changed = client.post("/incidents", json=body | {"category": "井盖"},
                          headers=h["disp"] | {"Idempotency-Key": "k1"})
    assert changed.status_code == 422
    assert changed.json()["error"]["field"] == "Idempotency-Key"
    assert first.headers["Cache-Control"] == "no-store"


def test_merge_needs_scope_and_a_plausible_duplicate(client, h):
    a = report(client, h).json()
    b = report(client, h, category="井盖", lon=121.5235 - 0.01, lat=31.2405).json()
    r = client.post(f"/incidents/{b['uid']}/merge", json={"into": a["uid"]}, headers=h["disp"])
    assert r.status_code in (409, 422)   # another category far away is no duplicate


def test_responder_edits_only_their_own_row_and_patch_hides_the_phone(client, h):
    other = client.post("/responders", json={"name": "别人", "phone": "13800000000",
                                              "lon": 121.51, "lat": 31.237},
                        headers=h["disp"]).json()["id"]
    r = client.patch(f"/responders/{other}", json={"available": False}, headers=h["resp"])
    assert r.status_code == 403
    own = client.post("/responders", json={"name": "resp", "phone": "13800000001"},
                      headers=h["disp"]).json()["id"]
    r = client.patch(f"/responders/{own}", json={"available": False}, headers=h["resp"])
    assert r.status_code == 200 and "phone" not in r.json()


def test_responder_with_lon_but_no_lat_is_refused(client, h):
    r = client.post("/responders", json={"name": "半", "lon": 121.51}, headers=h["disp"])
    assert r.status_code == 422 and r.json()["error"]["field"] == "lat"


def test_scoped_dispatcher_sees_no_phone_or_position_outside_scope(client, h):
    client.post("/responders", json={"name": "外", "phone": "13800000002", "lon": 121.51,
                                     "lat": 31.237, "area_code": "310115005003001"},
                headers=h["disp"])
    rows = client.get("/responders", headers=h["far"]).json()
    out = next(r for r in rows if r["name"] == "外")
    assert out.get("phone") is None and out["lon"] is None and out["lat"] is None


def test_metrics_credit_the_lead_microgrid_of_a_footprint(client, h):
    # the point lies in one microgrid, the footprint mostly in another: the lead gets the count
    line = {"type": "LineString", "coordinates": [[121.5112, 31.2368], [121.5160, 31.2390]]}
    inc = report(client, h, footprint=line).json()
    lead = inc["handler"]
    rows = client.get("/metrics", params={"by": "microgrid"}, headers=h["disp"]).json()
    counted = {r["microgrid"]: r["reported"] for r in rows}
    assert counted.get(lead) == 1
    if inc["microgrid_uid"] != lead:
        assert inc["microgrid_uid"] not in counted


def test_intake_gives_the_datum_warning_locate_gives(client, h, demo_store):
    """A GCJ-02 point sent as WGS84: intake warns exactly as /locate does (never silently)."""
    import numpy as np

    from geogrid.datum import from_storage

    buildings = demo_store.objects(types=["building"])
    pts = buildings.geometry.representative_point()
    order = np.argsort(-pts.x.to_numpy())          # east edge first: the shift leaves coverage
    for i in order[:300]:
        gx, gy = from_storage(np.array([pts.x.iat[i]]), np.array([pts.y.iat[i]]), "gcj02")
        params = {"lon": float(gx[0]), "lat": float(gy[0]), "datum": "wgs84", "snap_m": 0}
        located = client.get("/locate", params=params)
        if located.status_code == 422 and located.json()["error"]["field"] == "datum":
            break
    else:
        raise AssertionError("no building near the edge to test with")
    r = report(client, h, lon=params["lon"], lat=params["lat"], datum="wgs84")
    if r.status_code == 201:                      # within reach: 属地兜底, flagged and warned
        inc = r.json()
        assert "datum_suspect" in inc["flags"] and "outside_coverage" in inc["flags"]
        assert any("gcj02" in w for w in inc["warnings"])
    else:                                          # beyond reach: refused with the same hint
        assert r.status_code == 422 and "gcj02" in r.json()["error"]["message"]


def test_confirming_a_location_records_a_candidate_address(client, h, demo_store):
    from geogrid.store.addresses import AddressBook

    inc = report(client, h, address="测试新路12号").json()
    r = client.post(f"/incidents/{inc['uid']}/location/confirm", headers=h["disp"])
    assert r.status_code == 200, r.text
    cand = AddressBook(demo_store).frame(status="candidate")
    row = cand[cand["key"] == "测试新路12号"]
    assert row["confirmed_by"].tolist() == ["disp"] and row["incident_id"].tolist() == [inc["uid"]]
    assert client.post(f"/incidents/{inc['uid']}/location/confirm",
                       headers=h["resp"]).status_code == 403
    bare = report(client, h, lon=121.5122, lat=31.2372, category="道路不洁").json()
    r = client.post(f"/incidents/{bare['uid']}/location/confirm", headers=h["disp"])
    assert r.status_code == 422 and "没有地址" in r.text and "Traceback" not in r.text
