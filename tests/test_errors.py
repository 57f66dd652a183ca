"""Error codes: declared once per class, unique, stable, and each has a Chinese sentence."""

from __future__ import annotations

import re

import pytest

import geogrid.batch  # noqa: F401  (defines DatumMismatch)
import geogrid.partition.edit  # noqa: F401  (defines PlanEditError)
from geogrid import _errors
from geogrid.errors import CODES, ConflictError, GeoGridError, InputError, validator_reason_zh
from maps.i18n import t

CJK = re.compile(r"[\u4e00-\u9fff]")

#: codes clients key on; they must never change
STABLE = {"geogrid_error": "GeoGridError", "invalid_input": "InputError", "crs_error": "CRSError",
          "datum_error": "DatumError", "validation_failed": "ValidationError",
          "not_found": "NotFoundError", "conflict": "ConflictError",
          "illegal_state": "StateError", "out_of_coverage": "OutOfCoverageError",
          "store_unavailable": "StoreUnavailableError", "unauthenticated": "AuthenticationError",
          "forbidden": "PermissionDenied", "limit_exceeded": "LimitExceeded",
          "plan_edit_refused": "PlanEditError", "datum_mismatch": "DatumMismatch"}


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_codes_are_stable_and_each_names_its_class():
    assert {code: cls.__name__ for code, cls in CODES.items()} == STABLE
    for code, cls in CODES.items():
        err = cls("x", []) if cls is _errors.ValidationError else cls("x")
        assert cls.code == code and err.to_dict()["code"] == code


def test_every_error_class_of_the_package_is_registered_under_its_code():
    for cls in _subclasses(GeoGridError):
        if cls.__module__.startswith("geogrid."):
            assert CODES[cls.code] is cls or "code" not in vars(cls), cls


@pytest.mark.parametrize("code", sorted(STABLE))
def test_every_code_has_a_chinese_and_an_english_sentence(code):
    assert CJK.search(t(f"error.code.{code}", "zh")), code
    assert t(f"error.code.{code}", "en") != f"error.code.{code}"


def test_a_second_class_with_a_taken_code_is_refused():
    with pytest.raises(TypeError, match="conflict"):
        class Again(GeoGridError, code="conflict"):
            pass
    with pytest.raises(TypeError, match="invalid_input"):
        class InBody(InputError):
            code = "invalid_input"
    assert CODES["conflict"] is ConflictError and CODES["invalid_input"] is InputError


def test_a_subclass_without_a_code_keeps_its_parents():
    class Narrow(ConflictError):
        pass

    assert Narrow("x").code == "conflict" and CODES["conflict"] is ConflictError
    assert issubclass(_errors.NotFoundError, LookupError)


# -- the HTTP API's error bodies -----------------------------------------------------------


@pytest.mark.parametrize("kind, ctx, zh", [
    ("float_parsing", None, "须为数字"), ("int_parsing", None, "须为整数"),
    ("less_than_equal", {"le": 180}, "须 ≤ 180"), ("greater_than", {"gt": 0}, "须 > 0"),
    ("string_too_short", {"min_length": 1}, "须 长度 ≥ 1"), ("missing", None, "缺少此项"),
    ("enum", {"expected": "'wgs84' or 'gcj02'"}, "不在可选值之中 (可选: wgs84, gcj02)"),
    ("no_such_type", None, None),
])
def test_validator_reasons_in_chinese(kind, ctx, zh):
    assert validator_reason_zh(kind, ctx) == zh


@pytest.fixture
def api(demo_store):
    from fastapi.testclient import TestClient

    from api import create_app
    from geogrid.settings import Settings

    app = create_app(Settings(database_url=str(demo_store.engine.url)), store=demo_store)
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        yield client


def _error(r, status):
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert CJK.search(err["message"]) and re.search(r"[A-Za-z]{3}", err["message"])
    first_latin = re.search(r"[A-Za-z]{3}", re.sub(r"'[^']*'|\b[a-z_]+\b(?=[ :。])", "",
                                                    err["message"]))
    assert first_latin is None or CJK.search(err["message"]).start() < first_latin.start()
    assert CJK.search(err["fix"]) and re.search(r"[A-Za-z]{3}", err["fix"]), err
    return err


@pytest.mark.parametrize("query, field, value, zh, fix", [
    ("lon=abc&lat=31.23&datum=wgs84", "lon", "abc", "字段 lon 的值 'abc' 无效: 须为数字", "/docs"),
    ("lon=200&lat=31.23&datum=wgs84", "lon", "200", "字段 lon 的值 '200' 无效: 须 ≤ 180", "/docs"),
    ("lon=121.5&lat=31.23&datum=mars", "datum", "mars", "字段 datum 的值 'mars' 无效: 不在可选值之中 "
     "(可选: wgs84, cgcs2000, gcj02, bd09)", "datum 取以下之一"),
    ("lon=121.5&lat=31.23", "datum", None, "缺少必填字段 datum", "加上 datum"),
])
def test_a_bad_query_parameter_is_named_with_its_value_and_fix(api, query, field, value, zh, fix):
    err = _error(api.get(f"/locate?{query}"), 422)
    assert err["field"] == field and err.get("value") == value and err["code"] == "invalid_input"
    assert err["message"].startswith(zh) and fix in err["fix"]
    assert err["problems"][0]["field"] == field


def test_a_body_that_is_not_json_is_named_as_such(api):
    r = api.post("/locate", content="{lon: 121.5", headers={"content-type": "application/json"})
    err = _error(r, 422)
    assert err["field"] == "body" and err["message"].startswith("请求体不是合法的 JSON")
    assert "Content-Type: application/json" in err["fix"] and "value" not in err


def test_an_unknown_path_or_method_names_itself(api):
    err = _error(api.get("/no/such/path"), 404)
    assert err["message"] == "路径不存在: GET /no/such/path。Not Found: GET /no/such/path"
    err = _error(api.put("/plans/1"), 405)
    assert "PUT /plans/1" in err["message"] and err["message"].startswith("不支持此方法")


def test_english_only_core_messages_get_chinese_first_unless_english_is_preferred(api):
    far = "/locate?lon=116.40&lat=39.90&datum=wgs84"
    for header in (None, "zh-CN"):
        err = api.get(far, headers={"accept-language": header} if header else {}).json()["error"]
        assert err["message"].startswith("该位置不在任何网格内 (") and "in no area" in err["message"]
        assert "in no area" in err["message_en"]
    err = api.get(far, headers={"accept-language": "en-US,en;q=0.9,zh;q=0.5"}).json()["error"]
    assert not CJK.search(err["message"]) and "message_en" not in err


def test_a_message_that_has_its_chinese_is_not_wrapped_again(api):
    err = api.get("/plans/999", headers={"accept-language": "zh-CN"}).json()["error"]
    assert err["message"] == "方案 999 不存在。plan 999 does not exist." and "message_en" not in err
