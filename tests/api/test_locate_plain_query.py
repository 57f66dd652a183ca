"""``GET /locate``: the plainly written public query answered without FastAPI's parameter
solving gives byte for byte the answer of the validated path, and anything else is left
to the validated path."""

from __future__ import annotations

import numpy as np
import pytest

from api.routers.locate import plain_query
from geogrid.datum import Datum, from_storage


def _scope(query: bytes, headers=()) -> dict:
    return {"query_string": query, "headers": list(headers)}


def _same_without_fast_path(client, query: str):
    """The response to ``query`` and to the same query with ``plan=active`` added (which
    names the same plan but takes the validated path)."""
    fast = client.get(f"/locate?{query}")
    full = client.get(f"/locate?{query}&plan=active")
    return fast, full


def _points(n: int, seed: int) -> list[tuple[float, float]]:
    rng = np.random.default_rng(seed)
    return list(zip(rng.uniform(121.497, 121.522, n).round(6), rng.uniform(31.226, 31.248, n)
                    .round(6)))


@pytest.mark.parametrize("datum", ["wgs84", "cgcs2000", "gcj02", "bd09"])
def test_plain_answers_equal_validated_ones(client, datum):
    seen = set()
    for lon, lat in _points(40, 7):
        x, y = from_storage(np.array([lon]), np.array([lat]), datum)
        query = f"lon={x[0]:.6f}&lat={y[0]:.6f}&datum={datum}&snap_m=300"
        assert plain_query(_scope(query.encode())) is not None
        fast, full = _same_without_fast_path(client, query)
        assert fast.status_code == full.status_code
        assert fast.content == full.content
        assert fast.headers["content-security-policy"] == full.headers["content-security-policy"]
        seen.add(fast.status_code)
    assert 200 in seen                     # the sample holds located points


def test_errors_of_the_plain_path_are_the_validated_ones(client):
    # far outside: the out-of-coverage error is raised by the same code on both paths
    fast, full = _same_without_fast_path(client, "lon=121.40&lat=31.10&datum=wgs84")
    assert fast.status_code == full.status_code == 422
    assert fast.json() == full.json()
    assert fast.json()["error"]["code"] == "out_of_coverage"


@pytest.mark.parametrize("query", [
    b"lon=121.5&lat=31.2&datum=wgs84",
    b"lat=31.2&datum=gcj02&lon=-121.5&snap_m=0",
    b"lon=121&lat=31&datum=bd09&snap_m=5000",
])
def test_plain_queries(query):
    lon, lat, datum, snap = plain_query(_scope(query))
    assert isinstance(datum, Datum) and -180 <= lon <= 180 and -90 <= lat <= 90
    assert snap is None or 0 <= snap <= 5000


@pytest.mark.parametrize("query", [
    b"",
    b"lon=121.5&lat=31.2",                              # no datum: FastAPI's 422
    b"lon=121.5&lat=31.2&datum=WGS84",                  # not the enum's value
    b"lon=121.5&lat=31.2&datum=gps",
    b"lon=121.5&lat=31.2&datum=wgs84&plan=2",           # a plan: visibility rules
    b"lon=121.5&lat=31.2&datum=wgs84&date=2026-01-01",
    b"lon=121.5&lat=31.2&datum=wgs84&lon=121.6",        # repeated key
    b"lon=121.5&lat=31.2&datum=wgs84&x=1",              # unknown key
    b"lon=1.2e2&lat=31.2&datum=wgs84",                  # exponent
    b"lon=%2B121.5&lat=31.2&datum=wgs84",               # percent-encoded
    b"lon=+121.5&lat=31.2&datum=wgs84",
    b"lon=nan&lat=31.2&datum=wgs84",
    b"lon=inf&lat=31.2&datum=wgs84",
    b"lon=181&lat=31.2&datum=wgs84",                    # out of range: FastAPI's 422
    b"lon=121.5&lat=-91&datum=wgs84",
    b"lon=121.5&lat=31.2&datum=wgs84&snap_m=5001",
    b"lon=121.5&lat=31.2&datum=wgs84&snap_m=-1",
    b"lon=121.5&lat=31.2&datum=wgs84&snap_m=",
    b"lon=121.5&lat&datum=wgs84",
    b"lon=121.5.1&lat=31.2&datum=wgs84",
    b"lon=true&lat=31.2&datum=wgs84",
])
def test_anything_else_takes_the_validated_path(query):
    assert plain_query(_scope(query)) is None


def test_a_caller_with_a_token_takes_the_validated_path():
    query = b"lon=121.5&lat=31.2&datum=wgs84"
    assert plain_query(_scope(query, [(b"authorization", b"Bearer x")])) is None


def test_a_bad_token_is_still_refused(client):
    r = client.get("/locate", params={"lon": 121.512, "lat": 31.237, "datum": "wgs84"},
                   headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401


@pytest.mark.parametrize("query", ["lon=181&lat=31.2&datum=wgs84", "lon=121.5&lat=31.2",
                                   "lon=121.5&lat=31.2&datum=wgs84&snap_m=-1"])
def test_invalid_values_get_fastapis_422(client, query):
    r = client.get(f"/locate?{query}")
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_input"
