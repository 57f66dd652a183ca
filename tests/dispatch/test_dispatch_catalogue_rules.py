"""Category catalogue and dispatch rules."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, box

from geogrid._errors import CRSError, InputError, NotFoundError, OutOfCoverageError, ValidationError
from geogrid.dispatch import (
    TEAM_ROLES,
    Assignment,
    Catalogue,
    LimitUnit,
    MustAttend,
    TimeLimit,
    assign,
    lead_microgrid,
    raise_hand,
)

CAT = Catalogue.default()


# --------------------------------------------------------------------------- catalogue


@pytest.mark.parametrize("key,limit,handler", [
    ("暴露垃圾", TimeLimit(1, "working_days"), "兼职网格员"),
    ("道路不洁", TimeLimit(5, "working_hours"), "兼职网格员"),
    ("积水", TimeLimit(4, "working_hours"), "专职网格员"),
    ("违法搭建", TimeLimit(15, "working_days"), "城管执法"),
    ("违建", TimeLimit(15, "working_days"), "城管执法"),
    ("井盖", TimeLimit(3, LimitUnit.HOURS), "住建"),
    ("群租", TimeLimit(5, "working_days"), "专职网格员"),
    ("高空抛物", TimeLimit(1, "working_days"), "专职网格员"),
    ("占道经营", TimeLimit(1, "working_days"), "专职网格员"),
    ("噪声", TimeLimit(2, "working_days"), "专职网格员"),
])
def test_default_catalogue_limits_and_handlers(key, limit, handler):
    c = CAT.get(key)
    assert c.time_limit == limit
    assert c.handler == handler
    assert c.handler_kind == ("team" if handler in TEAM_ROLES else "department")


def test_lookup_by_code_alias_and_service_code():
    c = CAT.get("illegal_construction")
    assert CAT.get("违章搭建") is c and CAT.get(c.service_code) is c and CAT.get(" 违建 ") is c
    assert "违建" in CAT and "火星" not in CAT
    assert CAT.find("火星") is None
    with pytest.raises(NotFoundError) as err:
        CAT.get("暴露垃")
    assert "暴露垃圾" in str(err.value)


def test_three_must_attend_classes():
    must = {c.name: c.must_attend for c in CAT if c.must_attend}
    assert must == {"突发事件": MustAttend.EMERGENCY, "矛盾纠纷": MustAttend.DISPUTE,
                    "重大活动": MustAttend.MAJOR_EVENT}
    assert MustAttend.DISPUTE.zh == "矛盾纠纷"


def test_catalogue_is_consistent():
    codes = [c.service_code for c in CAT]
    assert len(codes) == len(set(codes))
    for c in CAT:
        assert c.handler in TEAM_ROLES or c.handler in CAT.departments
        assert c.escalate_to in CAT.departments
        assert c.frequency >= 0
    services = CAT.services()
    assert {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"} <= \
        set(services[0])
    assert services[0]["metadata"] is False and services[0]["type"] == "realtime"


def test_round_trip_and_files(tmp_path):
    again = Catalogue.from_dict(CAT.to_dict())
    assert again.categories == CAT.categories
    (tmp_path / "c.json").write_text(json.dumps(CAT.to_dict(), ensure_ascii=False), encoding="utf-8")
    assert Catalogue.load(tmp_path / "c.json").categories == CAT.categories
    (tmp_path / "c.toml").write_text(
        'departments = ["城管执法"]\n[[category]]\ncode = "x"\nname = "测试"\nlimit = "2 工作日"\n'
        'handler = "网格长"\nservice_code = "9"\nescalate_to = "城管执法"\n', encoding="utf-8")
    small = Catalogue.load(tmp_path / "c.toml")
    assert len(small) == 1 and small.get("测试").time_limit == TimeLimit(2, "working_days")
    (tmp_path / "bad.toml").write_text("[[category]\n", encoding="utf-8")
    with pytest.raises(InputError):
        Catalogue.load(tmp_path / "bad.toml")


def test_invalid_catalogue_lists_every_problem():
    data = {"departments": ["房管"], "category": [
        {"code": "a", "name": "甲", "limit": "1 fortnight", "handler": "网格长", "service_code": "1"},
        {"code": "b", "name": "乙", "limit": "1 hours", "handler": "保安", "service_code": "2"},
        {"code": "a", "name": "丙", "limit": "1 hours", "handler": "网格长", "service_code": "3",
         "must_attend": "picnic", "escalate_to": "消防"},
        {"name": "丁", "limit": "1 hours", "handler": "网格长"},
    ]}
    with pytest.raises(ValidationError) as err:
        Catalogue.from_dict(data)
    got = {(str(p.index), p.field) for p in err.value.problems}
    assert {("a", "limit"), ("b", "handler"), ("a", "code"), ("a", "must_attend"), ("a", "escalate_to"),
            ("3", "code"), ("3", "service_code")} <= got
    with pytest.raises(ValidationError):
        Catalogue.from_dict({"category": []})


# --------------------------------------------------------------------------- rules


def test_default_goes_to_the_microgrid_team():
    a = assign("暴露垃圾", microgrid="MG-1", participants=["MG-2", "MG-1"], catalogue=CAT)
    assert (a.handler_kind, a.handler, a.unit, a.rule) == ("team", "兼职网格员", "MG-1", "microgrid")
    assert a.participants == ("MG-2",)
    assert a.must_attend is None


def test_department_category_escalates_to_the_department():
    a = assign("违建", microgrid="MG-1", participants=["MG-2"], catalogue=CAT)
    assert (a.handler_kind, a.handler, a.unit, a.rule) == ("department", "城管执法", "城管执法", "department")
    assert a.participants == ("MG-1", "MG-2")  # the microgrids take part on site
    assert "网格出题、部门答题" in a.reason


def test_raise_hand_rule():
    a = assign("群租", microgrid="MG-1", catalogue=CAT, raise_hand_to="房管")
    assert (a.handler_kind, a.handler, a.rule, a.participants) == ("department", "房管", "raise_hand", ("MG-1",))
    with pytest.raises(InputError):
        assign("群租", microgrid="MG-1", catalogue=CAT, raise_hand_to="天庭")
    team = assign("群租", microgrid="MG-1", participants=["MG-3"], catalogue=CAT)
    up = raise_hand(team, "房管", catalogue=CAT)
    assert (up.handler, up.unit, up.rule, up.participants) == ("房管", "房管", "raise_hand", ("MG-1", "MG-3"))


def test_territorial_fallback():
    unknown = assign("外星人", microgrid="MG-1", catalogue=CAT)
    assert (unknown.handler_kind, unknown.handler, unknown.unit, unknown.rule) == \
        ("team", "网格长", "MG-1", "territorial")
    nowhere = assign("暴露垃圾", chain=["C-1", "G-1", "S-1"], catalogue=CAT)
    assert (nowhere.handler_kind, nowhere.unit, nowhere.rule) == ("territorial", "C-1", "territorial")
    assert "属地兜底" in nowhere.reason
    with pytest.raises(OutOfCoverageError):
        assign("暴露垃圾", catalogue=CAT)


def test_must_attend_carried():
    a = assign("矛盾纠纷", microgrid="MG-1", catalogue=CAT)
    assert a.handler == "网格长" and a.must_attend == "dispute"


def test_assignment_round_trip():
    a = assign("违建", microgrid="MG-1", catalogue=CAT)
    assert Assignment.from_dict(json.loads(json.dumps(a.to_dict()))) == a
    assert a.same_handler(Assignment.from_dict(a.to_dict()))
    assert not a.same_handler(None)


@pytest.fixture
def microgrids():
    # three 100 m wide microgrids side by side (west to east), ids out of order
    w = 0.001
    return gpd.GeoDataFrame({"id": ["MG-B", "MG-A", "MG-C"]},
                            geometry=[box(121.500, 31.230, 121.500 + w, 31.231),
                                      box(121.500 + w, 31.230, 121.500 + 2 * w, 31.231),
                                      box(121.500 + 2 * w, 31.230, 121.500 + 3 * w, 31.231)],
                            crs="EPSG:4490")


def test_lead_microgrid_point(microgrids):
    assert lead_microgrid(Point(121.5005, 31.2305), microgrids) == ("MG-B", (), {"MG-B": 1.0})
    # on the edge shared by MG-B and MG-A: the smaller id leads
    lead, parts, _ = lead_microgrid(Point(121.501, 31.2305), microgrids)
    assert lead == "MG-A" and parts == ()
    assert lead_microgrid(Point(121.6, 31.3), microgrids) == (None, (), {})


def test_lead_microgrid_line_and_area(microgrids):
    # a line with 30 % in MG-B and 70 % in MG-A
    line = LineString([(121.5007, 31.2305), (121.5017, 31.2305)])
    lead, parts, shares = lead_microgrid(line, microgrids)
    assert lead == "MG-A" and parts == ("MG-B",)
    assert shares["MG-A"] == pytest.approx(0.7, abs=1e-3) and shares["MG-B"] == pytest.approx(0.3, abs=1e-3)
    # an area over all three, mostly in MG-C
    area = box(121.5009, 31.2302, 121.503, 31.2308)
    lead, parts, shares = lead_microgrid(area, microgrids)
    assert lead == "MG-C" and set(parts) == {"MG-A", "MG-B"}
    assert sum(shares.values()) == pytest.approx(1.0)
    lead, parts, _ = lead_microgrid(area, microgrids, min_share=0.1)
    assert parts == ("MG-A",)


def test_lead_microgrid_contract(microgrids):
    with pytest.raises(CRSError):
        lead_microgrid(Point(121.5, 31.23), microgrids.set_crs(None, allow_override=True))
    with pytest.raises(InputError):
        lead_microgrid(Point(121.5, 31.23), microgrids, id_column="code")
    with pytest.raises(InputError):
        lead_microgrid(Point(), microgrids)


def test_reasons_are_chinese_first_with_english_available():
    import re

    from geogrid.dispatch.rules import REASONS, assign, reason_in, reason_text

    for key in REASONS:
        values = {"category": "暴露垃圾", "role": "专职网格员", "dept": "城管", "unit": "MG-1",
                  "unit_en": "MG-1"}
        both = reason_text(key, **values)
        zh, en = reason_in(both, "zh"), reason_in(both, "en")
        assert both.startswith(zh) and both.endswith(en) and zh != en
        assert re.search(r"[\u4e00-\u9fff]", zh[:4])
        assert not re.search(r"\b(the|asked|takes|goes|needs)\b", zh)
        assert re.search(r"[A-Za-z]{3}", en)
    a = assign(None, microgrid="MG-9", raise_hand_to="城管")
    assert reason_in(a.reason, "zh").startswith("举手") and "take over" in reason_in(a.reason, "en")
