"""POST /users: the documented scope pattern is exactly what the store accepts."""

from __future__ import annotations

import re

from geogrid.store.users import create_user, issue_token


def test_user_scope_pattern_is_what_the_store_accepts(client, demo_store):
    """The schema allowed any 6-15 digits while the store takes 6, 9, 12 or 15, so a
    14-digit scope passed the schema and was refused (schemathesis: valid data rejected)."""
    create_user(demo_store, "admin-scope", "admin")
    h = {"Authorization": f"Bearer {issue_token(demo_store, 'admin-scope')}"}
    schema = client.get("/openapi.json").json()["components"]["schemas"]["UserCreate"]
    pattern = next(s["pattern"] for s in schema["properties"]["scope"]["anyOf"] if "pattern" in s)
    for n in range(1, 17):
        scope = "3101150050030"[:n].ljust(n, "1")
        r = client.post("/users", json={"username": f"u{n}", "role": "planner", "scope": scope},
                        headers=h)
        assert (r.status_code == 201) == bool(re.match(pattern, scope)) == (n in (6, 9, 12, 15))
