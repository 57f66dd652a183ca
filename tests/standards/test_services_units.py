"""The pure parts of the standards use cases: attributes, times, public points, CRS and
datetime parsing, the retry schedule and the signature (checked with standardwebhooks)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import geopandas as gpd
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook

from geogrid._errors import InputError, NotFoundError
from geogrid.dispatch.catalogue import Catalogue
from geogrid.services import features as F
from geogrid.services import open311 as O
from geogrid.services import webhooks as hooks

CAT = Catalogue.default()


def test_every_service_has_a_definition_and_the_list_says_so():
    services = O.service_list(CAT)
    assert len(services) == len(CAT) and all(s["metadata"] is True for s in services)
    for s in services:
        d = O.service_definition(CAT, s["service_code"])
        assert [a["order"] for a in d["attributes"]] == [1, 2, 3]
    must = [c for c in CAT if c.must_attend is not None]
    assert must, "the catalogue has 三必到 categories"
    for c in CAT:
        hazard = O.service_definition(CAT, c.service_code)["attributes"][2]
        assert hazard["required"] is (c.must_attend is not None)
    with pytest.raises(NotFoundError):
        O.service_definition(CAT, "nope")


def test_attribute_answers_are_checked_all_at_once():
    code = next(c for c in CAT if c.must_attend is not None).service_code
    with pytest.raises(InputError) as err:
        O.check_attributes(CAT, code, {"zz": "1", "location_detail": ["a", "b"]})
    text = str(err.value)
    assert "attribute[zz]" in text and "location_detail" in text and "hazard" in text
    assert O.check_attributes(CAT, code, {"hazard": "yes", "location_detail": ""}) == \
        {"hazard": "yes"}


def test_form_attributes_parse_single_and_multi():
    form = [("attribute[hazard]", "no"), ("attribute[tags][]", "a"), ("attribute[tags][]", "b"),
            ("api_key", "k"), ("attribute[bad", "x")]

    class Form:
        def multi_items(self):
            return form

    assert O.parse_attributes(Form()) == {"hazard": "no", "tags": ["a", "b"]}


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                    timezones=st.sampled_from([UTC, timezone(timedelta(hours=8)),
                                               timezone(timedelta(hours=-5))])))
def test_times_are_one_offset_and_the_same_instant(moment):
    text = O.iso(moment)
    assert text.endswith("+08:00") and len(text) == 25
    assert abs(datetime.fromisoformat(text) - moment) < timedelta(seconds=1)


def _areas() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({
        "id": ["st", "g1", "mg1"], "name": ["街道", "一网格", "第1微网格"],
        "code": ["310115005", "310115005001", "310115005001001"],
        "parent_id": [None, "st", "g1"]},
        geometry=[shapely.box(0, 0, 10, 10), shapely.box(0, 0, 5, 5),
                  shapely.Polygon([(0, 0), (4, 0), (4, 1), (1, 1), (1, 4), (0, 4)])],
        crs="EPSG:4490")


def test_public_point_is_inside_the_microgrid_or_a_coarse_cell():
    index = O.area_index(_areas())
    row = {"area_chain": {"microgrid": {"id": "mg1"}}, "lon": 0.5, "lat": 3.7}
    lon, lat, precision = O.public_point(row, index)
    assert precision == "microgrid" and _areas().geometry[2].contains(shapely.Point(lon, lat))
    lon, lat, precision = O.public_point({"lon": 121.51234, "lat": 31.23789}, None)
    assert (lon, lat, precision) == (121.515, 31.235, "0.01deg")


def test_agency_is_the_nearest_team_up_the_chain():
    index = O.area_index(_areas())
    row = {"handler": "mg1", "handler_kind": "team"}
    assert O.agency_name(row, index, {"310115005001": "一网格团队"}) == "一网格团队"
    assert O.agency_name(row, index, {"310115005001001": "微网格团队"}) == "微网格团队"
    assert O.agency_name(row, index, {}) == "第1微网格网格团队"
    assert O.agency_name({"handler": "城管执法", "handler_kind": "department"}, index, {}) == \
        "城管执法"


@pytest.mark.parametrize("text,instant", [("2026-11-28T00:00:00Z", True),
                                          ("2026-11-28T08:00:00+08:00", True),
                                          ("2026-01-01T00:00:00Z/..", False),
                                          ("../2026-01-01T00:00:00Z", False)])
def test_datetime_forms(text, instant):
    assert F.parse_datetime(text).instant is instant


@pytest.mark.parametrize("bad", ["yesterday", "2026-02-01T00:00:00Z/2026-01-01T00:00:00Z", ".."])
def test_bad_datetimes_name_the_field(bad):
    with pytest.raises(InputError) as err:
        F.parse_datetime(bad)
    assert err.value.field == "datetime"


def test_crs_and_bbox_axis_order():
    assert F.parse_crs(None) == F.CRS84 and F.parse_crs("EPSG:4490") == F.CGCS2000
    with pytest.raises(InputError):
        F.parse_crs("EPSG:3857")
    assert F.parse_bbox("121.5,31.2,121.6,31.3") == (121.5, 31.2, 121.6, 31.3)
    assert F.parse_bbox("31.2,121.5,31.3,121.6", F.CGCS2000) == (121.5, 31.2, 121.6, 31.3)
    with pytest.raises(InputError):
        F.parse_bbox("121.5,31.2,121.6")


def test_plan_validity_meets_instants_and_intervals():
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    plan = {"effective_at": t0, "retired_at": t0 + timedelta(days=30)}
    at = F.parse_datetime
    assert F.plan_valid_in(plan, at("2026-01-10T00:00:00Z"))
    assert not F.plan_valid_in(plan, at("2026-02-10T00:00:00Z"))  # retired by then
    assert F.plan_valid_in(plan, at("2025-06-01T00:00:00Z/2026-01-02T00:00:00Z"))
    assert not F.plan_valid_in({"effective_at": None}, at("2026-01-10T00:00:00Z"))


def test_retry_schedule_doubles_to_its_cap():
    policy = hooks.RetryPolicy(retry_base_s=2, retry_max_s=60, max_attempts=10)
    assert [policy.delay(n) for n in range(1, 8)] == [2, 4, 8, 16, 32, 60, 60]


def test_signature_verifies_with_the_standard_webhooks_library():
    secret = hooks.new_secret()
    body = '{"type":"incident.created","data":{"seq":1}}'.encode()
    ts = int(datetime.now(UTC).timestamp())
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(ts),
               "webhook-signature": hooks.sign(secret, "msg_1", ts, body)}
    assert Webhook(secret).verify(body, headers) == {"type": "incident.created",
                                                      "data": {"seq": 1}}


def test_events_announced_from_timeline_rows():
    base = {"uid": "INC-1", "seq": 2, "category": "waterlogging", "at": datetime.now(UTC),
            "area_chain": {"microgrid": {"id": "mg1", "code": "1"}}, "data": {"level": 1}}
    assert hooks.build_event({**base, "action": "report", "from_status": None,
                              "to_status": "reported"}, "events")[0] == "incident.created"
    assert hooks.build_event({**base, "action": "escalate", "from_status": "dispatched",
                              "to_status": "dispatched"}, "events")[0] == "incident.overdue"
    assert hooks.build_event({**base, "action": "extend", "from_status": "handling",
                              "to_status": "handling"}, "events") is None
    kind, entity, payload = hooks.build_event({**base, "action": "start",
                                               "from_status": "dispatched",
                                               "to_status": "handling"}, "events")
    assert (kind, entity) == ("incident.status_changed", "INC-1")
    assert payload["data"]["microgrid"] == "mg1"
