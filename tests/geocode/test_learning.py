"""Dispatchers teach the address database: a confirmed or corrected incident location becomes
an address (candidate or active, by setting), with who confirmed it; intake flags geocodes
under the configured review threshold."""

from __future__ import annotations

import pytest

from geogrid._errors import InputError
from geogrid.services.gazetteer import gazetteer_from_store
from geogrid.services.incidents import FLAG_GEOCODE_REVIEW, Intake, IncidentService
from geogrid.services.plancache import PlanCache
from geogrid.store.addresses import AddressBook


@pytest.fixture
def demo_both(demo_store_any):
    return demo_store_any


def _service(store, **kw) -> IncidentService:
    return IncidentService(store, PlanCache(store, ttl_s=0.0), **kw)


def _report(svc, address, lon=121.512, lat=31.237, **kw) -> dict:
    row, created = svc.intake(Intake(category="积水", lon=lon, lat=lat, datum="cgcs2000",
                                     address=address, **kw), actor="hotline")
    assert created
    return row


def test_confirm_and_correct_teach_the_address_database(demo_both):
    """One demo load per store: confirm (review mode), correct (auto mode), refuse no address."""
    _confirm_records_a_candidate_with_its_confirmer(demo_both)
    _correction_joins_at_once_in_auto_mode(demo_both)
    _confirming_an_incident_without_address_is_a_clear_error(demo_both)


def _confirm_records_a_candidate_with_its_confirmer(demo_both):
    svc = _service(demo_both, learning="review")
    inc = _report(svc, "测试新路88号")
    svc.confirm_location(inc["uid"], actor="dispatcher7")
    book = AddressBook(demo_both)
    cand = book.frame(status="candidate")
    row = cand[cand["key"] == "测试新路88号"]
    assert len(row) == 1
    assert row["confirmed_by"].iloc[0] == "dispatcher7"
    assert row["incident_id"].iloc[0] == inc["uid"] and row["source"].iloc[0] == "confirmed"
    assert abs(row.geometry.x.iloc[0] - inc["lon"]) < 1e-7
    assert abs(row.geometry.y.iloc[0] - inc["lat"]) < 1e-7
    # waiting for review: not yet in the gazetteer
    assert "测试新路88号" not in set(book.frame()["key"])
    assert not gazetteer_from_store(demo_both).geocode("测试新路88号").ok
    audit = demo_both.audit_entries(entity="address_book")
    assert any(a["action"] == "addresses.confirm" and a["actor"] == "dispatcher7" for a in audit)


def _correction_joins_at_once_in_auto_mode(demo_both):
    svc = _service(demo_both, learning="auto")
    inc = _report(svc, "测试新路90号")
    moved = svc.transition(inc["uid"], "relocate", actor="dispatcher8", reason="位置更正",
                           locator=svc.cache.locator(inc["plan_id"]), lon=121.5005,
                           lat=31.2385, datum="cgcs2000")
    got = gazetteer_from_store(demo_both).geocode("测试新路90号")
    assert got.ok and got.source == "addresses"
    assert abs(got.lon - moved["lon"]) < 1e-6 and abs(got.lat - moved["lat"]) < 1e-6
    assert abs(got.lon - inc["lon"]) > 1e-3  # the corrected point, not the reported one
    active = AddressBook(demo_both).frame()
    assert active.loc[active["key"] == "测试新路90号", "confirmed_by"].tolist() == ["dispatcher8"]


def _confirming_an_incident_without_address_is_a_clear_error(demo_both):
    svc = _service(demo_both)
    inc = _report(svc, None)
    with pytest.raises(InputError) as err:
        svc.confirm_location(inc["uid"], actor="d")
    assert err.value.field == "address" and "没有地址" in str(err.value)


def test_intake_uses_the_configured_review_threshold(demo_store):
    """The same address and point: flagged under a high threshold, not under a low one."""
    gaz = gazetteer_from_store(demo_store, review_below=0.0)
    address = next(q for q in ("崂山路638号", "崂山路", "浦东南路") if gaz.geocode(q).ok)
    conf = gaz.geocode(address).confidence
    assert 0.0 < conf < 1.0
    strict = _report(_service(demo_store, review_below=min(conf + 0.01, 1.0)), address,
                     lon=None, lat=None)
    lenient = _report(_service(demo_store, review_below=max(conf - 0.01, 0.0)), address,
                      lon=None, lat=None)
    assert FLAG_GEOCODE_REVIEW in (strict["attrs"]["flags"] or [])
    assert FLAG_GEOCODE_REVIEW not in (lenient["attrs"]["flags"] or [])
