"""The error answers of every operation, written into the OpenAPI document.

Each route may answer, besides its success, errors in the one shape of
``api/errors.py``. Which ones depends on what the route does, so they are worked out
from the route itself rather than listed by hand:

- every request: 400 (a ``Host`` outside ``GEOGRID_ALLOWED_HOSTS``) and 503 (store down);
- parameters or a body: 404 (a named thing that is not there) and 422 (invalid input,
  the app's shape, not FastAPI's ``detail`` list);
- the caller's identity is read: 401 (bad or revoked token) and 403 (role or scope);
- writes: 409 (conflict, stale version, wrong state) and 413 (body too large);
- rate-limited paths: 429 with ``Retry-After``.

A status a route already documents (Open311's own error formats) is left as it is,
except that an entry without content gets the error schema.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ErrorBody", "install_contract", "RATE_LIMITED"]

#: paths answering 429 (sign-in lockout, the public lookup's per-client limit)
RATE_LIMITED = {"/auth/token", "/public/mygrid"}
#: paths that check credentials sent in the body (401 on a wrong password)
SIGN_IN = {"/auth/token"}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
WITH_BODY = {"POST", "PUT", "PATCH"}

DESCRIPTIONS = {
    400: "请求有误 (主机名不在允许列表) / bad request (host not allowed)",
    401: "需要有效的令牌 / a valid token is required",
    403: "无权执行此操作 / not allowed for this role or scope",
    404: "未找到 / not found",
    409: "状态冲突或版本过期 / conflict, stale version or wrong state",
    413: "请求过大 / request too large",
    422: "输入有误 / invalid input",
    429: "尝试过多, 见 Retry-After / too many attempts, see Retry-After",
    503: "服务暂不可用, 见 Retry-After / store unavailable, see Retry-After",
}


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")
    code: str = Field(description="机器可读的错误码 / machine-readable error code")
    message: str = Field(description="说明 (中文在前) / what went wrong")
    field: str | None = None
    value: Any = None
    fix: str | None = Field(default=None, description="如何修正 / how to fix it")


class ErrorBody(BaseModel):
    """The one error shape: ``{"error": {code, message, field, value, fix}}``."""
    model_config = ConfigDict(extra="allow")
    error: ErrorDetail


def operations(routes) -> list:
    """Every API route with its full path: an :class:`APIRoute`, or the context FastAPI keeps
    for a route of an included router (same ``path_format``, ``methods``, ``dependant``)."""
    out = []
    for route in routes:
        nested = getattr(route, "effective_candidates", None)
        if nested is not None:
            out.extend(operations(nested()))
        elif isinstance(route, APIRoute) or isinstance(getattr(route, "original_route", None),
                                                       APIRoute):
            out.append(route)
    return out


def _reads_caller(route: APIRoute) -> bool:
    """Whether a dependency of ``route`` (at any depth) reads the bearer token."""
    from .auth import current_principal

    todo = list(route.dependant.dependencies)
    while todo:
        dep = todo.pop()
        if dep.call is current_principal:
            return True
        todo.extend(dep.dependencies)
    return False


def _has_input(route: APIRoute) -> bool:
    d = route.dependant
    return bool(d.path_params or d.query_params or d.header_params or d.body_params
                or any(_has_input_dep(x) for x in d.dependencies))


def _has_input_dep(dep) -> bool:
    return bool(dep.path_params or dep.query_params or dep.body_params
                or any(_has_input_dep(x) for x in dep.dependencies))


def error_statuses(route: APIRoute, method: str) -> set[int]:
    """The error statuses ``route`` may answer to ``method``."""
    out = {400, 503}
    if _has_input(route):
        out |= {404, 422}
    if _reads_caller(route) or route.path_format in SIGN_IN:
        out |= {401, 403}
    if method in WRITES:
        out |= {409, 404}
    if method in WITH_BODY:
        out |= {413, 422}
    if route.path_format in RATE_LIMITED:
        out.add(429)
    return out


def _document(operation: dict, statuses: set[int], ref: str) -> None:
    responses = operation.setdefault("responses", {})
    content = {"application/json": {"schema": {"$ref": ref}}}
    for status in sorted(statuses):
        entry = responses.setdefault(str(status), {"description": DESCRIPTIONS[status]})
        if status == 422 and "HTTPValidationError" in str(entry.get("content", "")):
            entry.update(description=DESCRIPTIONS[422], content=content)
        entry.setdefault("content", content)


def _model_schema(operation: dict, route, components: dict) -> None:
    """A model answered as ``application/geo+json`` (or another ``+json``) is documented
    by FastAPI as a string: document it with the model, as for ``application/json``."""
    model = getattr(route, "response_model", None)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return
    for status, response in operation.get("responses", {}).items():
        for media, content in response.get("content", {}).items():
            if status.startswith("2") and media.endswith("+json") \
                    and content.get("schema", {}) in ({}, {"type": "string"}):
                schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(schema.pop("$defs", {}))
                components.setdefault(model.__name__, schema)
                content["schema"] = {"$ref": f"#/components/schemas/{model.__name__}"}


def install_contract(app: FastAPI) -> None:
    """Make ``app.openapi()`` document each route's error answers with :class:`ErrorBody`."""

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, summary=app.summary,
                             description=app.description, routes=app.routes)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["ErrorDetail"] = ErrorDetail.model_json_schema()
        components["ErrorBody"] = ErrorBody.model_json_schema(
            ref_template="#/components/schemas/{model}")
        components["ErrorBody"].pop("$defs", None)
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        for route in operations(app.routes):
            if not route.include_in_schema:
                continue
            for method in route.methods:
                op = schema["paths"].get(route.path_format, {}).get(method.lower())
                if op is not None:
                    _document(op, error_statuses(route, method),
                              "#/components/schemas/ErrorBody")
                    _model_schema(op, route, components)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi
