"""A method a path does not have gets 405 with an ``Allow`` header that lists exactly the
methods the OpenAPI document gives that path (RFC 9110 §15.5.6), over every path.

Starlette answers from the first route whose path matched, so ``OPTIONS /incidents`` once
said ``Allow: POST`` (GET exists too) and ``OPTIONS /webhooks/deliveries`` said ``DELETE``
(the method of ``/webhooks/{sid}``, not of the delivery log). ``DELETE /plans/{plan_id}``
and ``GET /plans/{plan}`` were two templates for one URL.
"""

from __future__ import annotations

import re

HTTP_METHODS = {"get", "post", "put", "patch", "delete", "head", "options", "trace"}


def _url(template: str) -> str:
    """A concrete URL for ``template``: ``json`` for a format, ``1`` for any other parameter."""
    return re.sub(r"\{([^}]+)\}", lambda m: "json" if m.group(1) == "fmt" else "1", template)


def test_every_path_has_one_template_per_url(client):
    paths = client.get("/openapi.json").json()["paths"]
    shapes = [re.sub(r"\{[^}]+\}", "{}", p) for p in paths]
    assert len(shapes) == len(set(shapes)), sorted(s for s in shapes if shapes.count(s) > 1)
    assert set(paths["/plans/{plan}"]) == {"get", "delete"}


def test_405_allow_lists_the_documented_methods_of_every_path(client):
    paths = client.get("/openapi.json").json()["paths"]
    wrong = []
    for template, ops in paths.items():
        documented = {m.upper() for m in ops if m in HTTP_METHODS}
        if "OPTIONS" in documented:
            continue
        r = client.request("OPTIONS", _url(template))
        allow = {m.strip() for m in r.headers.get("allow", "").split(",") if m.strip()}
        if r.status_code != 405 or allow != documented:
            wrong.append((template, r.status_code, sorted(allow), sorted(documented)))
    assert wrong == []
    assert len(paths) > 60


def test_405_body_stays_bilingual_and_names_the_request(client):
    r = client.request("PUT", "/webhooks/deliveries")
    assert r.status_code == 405 and r.headers["allow"] == "GET"
    err = r.json()["error"]
    assert err["value"] == "PUT /webhooks/deliveries" and "不支持此方法" in err["message"]
    assert "/docs" in err["fix"]


def test_a_word_where_an_id_goes_is_a_missing_method_not_a_bad_id(client):
    """DELETE /webhooks/deliveries fell to DELETE /webhooks/{sid} and answered 422 ('sid must
    be an integer'); the delivery log has no DELETE, so it is 405 with Allow: GET."""
    r = client.delete("/webhooks/deliveries")
    assert r.status_code == 405 and r.headers["allow"] == "GET"
    doc = client.get("/openapi.json").json()["paths"]
    assert "/webhooks/{sid}" in doc and "delete" in doc["/webhooks/{sid}"]
    assert client.delete("/webhooks/7").status_code == 401     # the route itself still answers


def test_an_id_beyond_64_bits_is_a_422_not_a_500(client, demo_store):
    """With the int convertor the router hands the validator a Python int; one beyond 64 bits
    made the error body unencodable (500 'Integer exceeds 64-bit range')."""
    from api.errors import validation_body
    from geogrid.store.users import create_user, issue_token

    create_user(demo_store, "admin-huge", "admin")
    huge = "6649377799713616560128"
    r = client.delete(f"/webhooks/{huge}",
                      headers={"Authorization": f"Bearer {issue_token(demo_store, 'admin-huge')}"})
    assert r.status_code == 422 and r.json()["error"]["value"] == huge

    body = validation_body([{"type": "less_than_equal", "loc": ("path", "sid"),
                             "msg": "Input should be less than or equal to 2147483647",
                             "input": int(huge), "ctx": {"le": 2147483647}}])
    assert body["error"]["value"] == huge and "sid" in body["error"]["message"]
