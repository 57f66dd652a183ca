"""One table from error type to HTTP status, and the handlers that apply it.

Every error body has the same shape::

    {"error": {"code": "...", "message": "...", "field": "...", "value": ..., "fix": "..."}}
"""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from .i18n import localise_error
from .responses import JSONResp

from geogrid import errors as E
from geogrid.errors import GeoGridError, validator_reason_zh

__all__ = ["STATUS", "allowed_methods", "install_error_handlers", "install_store_error_handlers",
           "status_for", "validation_body"]

log = logging.getLogger("geogrid.api")

#: most specific first
STATUS: list[tuple[type[GeoGridError], int]] = [
    (E.LimitExceeded, 413),
    (E.InputError, 422),
    (E.OutOfCoverageError, 422),
    (E.NotFoundError, 404),
    (E.ConflictError, 409),
    (E.StateError, 409),
    (E.AuthenticationError, 401),
    (E.PermissionDenied, 403),
    (E.StoreUnavailableError, 503),
]
RETRY_AFTER_S = "5"


def status_for(exc: GeoGridError) -> int:
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 500


def _body(code: str, message: str, **extra) -> dict:
    err = {"code": code, "message": message}
    err.update({k: v for k, v in extra.items() if v is not None})
    return {"error": err}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(GeoGridError)
    async def _geogrid(request: Request, exc: GeoGridError):
        status = status_for(exc)
        headers = {"Retry-After": RETRY_AFTER_S} if status == 503 else None
        if status == 401:
            headers = {"WWW-Authenticate": "Bearer"}
        body = localise_error(exc.to_dict(), request.headers.get("accept-language"))
        return JSONResp({"error": body}, status_code=status, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        # FastAPI's own refusals (unparsable JSON body, unknown path or method) in our shape
        where = f"{request.method} {request.url.path}"
        zh = {400: "请求体无法解析", 404: "路径不存在", 405: "不支持此方法"}.get(exc.status_code,
                                                                                  "请求失败")
        body = _body("http_error", f"{zh}: {where}。{exc.detail}: {where}", value=where,
                     fix="可用的路径和方法见 /docs。See /docs for the paths and methods.")
        headers = exc.headers
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": allowed_methods(request)}
        return JSONResp(body, status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError):
        return JSONResp(validation_body(exc.errors()), status_code=422)


def allowed_methods(request: Request) -> str:
    """The ``Allow`` header of a 405: the methods the OpenAPI document gives the most
    specific path template that matches the URL. Starlette names only the first route that
    matched, so ``OPTIONS /incidents`` said ``POST`` while ``GET /incidents`` exists too. A
    literal path (``/webhooks/deliveries``) wins over a template it also fits
    (``/webhooks/{sid}``), as it does when the request is routed."""
    matches: dict[str, set[str]] = {}
    for template, pattern, methods in _templates(request.app):
        if pattern.fullmatch(request.url.path):
            matches[template] = methods
    if not matches:
        return ""
    fewest = min(t.count("{") for t in matches)
    return ", ".join(sorted(set().union(*(m for t, m in matches.items()
                                          if t.count("{") == fewest))))


_VERBS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def _templates(app) -> list[tuple[str, re.Pattern, set[str]]]:
    """Each OpenAPI path with its pattern and methods (built once per app)."""
    cached = getattr(app.state, "allow_templates", None)
    if cached is None:
        cached = []
        for template, ops in app.openapi().get("paths", {}).items():
            parts = re.split(r"\{[^}]+\}", template)
            pattern = re.compile("[^/]+".join(re.escape(p) for p in parts))
            cached.append((template, pattern, {m.upper() for m in ops if m in _VERBS}))
        app.state.allow_templates = cached
    return cached


def validation_body(errors) -> dict:
    """The body of a 422 for the request validator's ``errors``: every problem listed, the
    first one as the message, Chinese first, naming the field, the value and the fix."""
    problems = [_problem(e) for e in errors] or [
        {"field": "body", "reason": "invalid", "value": None, "type": "value_error", "ctx": None}]
    first = problems[0]
    return _body("invalid_input", _invalid_message(first), field=first["field"],
                 value=first["value"], fix=_fix(first),
                 problems=[{k: v for k, v in p.items() if k not in ("type", "ctx")}
                           for p in problems])


def _problem(e: dict) -> dict:
    kind = e.get("type")
    loc = [str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path", "header")]
    if kind == "json_invalid":      # the position in the text, not a field
        loc = []
    value = None if kind in ("missing", "json_invalid") else _short(e.get("input"))
    ctx = {k: str(v) for k, v in (e.get("ctx") or {}).items()}
    return {"field": ".".join(loc) or "body", "reason": e.get("msg"), "value": value,
            "type": kind, "ctx": ctx}


def install_store_error_handlers(app: FastAPI) -> None:
    """Answer the database driver's errors that reach the edge (503 when the database is
    unavailable). Installed once the store is open (SQLAlchemy is imported with it, not
    before the first ``/locate``); the app's handlers are rebuilt to include them."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    if OperationalError in app.exception_handlers:
        return

    async def _db_down(_: Request, exc: OperationalError):
        log.warning("store unavailable: %s", exc.__class__.__name__)
        return JSONResp(_body("store_unavailable", "数据库不可用, 未写入任何内容。The database is "
                              "unavailable; nothing was written.", fix="稍后重试。Retry later."),
                        status_code=503, headers={"Retry-After": RETRY_AFTER_S})

    async def _db_error(_: Request, exc: DBAPIError):
        if exc.connection_invalidated:
            return JSONResp(_body("store_unavailable", "数据库连接中断, 未写入任何内容。The database "
                                  "connection was lost; nothing was written.",
                                  fix="稍后重试。Retry later."),
                            status_code=503, headers={"Retry-After": RETRY_AFTER_S})
        log.exception("database error")
        return JSONResp(_body("internal_error", "数据库内部错误。Internal database error."),
                        status_code=500)

    app.add_exception_handler(OperationalError, _db_down)
    app.add_exception_handler(DBAPIError, _db_error)
    if app.middleware_stack is not None:       # already serving: swap in handlers that know them
        app.middleware_stack = app.build_middleware_stack()


def _invalid_message(problem: dict) -> str:
    """The first problem as one sentence, Chinese first, then the validator's English."""
    field, reason, kind = problem["field"], problem["reason"], problem.get("type")
    if kind == "missing":
        return f"缺少必填字段 {field}。{field}: {reason}"
    if kind == "json_invalid":
        return f"请求体不是合法的 JSON ({problem['ctx'].get('error', '')})。the request body is " \
               f"not valid JSON: {problem['ctx'].get('error', reason)}"
    zh = validator_reason_zh(kind or "", problem.get("ctx")) or "取值无效"
    shown = f" 的值 {problem['value']!r}" if problem.get("value") is not None else ""
    return f"字段 {field}{shown} 无效: {zh}。{field}: {reason}"


def _fix(problem: dict) -> str:
    field, kind, ctx = problem["field"], problem.get("type"), problem.get("ctx") or {}
    if kind == "json_invalid":
        return ("发送合法的 JSON, 并设置 Content-Type: application/json。Send valid JSON with "
                "Content-Type: application/json.")
    if kind == "missing":
        return f"加上 {field}; 模式见 /docs。Add {field}; see /docs for the schema."
    if ctx.get("expected"):
        return (f"{field} 取以下之一: {ctx['expected']}。Use one of {ctx['expected']} for "
                f"{field}.")
    return (f"按 /docs 中的模式更正 {field} 及所列其他字段。Correct {field} and the other listed "
            "fields; see /docs for the schema.")


def _short(value):
    if isinstance(value, int) and not isinstance(value, bool) and not -2**63 <= value < 2**64:
        return str(value)   # a path convertor's int beyond what JSON encoders take (64 bits)
    if value is None or isinstance(value, (int, float, bool)):
        return value
    text = str(value)
    return text if len(text) <= 120 else text[:117] + "..."
