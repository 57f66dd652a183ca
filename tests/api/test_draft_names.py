"""A draft copied from a draft (or from a plan activated from one) carries one 草稿 mark, not
one per generation: after a few copy → activate rounds the public map's legend read
'陆家嘴街道 网格 (演示) (草稿) (草稿) (草稿)' for the active plan."""

from __future__ import annotations

import pytest

from geogrid.services.planning import draft_name
from geogrid.store.users import create_user, issue_token


@pytest.mark.parametrize("name, expected", [
    ("陆家嘴街道 网格", "陆家嘴街道 网格 (草稿)"),
    ("陆家嘴街道 网格 (草稿)", "陆家嘴街道 网格 (草稿)"),
    ("陆家嘴街道 网格 (草稿) (草稿) (草稿)", "陆家嘴街道 网格 (草稿)"),
    (" (草稿)", " (草稿)"),
    ("2027 草稿", "2027 草稿 (草稿)"),
])
def test_draft_name(name, expected):
    assert draft_name(name) == expected


def test_copies_of_copies_keep_one_mark_and_a_given_name_is_kept(client, demo_store):
    create_user(demo_store, "pl-names", "planner")
    h = {"Authorization": f"Bearer {issue_token(demo_store, 'pl-names')}"}
    base = client.get("/plans/1", headers=h).json()["name"]
    first = client.post("/plans/1/copy", json={}, headers=h).json()
    second = client.post(f"/plans/{first['id']}/copy", json={}, headers=h).json()
    assert first["name"] == second["name"] == f"{base} (草稿)"
    named = client.post(f"/plans/{second['id']}/copy", json={"name": "2027 微网格"}, headers=h)
    assert named.json()["name"] == "2027 微网格"

