"""Errors a street office or the public meets say what is wrong and how to fix it in
Chinese first, the English kept after it: the raising code carries the Chinese, so the
answer never falls back to a generic Chinese line in front of an English-only detail
(``message_en`` absent) and the ``fix`` reads in both languages."""

from __future__ import annotations

import re

import pytest

from geogrid.dispatch import Workflow
from geogrid.errors import GeoGridError

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


def _bilingual(text: str) -> bool:
    return bool(CJK.search(text or "")) and bool(LATIN_WORD.search(text or ""))


def _chinese_first(text: str) -> bool:
    """The first Chinese character comes before the first English sentence (a field or
    header name such as ``API`` or ``footprint`` may lead)."""
    sentence = re.search(r"[A-Za-z]+ [a-z]+ [a-z]+", text)
    first_cjk = CJK.search(text)
    return first_cjk is not None and (sentence is None or first_cjk.start() < sentence.start())


def _check(err: dict) -> None:
    assert "message_en" not in err, err
    assert _chinese_first(err["message"]) and _bilingual(err["message"]), err["message"]
    assert _bilingual(err["fix"]), err["fix"]


@pytest.mark.parametrize("header, words", [
    ("Bearer ggt_not-a-token", "API 令牌不存在或已吊销"),
    ("Bearer not.a.jwt", "登录令牌无效"),
    ("Basic YWxhZGRpbjpvcGVu", "Authorization 请求头"),
])
def test_sign_in_failures(client, header, words):
    r = client.get("/auth/me", headers={"Authorization": header})
    assert r.status_code == 401
    err = r.json()["error"]
    assert words in err["message"]
    _check(err)


@pytest.mark.parametrize("path, field, words", [
    ("/public/mygrid?lat=31.23", "q", "请输入地址"),
    ("/public/mygrid?lon=121.51&lat=31.23", "datum", "坐标须注明坐标系"),
    ("/?basemap=local", "basemap", "未知的底图"),
    ("/areas/no-such-area", "area_id", "不在方案"),
])
def test_public_and_page_errors(client, path, field, words):
    r = client.get(path)
    assert r.status_code in (404, 422)
    err = r.json()["error"]
    assert err["field"] == field and words in err["message"]
    _check(err)


WF = Workflow.default()


def _error(call) -> dict:
    with pytest.raises(GeoGridError) as info:
        call()
    return info.value.to_dict()


def test_workflow_refusals_read_chinese_first():
    from datetime import datetime

    from geogrid.dispatch import BEIJING, parse_action

    at = datetime(2026, 3, 2, 9, 30, tzinfo=BEIJING)
    state, _ = WF.report("INC-1", "暴露垃圾", at, actor="巡查员", location=(121.5, 31.23),
                         microgrid="MG-1")
    errors = [
        _error(lambda: parse_action("bogus")),
        _error(lambda: WF.apply(state, "complete", actor="a", at=at)),          # wrong state
        _error(lambda: WF.apply(state, "reject", actor="a", at=at)),            # needs a reason
        _error(lambda: WF.apply(state, "accept", actor="a", at=at, level=3)),   # stray payload
    ]
    accepted, _ = WF.apply(state, "accept", actor="a", at=at)
    errors.append(_error(lambda: WF.apply(accepted, "recategorise", actor="a", at=at,
                                          reason="分错了")))
    for err in errors:
        _check(err)
    assert "未知的操作" in errors[0]["message"] and "bogus" in errors[0]["message"]
    assert "不能执行" in errors[1]["message"] and "现在可执行" in errors[1]["fix"]



def test_catalogue_calendar_and_rules_refusals_read_chinese_first():
    from geogrid.dispatch import TimeLimit
    from geogrid.dispatch.rules import assign, raise_hand

    assignment = assign("暴露垃圾", microgrid="MG-1", catalogue=WF.catalogue)
    errors = [
        _error(lambda: WF.catalogue.get("垃圾暴露了吗")),
        _error(lambda: TimeLimit.parse("三天")),
        _error(lambda: TimeLimit.parse({"value": 4})),
        _error(lambda: TimeLimit.parse("4 fortnights")),
        _error(lambda: raise_hand(assignment, "不存在的部门", catalogue=WF.catalogue)),
    ]
    for err in errors:
        _check(err)
    assert "不在事件目录中" in errors[0]["message"]
    assert "不在事件目录的部门中" in errors[-1]["message"]


@pytest.mark.parametrize("form, words, fix", [
    ({"service_code": "9999", "lat": "31.23", "long": "121.51"}, "不存在", "查看服务。List services"),
    ({"service_code": "0101", "lat": "31.23"}, "须同时给出", "同时发送 lat 和 long"),
])
def test_open311_refusals_carry_a_chinese_fix(client, demo_store, form, words, fix):
    from geogrid.store.users import create_user, issue_token

    create_user(demo_store, "disp-zh", "dispatcher")
    r = client.post("/open311/v2/requests.json", data=form,
                    headers={"Authorization": f"Bearer {issue_token(demo_store, 'disp-zh')}"})
    assert r.status_code in (400, 404)
    (err,) = r.json()
    assert words in err["description"] and fix in err["description"]
