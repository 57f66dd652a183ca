"""Open311 GeoReport v2 at ``/open311/v2``, in XML (the required format) and JSON.

Every path takes its format as the spec writes it: ``services.xml``,
``requests/{id}.json``. Errors use the spec's shape in both encodings
(``[{"code": 404, "description": "…"}]`` and ``<errors><error>…``). ``POST
requests`` takes the API key as the spec passes it, in the ``api_key`` form
field, or as ``Authorization: Bearer``. Reads are public; see
:mod:`geogrid.services.open311` for what the public and staff see. The
extension field ``datum`` (wgs84 / cgcs2000 / gcj02 / bd09) names the datum of
``lat``/``long``; WGS84 when absent, as the spec says.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import BeforeValidator

from geogrid.errors import AuthenticationError, GeoGridError, InputError, NotFoundError
from geogrid.datum import Datum
from geogrid.security import Principal
from geogrid.services import open311 as O
from geogrid.store import open311 as store311
from geogrid.store.users import principal_for_token

from ..auth import PrincipalDep
from ..deps import StateDep, check_in_china
from ..errors import status_for
from ..responses import JSONResp
from ..shared import gazetteer, service
from ..intake import photo_url

__all__ = ["router"]

Fmt = Literal["xml", "json"]
#: XML element of each list's items
_ITEM_TAG = {"services": "service", "attributes": "attribute", "values": "value",
             "endpoints": "endpoint", "formats": "format", "service_requests": "request",
             "errors": "error"}
_ZH = {401: "需要有效的 API 密钥", 403: "无权执行此操作", 404: "未找到", 400: "请求有误",
       409: "状态冲突", 413: "请求过大", 503: "服务暂不可用"}


def _fmt(request: Request) -> str:
    return "xml" if request.url.path.endswith(".xml") else "json"


def _xml_value(parent: ET.Element, tag: str, value: Any) -> None:
    el = ET.SubElement(parent, tag)
    if isinstance(value, dict):
        for k, v in value.items():
            _xml_value(el, str(k), v)
    elif isinstance(value, list):
        for v in value:
            _xml_value(el, _ITEM_TAG.get(tag, "item"), v)
    elif isinstance(value, bool):
        el.text = "true" if value else "false"
    elif value is not None:
        el.text = str(value)


def to_xml(root: str, content: Any) -> bytes:
    """GeoReport v2 XML: a list under ``root`` repeats its item element; dicts nest."""
    top = ET.Element(root)
    if isinstance(content, list):
        for item in content:
            _xml_value(top, _ITEM_TAG[root], item)
    else:
        for k, v in content.items():
            _xml_value(top, k, v)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8",
                                                                    xml_declaration=False)


def render(fmt: str, root: str, content: Any, status_code: int = 200) -> Response:
    if fmt == "xml":
        return Response(to_xml(root, content), status_code=status_code,
                        media_type="text/xml; charset=utf-8")
    return JSONResp(content, status_code=status_code)


def _error(fmt: str, status: int, description: str, headers: dict | None = None) -> Response:
    zh = _ZH.get(status, "请求有误")
    resp = render(fmt, "errors", [{"code": status, "description": f"{zh}: {description}"}], status)
    resp.headers.update(headers or {})
    return resp


_RAW_BYTE = re.compile(rb"[\x80-\xff]")


async def _percent_encoded(request: Request) -> Request:
    """``request`` with a form body's raw non-ASCII bytes percent-encoded.

    A form body should percent-encode them (``%E5%9E%83``), and browsers and the PyPI
    clients do; ``curl -d '…=垃圾'`` and many hotline scripts send the UTF-8 bytes as they
    are, which the form parser reads as Latin-1 and stores as mojibake (``åå¾``). Valid
    UTF-8 is encoded here so the parser reads it right; other bytes (GBK) are refused."""
    if request.method != "POST" or not request.headers.get("content-type", "").lower() \
            .startswith("application/x-www-form-urlencoded"):
        return request
    body = await request.body()
    if not _RAW_BYTE.search(body):
        return request
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("表单不是 UTF-8 编码。the form is not UTF-8 text.", field="body",
                         fix="用 UTF-8 发送并对非 ASCII 字符做百分号编码。Send UTF-8, "
                             "percent-encoding non-ASCII characters.") from None
    fixed = _RAW_BYTE.sub(lambda m: b"%%%02X" % m.group()[0], body)

    async def receive() -> dict:
        return {"type": "http.request", "body": fixed, "more_body": False}

    return Request(request.scope, receive)


class Open311Route(APIRoute):
    """Answers every error of these routes in the spec's error format and encoding."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            fmt = _fmt(request)
            try:
                return await handler(await _percent_encoded(request))
            except GeoGridError as exc:
                status = status_for(exc)
                status = 400 if status == 422 else status
                shown = f" ({exc.field}={exc.value!r})" if exc.value is not None else ""
                text = exc.message + shown + (f" {exc.fix}" if exc.fix else "")
                headers = {"WWW-Authenticate": "Bearer"} if status == 401 else \
                    {"Retry-After": "5"} if status == 503 else None
                return _error(fmt, status, text, headers)
            except RequestValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'body'}: {e.get('msg')}"
                    for e in exc.errors())
                return _error(fmt, 400, f"{problems}. 请按规范修正 / correct these fields.")

        return route


_XML = {"text/xml": {"schema": {"type": "string", "description": "GeoReport v2 XML"}}}
_ERR = {"description": "GeoReport v2 错误 / error: [{code, description}] or <errors>",
        "content": {"application/json": {"schema": {"anyOf": [
            {"type": "array", "items": {"type": "object", "required": ["code", "description"],
                                        "properties": {"code": {"type": "integer"},
                                                       "description": {"type": "string"}}}},
            {"$ref": "#/components/schemas/ErrorBody"}]}}, **_XML}}


def _ok(status: int = 200) -> dict:
    """The answer in JSON or, for ``.xml``, in the spec's XML."""
    return {status: {"content": {"application/json": {}, **_XML}}}

router = APIRouter(prefix="/open311/v2", tags=["open311"], route_class=Open311Route,
                   responses={s: _ERR for s in (400, 401, 403, 404, 409, 413, 503)})


def _key_principal(state, api_key: str | None, principal: Principal) -> Principal:
    """The bearer header's principal, else the one of the spec's ``api_key``."""
    if not api_key or not principal.is_public:
        return principal
    found = principal_for_token(state.store, api_key.strip())
    if found is None:
        raise AuthenticationError("api_key 无效或已吊销 / api_key is unknown or revoked.",
                                  field="api_key",
                                  fix="向管理员申请 API 令牌。Ask an administrator for an API token.")
    return found


@router.get("/discovery.{fmt}", responses=_ok(), summary="Open311 discovery")
def discovery(fmt: Fmt, request: Request, state: StateDep):
    plan = state.store.plan(state.active_plan_id())
    base = str(request.url_for("open311_services", fmt="json")).rsplit("/", 1)[0]
    return render(fmt, "discovery", O.discovery(base, changeset=plan["effective_at"]
                                                 or plan["created_at"]))


@router.get("/services.{fmt}", responses=_ok(), name="open311_services",
            summary="Open311 service list")
def services(fmt: Fmt, state: StateDep,
             jurisdiction_id: Annotated[str | None, Query(max_length=100)] = None):
    return render(fmt, "services", O.service_list(service(state).workflow.catalogue))


@router.get("/services/{service_code}.{fmt}", responses=_ok(), summary="Open311 service definition")
def service_definition(service_code: str, fmt: Fmt, state: StateDep,
                       jurisdiction_id: Annotated[str | None, Query(max_length=100)] = None):
    return render(fmt, "service_definition",
                  O.service_definition(service(state).workflow.catalogue, service_code))


def _geocoder(state):
    def geocode(address: str) -> tuple[float, float, str]:
        found = gazetteer(state).geocode(address)
        if not found.ok:
            raise InputError(f"地址未找到 / address {address!r} was not found: {found.reason}",
                             field="address_string", value=address,
                             fix="Send lat/long, or a fuller address.")
        return found.lon, found.lat, Datum.CGCS2000.value

    return geocode


@router.post("/requests.{fmt}", summary="Open311: create a service request", status_code=201,
             responses=_ok(201))
async def create_request(
    fmt: Fmt, request: Request, state: StateDep, principal: PrincipalDep,
    service_code: Annotated[str, Form(max_length=64)],
    lat: Annotated[float | None, Form(ge=-90, le=90)] = None,
    long: Annotated[float | None, Form(ge=-180, le=180)] = None,
    address_string: Annotated[str | None, Form(max_length=300)] = None,
    address_id: Annotated[str | None, Form(max_length=100)] = None,
    description: Annotated[str | None, Form(max_length=4000)] = None,
    first_name: Annotated[str | None, Form(max_length=50)] = None,
    last_name: Annotated[str | None, Form(max_length=50)] = None,
    phone: Annotated[str | None, Form(max_length=32, pattern=r"^[0-9+\- ]{3,32}$")] = None,
    email: Annotated[str | None, Form(max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")] = None,
    media_url: Annotated[str | None, Form(max_length=500, pattern=r"^https?://")] = None,
    device_id: Annotated[str | None, Form(max_length=100)] = None,
    account_id: Annotated[str | None, Form(max_length=100)] = None,
    jurisdiction_id: Annotated[str | None, Form(max_length=100)] = None,
    api_key: Annotated[str | None, Form(max_length=200)] = None,
    datum: Annotated[Datum, Form(description="extension: the datum of lat/long")] = Datum.WGS84,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
):
    from starlette.concurrency import run_in_threadpool

    if lat is not None and long is not None:
        check_in_china(long, lat, "lat/long")
    form = await request.form()
    req = O.OpenRequest(service_code, lat=lat, long=long, address_string=address_string, extras={
        "attributes": O.parse_attributes(form), "media_url": media_url, "email": email,
        "device_id": device_id, "account_id": account_id, "address_id": address_id,
        "jurisdiction_id": jurisdiction_id})
    person = {"first_name": first_name, "last_name": last_name, "phone": phone,
              "description": description, "datum": datum.value, "idempotency_key": idempotency_key}
    body, created = await run_in_threadpool(_create, state, (principal, api_key), req, person)
    resp = render(fmt, "service_requests", [body], 201 if created else 200)
    resp.headers["Location"] = f"/open311/v2/requests/{body['service_request_id']}.{fmt}"
    return resp


def _create(state, caller: tuple[Principal, str | None], req: O.OpenRequest,
            person: dict) -> tuple[dict, bool]:
    """Authenticate (bearer or the spec's api_key), then intake; runs off the event loop."""
    who = _key_principal(state, caller[1], caller[0]).require("incident.create")
    svc = service(state)
    plan_id = state.active_plan_id()

    def intake(item, also):
        return svc.intake(item, actor=who.username, locator=state.locator(plan_id),
                          plan_id=plan_id, snap_m=state.settings.snap_distance_m,
                          key_owner=who.username, also=also)

    row, created, token = O.create_request(
        req, catalogue=svc.workflow.catalogue, intake=intake, geocode=_geocoder(state),
        save_extras=lambda uid, ex, conn=None: store311.save_extras(state.store, uid, ex, conn),
        person=person)
    agency = O.agency_name(row, _areas(state, plan_id), store311.team_names(state.store))
    notice = f"已派至 {agency} / dispatched to {agency}" if row.get("handler") \
        else "已受理，待派遣 / received, awaiting dispatch"
    return {"service_request_id": row["uid"], "token": token, "service_notice": notice,
            "account_id": req.extras.get("account_id"), "agency_responsible": agency}, created


def _areas(state, plan_id):
    """The plan's area index (names, codes, parents, public points), cached per version."""
    if plan_id is None:
        return None
    try:
        data = state.plan_data(int(plan_id))
    except NotFoundError:
        return None
    index = data.extra.get("open311_index")
    if index is None:
        index = data.extra["open311_index"] = O.area_index(data.areas)
    return index


def _views(state, rows: list[dict], principal: Principal, base_url: str) -> list[dict]:
    svc = service(state)
    teams = store311.team_names(state.store)
    extras = store311.extras_for(state.store, [r["uid"] for r in rows])
    photos = state.store.photos.list([r["uid"] for r in rows])
    plans: dict[Any, Any] = {}
    out = []
    for r in rows:
        if r.get("plan_id") not in plans:
            plans[r.get("plan_id")] = _areas(state, r.get("plan_id"))
        out.append(O.request_view(r, principal=principal, catalogue=svc.workflow.catalogue,
                                  index=plans[r.get("plan_id")], teams=teams,
                                  extras=extras.get(r["uid"]),
                                  photo_url=_media_url(base_url, photos.get(r["uid"]))))
    return out


def _media_url(base_url: str, photos: list[dict] | None) -> str | None:
    """The absolute address of a request's first stored photo (None without one)."""
    if not photos:
        return None
    return base_url.rstrip("/") + photo_url(photos[0]["incident_uid"], photos[0]["id"])


def _reader(state, principal: Principal, api_key: str | None) -> Principal:
    return _key_principal(state, api_key, principal)


ApiKeyQ = Annotated[str | None, Query(max_length=200, description="staff API key (optional)")]


#: the dates a period may span: an earlier start or a later end is moved to them (a request for
#: ``end_date=0001-01-01`` gets an empty list, not an overflow when its window is computed)
_EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
_LATEST = datetime(9000, 1, 1, tzinfo=timezone.utc)


def _w3c_only(value: Any) -> Any:
    """The spec's dates are W3C date-times (``2010-01-01T00:00:00Z``): a bare number, which
    pydantic would read as seconds since 1970, is refused rather than taken as 1970."""
    if isinstance(value, str) and value.strip().lstrip("+-").replace(".", "", 1).isdigit():
        raise ValueError(f"{value!r} 不是 W3C 日期时间 / is not a W3C date-time "
                         "(e.g. 2026-01-01T00:00:00+08:00)")
    return value


#: an Open311 start_date / end_date
W3CDate = Annotated[datetime | None, BeforeValidator(_w3c_only),
                    Query(description="W3C date-time, e.g. 2026-01-01T00:00:00+08:00")]


def _storable(at: datetime | None) -> datetime | None:
    """``at`` (naive: UTC, as the store reads it) within [:data:`_EARLIEST`, :data:`_LATEST`]."""
    if at is None:
        return None
    at = at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)
    return min(max(at, _EARLIEST), _LATEST)


@router.get("/requests.{fmt}", responses=_ok(),
            summary="Open311: service requests (public; staff see more)")
def list_requests(
    fmt: Fmt, request: Request, state: StateDep, principal: PrincipalDep, api_key: ApiKeyQ = None,
    service_request_id: Annotated[str | None, Query(max_length=2000)] = None,
    service_code: Annotated[str | None, Query(max_length=200)] = None,
    start_date: W3CDate = None, end_date: W3CDate = None,
    status: Annotated[str | None, Query(pattern=r"^(open|closed)(,(open|closed))?$")] = None,
    jurisdiction_id: Annotated[str | None, Query(max_length=100)] = None,
):
    who = _reader(state, principal, api_key)
    svc = service(state)
    if service_request_id:
        rows = []
        for uid in dict.fromkeys(u.strip() for u in service_request_id.split(",") if u.strip()):
            try:
                rows.append(svc.get(uid))
            except NotFoundError:
                continue
    else:
        from geogrid.store.repo import now

        end = _storable(end_date) or now()
        start = _storable(start_date) or max(_EARLIEST, end - O.DEFAULT_WINDOW)
        codes = [svc.workflow.catalogue.find(c.strip()) for c in (service_code or "").split(",")
                 if c.strip()]
        rows = []
        for cat in codes or [None]:
            if service_code and cat is None:
                continue
            rows += svc.list(category=cat.code if cat else None, since=start, until=end,
                             limit=1000)
    wanted = set(status.split(",")) if status else {"open", "closed"}
    rows = [r for r in rows if O.status_of(r) in wanted]
    return render(fmt, "service_requests", _views(state, rows, who, str(request.base_url)))


@router.get("/requests/{uid}.{fmt}", responses=_ok(), summary="Open311: one service request")
def get_request(uid: str, fmt: Fmt, request: Request, state: StateDep, principal: PrincipalDep,
                api_key: ApiKeyQ = None,
                jurisdiction_id: Annotated[str | None, Query(max_length=100)] = None):
    who = _reader(state, principal, api_key)
    return render(fmt, "service_requests", _views(state, [service(state).get(uid)], who,
                                                  str(request.base_url)))


@router.get("/tokens/{token}.{fmt}", responses=_ok(),
            summary="Open311: service_request_id from a token")
def from_token(token: str, fmt: Fmt, state: StateDep,
               jurisdiction_id: Annotated[str | None, Query(max_length=100)] = None):
    uid = store311.uid_for_token(state.store, token)
    if uid is None:
        raise NotFoundError(f"token {token!r} 不存在 / is not known.", field="token",
                            value=token, fix="用 POST requests 返回的 token。Use the token returned by "
                                             "POST requests.")
    return render(fmt, "service_requests", [{"service_request_id": uid, "token": token}])
