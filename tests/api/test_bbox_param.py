"""The ``bbox`` query parameter: the OGC parse plus min below max on both axes."""

from __future__ import annotations

import pytest

from api.deps import parse_bbox
from geogrid.errors import InputError
from geogrid.services.features import parse_bbox as parse_ogc_bbox


def test_a_box_in_order_is_read_as_floats():
    assert parse_bbox("121.50,31.23,121.52,31.25") == (121.50, 31.23, 121.52, 31.25)
    assert parse_bbox(None) is None and parse_bbox("") is None


@pytest.mark.parametrize("value", ["1,2,3", "a,b,c,d", "nan,1,2,3", "inf,1,2,3",
                                   "200,0,201,1", "121.52,31.23,121.51,31.24", "1,2,1,3",
                                   "1,5,2,4", "1,2,2,2"])
def test_malformed_or_unordered_boxes_are_refused_naming_the_field(value):
    with pytest.raises(InputError) as err:
        parse_bbox(value)
    assert err.value.field == "bbox" and err.value.value == value
    assert "/" in err.value.message and any("\u4e00" <= c <= "\u9fff" for c in err.value.message)


def test_only_the_antimeridian_box_separates_it_from_the_ogc_parse():
    # OGC API Features allows minlon > maxlon (a box across 180°); the plain API does not
    assert parse_ogc_bbox("179,0,-179,1") == (179.0, 0.0, -179.0, 1.0)
    with pytest.raises(InputError):
        parse_bbox("179,0,-179,1")
