"""``GET /geocode/suggest``: ranked completions for the console's intake form, staff only."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from geogrid.settings import Settings
from geogrid.store.users import create_user, issue_token


@pytest.fixture
def client(demo_store):
    app = create_app(Settings(database_url=str(demo_store.engine.url)), store=demo_store)
    with TestClient(app) as c:
        yield c


@pytest.fixture
def headers(demo_store):
    create_user(demo_store, "s1", "dispatcher")
    return {"Authorization": f"Bearer {issue_token(demo_store, 's1')}"}


def test_suggest_completes_a_road_prefix(client, headers):
    r = client.get("/geocode/suggest", params={"q": "崂山"}, headers=headers)
    assert r.status_code == 200
    body = r.json()
    labels = [i["label"] for i in body["items"]]
    assert body["count"] == len(labels) > 0
    assert all("崂山" in x for x in labels)
    # prefix matches rank before labels that merely contain the text
    starts = [x.startswith("崂山") for x in labels]
    assert starts == sorted(starts, reverse=True)
    assert {"label", "kind", "lon", "lat"} <= set(body["items"][0])


def test_suggest_normalises_what_is_typed(client, headers):
    a = client.get("/geocode/suggest", params={"q": "崂山路６"}, headers=headers).json()
    b = client.get("/geocode/suggest", params={"q": "崂山路6"}, headers=headers).json()
    assert a["items"] == b["items"]


def test_suggest_needs_staff_and_a_query(client, headers):
    assert client.get("/geocode/suggest", params={"q": "崂山"}).status_code == 401
    assert client.get("/geocode/suggest", params={"q": ""}, headers=headers).status_code == 422
