"""The documented pattern of a webhook secret is what the server accepts: any string of
30+ characters passed the schema and most were refused (schemathesis: valid data rejected)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from api.routers.webhooks import SECRET, WebhookCreate


def _accepted(secret: str) -> bool:
    try:
        WebhookCreate(url="https://example.org/hook", secret=secret)
    except ValidationError:
        return False
    return True


@settings(max_examples=200, deadline=None)
@given(st.from_regex(SECRET, fullmatch=True).filter(lambda s: 30 <= len(s) <= 200))
def test_every_secret_the_pattern_allows_is_accepted(secret):
    assert _accepted(secret)


@pytest.mark.parametrize("secret", [
    "whsec_" + "A" * 28 + "AAA=",            # 23 bytes: too short
    "whsec_" + "A" * 31 + "!",                # not base64
    "0" * 40 + " ",                           # whitespace
    "x" * 30 + "===",
])
def test_what_the_pattern_refuses_the_server_refuses(secret):
    assert not re.match(SECRET, secret) and not _accepted(secret)


def test_the_openapi_document_carries_the_pattern(client):
    schema = client.get("/openapi.json").json()["components"]["schemas"]["WebhookCreate"]
    secret = schema["properties"]["secret"]["anyOf"][0]
    assert secret["pattern"] == SECRET
