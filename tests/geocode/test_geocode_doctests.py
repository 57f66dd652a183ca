"""The examples in the geocode docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["geogrid.geocode._numerals", "geogrid.geocode.address", "geogrid.geocode.parsed",
           "geogrid.geocode.gazetteer",
           "geogrid.geocode.osm", "geogrid.geocode.calibrate", "geogrid.geocode.addressdb",
           "geogrid.geocode._forms", "geogrid.geocode._numbering_errors"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
