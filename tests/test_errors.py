"""Error codes: declared once per class, unique, stable, and each has a Chinese sentence."""

from __future__ import annotations

import re

import pytest

import geogrid.batch  # noqa: F401  (defines DatumMismatch)
import geogrid.partition.edit  # noqa: F401  (defines PlanEditError)
from geogrid import _errors
from geogrid.errors import CODES, ConflictError, GeoGridError, InputError
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
