"""A reverse lookup answers with the house number it found: point, label and source are that
house's, and the JSON keeps its flat shape."""

from __future__ import annotations

import json

import numpy as np
import pytest
from geocode_helpers import ll, xy

KEYS = ["ok", "lon", "lat", "address", "name", "distance_m", "source", "source_index", "reason"]


@pytest.mark.parametrize("x, y", [(52, 25), (0, -60), (470, 30), (1000, 45)])
def test_found_reads_the_house(gaz, x, y):
    r = gaz.reverse(*ll(x, y))
    assert r.ok and r.house is not None and r.reason is None
    place = r.house.place
    assert (r.lon, r.lat, r.address) == (place.lon, place.lat, r.house.label)
    assert (r.source, r.source_index) == (place.source, place.index)
    hx, hy = xy(r.lon, r.lat)
    assert r.distance_m == pytest.approx(np.hypot(hx - x, hy - y), abs=0.05)
    assert r.name is None or r.name != r.address
    d = json.loads(json.dumps(r.to_dict(), default=str))
    assert list(d) == KEYS and d["address"] == r.address and d["ok"] is True


def test_too_far_keeps_only_the_distance_and_why(gaz):
    near = gaz.reverse(*ll(52, 25))
    far = gaz.reverse(*ll(52, 25), max_distance_m=near.distance_m / 2)
    assert not far.ok and far.house is None
    assert far.distance_m == pytest.approx(near.distance_m)
    assert far.to_dict() == {**dict.fromkeys(KEYS), "ok": False, "distance_m": far.distance_m,
                             "reason": far.reason}
    assert "beyond" in far.reason
