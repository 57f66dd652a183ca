"""JSON responses serialised with orjson (fast, handles numpy scalars)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import Response

__all__ = ["JSONResp", "GeoJSONResp"]


class JSONResp(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS)


class GeoJSONResp(JSONResp):
    media_type = "application/geo+json"
