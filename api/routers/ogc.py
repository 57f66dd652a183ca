"""OGC API – Features at ``/ogc``: plans and their levels for QGIS, ArcGIS and GDAL.

Landing page, conformance, an OpenAPI 3.0 description, collections and
items (``bbox``, ``limit``/``offset`` with ``next``/``prev`` links,
``datetime``, ``crs``/``bbox-crs``), single features. Written here rather
than wrapping pygeoapi or tipg: tipg serves PostGIS only and pygeoapi's
providers would read the tables without geogrid's plan rules (drafts for
staff only, the plan active on a date), while the plan cache already serves
both stores. See :mod:`geogrid.services.features`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from geogrid.errors import InputError, NotFoundError
from geogrid.services import features as F
from geogrid.services.imports import NOT_RECORDED, plan_attribution, plans_attribution

from ..auth import PrincipalDep
from ..deps import StateDep
from ..responses import GeoJSONResp, JSONResp
from ..schemas import Feature, FeatureCollection

__all__ = ["router"]

router = APIRouter(prefix="/ogc", tags=["ogc-features"], responses={
    s: {"description": "错误 / error: {error: {code, message, field, value, fix}}"}
    for s in (404, 422, 503)})
GEOJSON = "application/geo+json"
MAX_LIMIT = 10_000


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogc"


def _link(href: str, rel: str, type_: str = "application/json", title: str | None = None) -> dict:
    out = {"href": href, "rel": rel, "type": type_}
    if title:
        out["title"] = title
    return out


@router.get("", summary="OGC API Features landing page")
def landing(request: Request, state: StateDep, principal: PrincipalDep):
    base = _base(request)
    return JSONResp({
        "title": "geogrid 网格 / microgrid plans",
        "description": "网格化治理的网格方案（OGC API – Features）/ grid plans as OGC API Features. "
                       + plans_attribution(state.store, _plans(state, principal)),
        "links": [_link(base, "self", title="本页 / this document"),
                  _link(f"{base}/api", "service-desc",
                        "application/vnd.oai.openapi+json;version=3.0", "OpenAPI 3.0"),
                  _link(f"{base}/conformance", "conformance", title="一致性 / conformance"),
                  _link(f"{base}/collections", "data", title="数据集 / collections")]})


@router.get("/conformance", summary="OGC API Features conformance classes")
def conformance():
    return JSONResp({"conformsTo": F.CONFORMANCE})


@router.get("/api", summary="OpenAPI 3.0 description of /ogc", responses={200: {"content": {
    "application/vnd.oai.openapi+json;version=3.0": {"schema": {"type": "object"}}}}})
def api_description(request: Request, state: StateDep, principal: PrincipalDep):
    return JSONResp(openapi30(_base(request),
                              plans_attribution(state.store, _plans(state, principal))),
                    media_type="application/vnd.oai.openapi+json;version=3.0")


# -- collections ----------------------------------------------------------------------------
def _plans(state, principal) -> list[dict]:
    rows = state.store.plans()
    if not principal.can("plan.read"):
        rows = [p for p in rows if p["status"] != "draft"]
    return rows


def _resolve(state, principal, cid: str, when: F.Interval | None) -> tuple[dict | None, str | None]:
    """(plan, level) a collection id names; plan None when no plan was active at ``when``."""
    if cid in F.LEVELS:
        if when is None:
            return state.plan_data(state.active_plan_id()).plan, cid
        if not when.instant:
            raise InputError(
                f"datetime 须为时刻 / collection {cid!r} takes an instant, not an interval.",
                field="datetime", fix="Send one instant, e.g. 2026-11-28T00:00:00Z, or use a "
                                      "plan-{id} collection for intervals.")
        return state.store.plan_on(when.start), cid
    plan_id = cid.removeprefix("plan-")
    if cid.startswith("plan-") and plan_id.isdigit() and 0 < int(plan_id) < 2**31:
        plan = state.plan_data(state.visible_plan_id(int(plan_id), principal)).plan
        if plan["status"] == "draft" and not principal.can("plan.read"):
            raise NotFoundError(f"collection {cid!r} does not exist.", field="collectionId")
        return plan, None
    raise NotFoundError(f"数据集 {cid!r} 不存在 / collection {cid!r} does not exist.",
                        field="collectionId", value=cid, fix="List them at /ogc/collections.")


def _collection(base: str, cid: str, title: str, plan: dict, frame, attribution: str) -> dict:
    bbox = F.spatial_extent(frame)
    return {
        "id": cid, "title": title, "itemType": "feature",
        "description": f"{plan['name']} ({plan['status']}). {attribution}",
        "extent": {"spatial": {"bbox": [bbox] if bbox else [], "crs": F.CRS84},
                   "temporal": {"interval": [F.temporal_extent(plan)],
                                "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}},
        "crs": list(F.SUPPORTED_CRS), "storageCrs": F.CGCS2000,
        "links": [_link(f"{base}/collections/{cid}", "self"),
                  _link(f"{base}/collections/{cid}/items", "items", GEOJSON,
                        "要素 / features")],
    }


_LEVEL_ZH = {"street": "街道", "grid": "网格", "community": "居民区", "microgrid": "微网格",
             "building_group": "楼组"}


def _collections(state, principal, base: str) -> list[dict]:
    out = []
    try:
        active = state.plan_data(state.active_plan_id())
    except NotFoundError:
        active = None
    if active is not None:
        for level in F.LEVELS:
            frame = F.select(active.areas, level=level)
            if len(frame):
                out.append(_collection(base, level, f"{_LEVEL_ZH[level]} / {level} "
                                       f"({active.plan['name']})", active.plan, frame,
                                       plan_attribution(state.store, active.plan)))
    for plan in _plans(state, principal):
        data = state.plan_data(int(plan["id"]))
        out.append(_collection(base, f"plan-{plan['id']}", f"{plan['name']} [{plan['status']}]",
                               data.plan, data.areas, plan_attribution(state.store, data.plan)))
    return out


@router.get("/collections", summary="Feature collections: levels of the active plan, and plans")
def collections(request: Request, state: StateDep, principal: PrincipalDep):
    base = _base(request)
    return JSONResp({"collections": _collections(state, principal, base),
                     "links": [_link(f"{base}/collections", "self")],
                     "crs": list(F.SUPPORTED_CRS)})


@router.get("/collections/{cid}", summary="One feature collection")
def collection(cid: str, request: Request, state: StateDep, principal: PrincipalDep):
    plan, level = _resolve(state, principal, cid, None)
    frame = F.select(state.plan_data(int(plan["id"])).areas, level=level)
    title = f"{_LEVEL_ZH[level]} / {level}" if level else plan["name"]
    return JSONResp(_collection(_base(request), cid, title, plan, frame,
                                plan_attribution(state.store, plan)))


# -- items ------------------------------------------------------------------------------------
def _page_links(request: Request, offset: int, limit: int, matched: int) -> list[dict]:
    def at(off: int) -> str:
        return str(request.url.include_query_params(offset=off, limit=limit))

    links = [_link(str(request.url), "self", GEOJSON)]
    if offset + limit < matched:
        links.append(_link(at(offset + limit), "next", GEOJSON, "下一页 / next page"))
    if offset > 0:
        links.append(_link(at(max(0, offset - limit)), "prev", GEOJSON, "上一页 / previous"))
    return links


def _crs_headers(crs: str) -> dict:
    return {"Content-Crs": f"<{crs}>"}


@router.get("/collections/{cid}/items", summary="Features of a collection (GeoJSON)",
            response_class=GeoJSONResp, response_model=FeatureCollection,
            responses={200: {"content": {GEOJSON: {}}}})
def items(cid: str, request: Request, state: StateDep, principal: PrincipalDep,
          limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
          offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
          bbox: Annotated[str | None, Query(max_length=200)] = None,
          bbox_crs: Annotated[str | None, Query(alias="bbox-crs", max_length=200)] = None,
          crs: Annotated[str | None, Query(max_length=200)] = None,
          datetime_: Annotated[str | None, Query(alias="datetime", max_length=100)] = None,
          level: Annotated[str | None, Query(max_length=20)] = None):
    out_crs = F.parse_crs(crs)
    box = F.parse_bbox(bbox, F.parse_crs(bbox_crs, "bbox-crs"))
    when = F.parse_datetime(datetime_)
    plan, lvl = _resolve(state, principal, cid, when)
    if level is not None and (lvl is not None or level not in F.LEVELS):
        raise InputError(f"level {level!r} 不适用 / does not apply here.", field="level",
                           value=level, fix=f"On plan-{{id}} collections use one of {F.LEVELS}.")
    if plan is None or (lvl is None and when is not None and not F.plan_valid_in(plan, when)):
        frame = None
    else:
        frame = F.select(state.plan_data(int(plan["id"])).areas, level=lvl or level, bbox=box)
    matched = 0 if frame is None else len(frame)
    page = [] if frame is None else F.to_features(frame.iloc[offset:offset + limit], out_crs)
    body: dict[str, Any] = {
        "type": "FeatureCollection", "features": page, "numberMatched": matched,
        "numberReturned": len(page),
        "timeStamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "links": _page_links(request, offset, limit, matched),
        "attribution": NOT_RECORDED if plan is None else plan_attribution(state.store, plan)}
    if plan is not None:
        body["plan_id"] = int(plan["id"])
    return GeoJSONResp(body, headers=_crs_headers(out_crs))


@router.get("/collections/{cid}/items/{fid}", summary="One feature (GeoJSON)",
            response_class=GeoJSONResp, response_model=Feature,
            responses={200: {"content": {GEOJSON: {}}}})
def item(cid: str, fid: str, request: Request, state: StateDep, principal: PrincipalDep,
         crs: Annotated[str | None, Query(max_length=200)] = None):
    out_crs = F.parse_crs(crs)
    plan, level = _resolve(state, principal, cid, None)
    frame = F.select(state.plan_data(int(plan["id"])).areas, level=level)
    hit = frame[frame["id"].values == fid]
    if hit.empty:
        raise NotFoundError(f"要素 {fid!r} 不在 {cid} 中 / feature {fid!r} is not in {cid}.",
                            field="featureId", value=fid,
                            fix=f"List features at /ogc/collections/{cid}/items.")
    feature = F.to_features(hit, out_crs)[0]
    base = _base(request)
    feature["links"] = [_link(str(request.url), "self", GEOJSON),
                        _link(f"{base}/collections/{cid}", "collection")]
    return GeoJSONResp(feature, headers=_crs_headers(out_crs))


# -- OpenAPI 3.0 --------------------------------------------------------------------------------
def _param(name: str, schema: dict, where: str = "query", required: bool = False,
           description: str = "") -> dict:
    return {"name": name, "in": where, "required": required, "schema": schema,
            "description": description, "style": "form", "explode": False}


def _ok(media: str, description: str) -> dict:
    return {"200": {"description": description, "content": {media: {"schema": {"type": "object"}}}},
            "400": {"description": "bad request / 请求有误"},
            "404": {"description": "not found / 未找到"}}


def openapi30(base: str, attribution: str) -> dict:
    """The OpenAPI 3.0 description of the OGC API Features paths (the conformance class oas30)."""
    cid = _param("collectionId", {"type": "string"}, "path", True, "level or plan-{id}")
    crs = _param("crs", {"type": "string", "format": "uri", "enum": list(F.SUPPORTED_CRS)})
    page = [_param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                             "default": 100}),
            _param("offset", {"type": "integer", "minimum": 0, "default": 0}),
            _param("bbox", {"type": "array", "minItems": 4, "maxItems": 4,
                            "items": {"type": "number"}}),
            _param("bbox-crs", {"type": "string", "format": "uri",
                                "enum": list(F.SUPPORTED_CRS)}),
            _param("datetime", {"type": "string"}), crs,
            _param("level", {"type": "string", "enum": list(F.LEVELS)})]
    get = lambda op, summary, params, media="application/json": {  # noqa: E731
        "get": {"operationId": op, "summary": summary, "parameters": params,
                "responses": _ok(media, summary)}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "geogrid OGC API – Features", "version": "1.0.0",
                 "description": "网格方案 / grid plans. " + attribution},
        "servers": [{"url": base}],
        "paths": {
            "/": get("landing", "Landing page / 首页", []),
            "/conformance": get("conformance", "Conformance / 一致性", []),
            "/api": get("api", "This document", []),
            "/collections": get("collections", "Collections / 数据集", []),
            "/collections/{collectionId}": get("collection", "One collection", [cid]),
            "/collections/{collectionId}/items": get("items", "Features / 要素", [cid, *page],
                                                     GEOJSON),
            "/collections/{collectionId}/items/{featureId}": get(
                "item", "One feature", [cid, _param("featureId", {"type": "string"}, "path",
                                                    True), crs], GEOJSON),
        },
    }
