"""``GET /locate`` queries that are not plain (a plan, a date, odd spellings, bad values)
are validated by one model of the endpoint's parameters: every answer, error or not, is
the one FastAPI's own parameter solving gives for the same endpoint."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.auth import PrincipalDep
from api.errors import install_error_handlers
from api.routers import locate
from api.schemas import LocateOut

QUERIES = [
    "",
    "lon=121.512&lat=31.237",                                   # no datum
    "lon=121.512&lat=31.237&datum=WGS84",                       # not the enum's value
    "lon=121.512&lat=31.237&datum=gps",
    "lon=abc&lat=x&datum=wgs84",                                # two errors, in order
    "lon=181&lat=31.237&datum=wgs84",
    "lon=121.512&lat=-91&datum=wgs84",
    "lon=nan&lat=31.237&datum=wgs84",
    "lon=true&lat=31.237&datum=wgs84",
    "lon=121.512&lat=31.237&datum=wgs84&snap_m=",
    "lon=121.512&lat=31.237&datum=wgs84&snap_m=5001",
    "lon=121.512&lat=31.237&datum=wgs84&snap_m=-1",
    "lon=121.512&lat=31.237&datum=wgs84&date=yesterday",
    "lon=121.512&lat=31.237&datum=wgs84&date=2020-01-01T00:00:00Z",   # before any plan
    "lon=121.512&lat=31.237&datum=wgs84&date=2099-01-01",
    "lon=121.512&lat=31.237&datum=wgs84&plan=active",
    "lon=121.512&lat=31.237&datum=wgs84&plan=99999",
    "lon=121.512&lat=31.237&datum=wgs84&plan=",
    "lon=121.40&lat=31.10&datum=wgs84&plan=active",             # outside coverage
    "lon=121.40&lat=31.10&datum=wgs84&plan=active&snap_m=5000",
    "lon=0&lat=31.237&datum=wgs84&plan=active",                 # outside China
    "lon=121.6&lat=31.237&datum=gcj02&lon=121.512",             # repeated: the last counts
    "lon=121.512&lat=31.237&datum=bd09&x=1&snap_m=100",         # unknown key ignored
    "lon=1.21512e2&lat=31.237&datum=cgcs2000",                  # exponent
    "lon=%2B121.512&lat=31.237&datum=wgs84",                    # percent-encoded
    "lon=+121.512&lat=31.237&datum=wgs84",
]


@pytest.fixture
def reference(client):
    """The same endpoint on a plain FastAPI route (parameter by parameter), sharing the
    served app's state and error handlers."""
    ref = FastAPI()
    install_error_handlers(ref)
    ref.add_api_route("/locate", locate.locate, methods=["GET"], response_model=LocateOut)
    ref.state.geo = client.app.state.geo
    return TestClient(ref)


@pytest.mark.parametrize("query", QUERIES)
def test_answers_are_fastapis(client, reference, query):
    got, want = client.get(f"/locate?{query}"), reference.get(f"/locate?{query}")
    assert got.status_code == want.status_code
    assert got.json() == want.json()


def test_the_catalogue_holds_answers_and_each_kind_of_error(client):
    codes = {client.get(f"/locate?{q}").status_code for q in QUERIES}
    assert {200, 404, 422} <= codes
    r = client.get("/locate?lon=abc&lat=x&datum=wgs84").json()["error"]
    assert [p["field"] for p in r["problems"]] == ["lon", "lat"]


def test_a_token_is_read_before_the_answer(client, reference):
    query = "lon=121.512&lat=31.237&datum=wgs84&plan=active"
    headers = {"Authorization": "Bearer not-a-token"}
    got, want = client.get(f"/locate?{query}", headers=headers), reference.get(f"/locate?{query}",
                                                                              headers=headers)
    assert got.status_code == want.status_code == 401
    assert got.json() == want.json()


def test_routes_with_other_inputs_keep_fastapis_handler():
    app = FastAPI()

    @app.post("/x")
    def takes_a_dependency(principal: PrincipalDep, n: int = 0):
        return n

    @app.get("/y")
    def takes_queries(n: int = 0, m: str | None = None):
        return n

    routes = {r.path: r for r in app.router.routes if isinstance(r, APIRoute)}
    assert locate.query_validator(routes["/x"]) is None
    assert locate.query_validator(routes["/y"]) is not None
