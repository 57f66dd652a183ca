"""Every GeoJSON answer is documented as the object it is, and a real answer validates
against that schema. OGC API – Features ``items`` and ``items/{fid}`` were documented as
``{"type": "string"}``, so a schemathesis stateful run rejected every FeatureCollection."""

from __future__ import annotations

import jsonschema_rs  # schemathesis' validator

GEOJSON = "application/geo+json"


def _schema_of(doc: dict, path: str) -> dict:
    schema = doc["paths"][path]["get"]["responses"]["200"]["content"][GEOJSON]["schema"]
    return {**schema, "components": doc["components"]}


def test_no_geojson_answer_is_documented_as_a_string(client):
    doc = client.get("/openapi.json").json()
    strings = [(path, method) for path, ops in doc["paths"].items() for method, op in ops.items()
               if isinstance(op, dict)
               for status, resp in op.get("responses", {}).items() if status.startswith("2")
               for media, content in (resp.get("content") or {}).items()
               if media.endswith("json") and content.get("schema", {}).get("type") == "string"]
    assert strings == []


def test_ogc_items_validate_against_their_documented_schema(client):
    doc = client.get("/openapi.json").json()
    cids = [c["id"] for c in client.get("/ogc/collections").json()["collections"]]
    assert len(cids) >= 5
    for cid in cids:
        many = client.get(f"/ogc/collections/{cid}/items", params={"limit": 5})
        assert many.status_code == 200 and many.headers["content-type"].startswith(GEOJSON)
        body = many.json()
        assert body["type"] == "FeatureCollection" and 1 <= len(body["features"]) <= 5
        jsonschema_rs.validate(_schema_of(doc, "/ogc/collections/{cid}/items"), body)

    fid = body["features"][0]["id"]
    one = client.get(f"/ogc/collections/{cid}/items/{fid}")
    assert one.status_code == 200 and one.json()["id"] == fid
    jsonschema_rs.validate(_schema_of(doc, "/ogc/collections/{cid}/items/{fid}"), one.json())
    # the documented schema has teeth: a bare string is refused
    assert not jsonschema_rs.is_valid(_schema_of(doc, "/ogc/collections/{cid}/items/{fid}"),
                                      "not a feature")
