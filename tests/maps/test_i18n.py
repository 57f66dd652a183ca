"""Every code the API returns has its Chinese (and English) sentence; Accept-Language."""

from __future__ import annotations

import inspect
import re

import pytest

from api.i18n import localise_error, prefers_chinese
from geogrid import _errors
from geogrid.dispatch.calendar import LimitUnit
from geogrid.security import Role
from geogrid.validate import ERROR_KINDS, WARNING_KINDS
from maps.i18n import LANGS, STRINGS, bundle, t

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_string_has_chinese_and_english():
    for key, entry in STRINGS.items():
        assert set(LANGS) <= set(entry), key
        if key != "lang.switch":  # the link to the other language is in that language
            assert CJK.search(entry["zh"]) or entry["zh"] == entry["en"], key


def test_every_error_code_has_a_chinese_sentence():
    codes = {cls.code for _, cls in inspect.getmembers(_errors, inspect.isclass)
             if issubclass(cls, _errors.GeoGridError)}
    assert len(codes) > 8
    for code in codes:
        assert CJK.search(t(f"error.code.{code}", "zh")), code


@pytest.mark.parametrize("kind", ERROR_KINDS + WARNING_KINDS)
def test_every_validation_kind_reads_as_a_sentence_with_names(kind):
    text = t(f"issue.{kind}", "zh", names="崂山住区第1微网格、崂山住区第2微网格",
             first="崂山住区第1微网格", second="崂山住区第2微网格", rest="崂山住区第2微网格",
             value=1.5)
    assert CJK.search(text) and kind not in text and "崂山住区第1微网格" in text


def test_units_roles_and_timer():
    for unit in LimitUnit:
        assert t(f"unit.{unit.value}", "zh") == unit.zh
    for role in Role:
        assert CJK.search(t(f"role.{role.value}", "zh")), role
    assert t("timer.remaining", "zh", n=5, unit=t("unit.working_days")) == "剩余 5 个工作日"
    # every page carries these, whatever prefixes it asks for
    assert "error.code.not_found" in bundle("zh", "level.")


@pytest.mark.parametrize("header,zh", [
    ("zh-CN,zh;q=0.9,en;q=0.8", True), ("en-US,en;q=0.9,zh-CN;q=0.8", False),
    ("zh", True), ("en", False), (None, False), ("", False), ("fr, zh-TW;q=0.5", True),
    ("en;q=0.2, zh;q=0.1", False), ("zh;q=bad, en", False)])
def test_accept_language(header, zh):
    assert prefers_chinese(header) is zh


def test_localised_error_keeps_the_english_detail():
    err = {"code": "unauthenticated", "message": "username or password is wrong.",
           "field": "password"}
    zh = localise_error(err, "zh-CN")
    assert zh["message"].startswith("用户名或密码错误") and "username or password" in zh["message"]
    assert zh["message_en"] == err["message"] and zh["field"] == "password"
    assert localise_error(err, "en") is err
    unknown = localise_error({"code": "teapot", "message": "short and stout"}, "zh")
    assert unknown["message"].startswith("请求失败")
