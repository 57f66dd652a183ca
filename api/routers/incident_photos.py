"""Incident photos: attached with the report or afterwards, served to staff only.

Uploads are multipart. The photo's type is read from its content, never from
the part's ``Content-Type`` or file name; it is stored re-encoded without any
metadata (EXIF GPS included, see :mod:`geogrid.photos`). Photos are served
with the incident's own read check and never from a public endpoint; Open311
clients get their address as ``media_url`` when they may read the incident.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Header, Path, UploadFile
from fastapi.responses import Response
from pydantic import ValidationError

from geogrid.errors import InputError
from geogrid.photos import MAX_PHOTO_BYTES, CleanPhoto, clean_photo
from geogrid.security import Principal

from ..auth import Allowed
from ..deps import StateDep
from ..responses import JSONResp
from ..schemas import IncidentPublic
from ..intake import IncidentCreate, intake_response, photo_public

__all__ = ["router", "read_photo"]

router = APIRouter(tags=["incidents"])

Creator = Annotated[Principal, Depends(Allowed("incident.create"))]
Reader = Annotated[Principal, Depends(Allowed("incident.read"))]
PhotoId = Annotated[int, Path(ge=1, le=2**31 - 1)]
PhotoFile = Annotated[UploadFile, File(description="JPEG, PNG or WebP, at most 8 MB; "
                                                   "metadata (EXIF GPS too) is removed")]


def read_photo(upload: UploadFile, field: str = "photo") -> CleanPhoto:
    """The uploaded part, read up to one byte past the limit and cleaned."""
    data = upload.file.read(MAX_PHOTO_BYTES + 1)
    return clean_photo(data, field=field)


def _incident_body(text: str) -> IncidentCreate:
    try:
        return IncidentCreate.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "incident"
        raise InputError(f"incident 字段 {where} 有误: {first.get('msg')}。the incident field "
                         f"{where} is invalid: {first.get('msg')}.", field=f"incident.{where}",
                         value=first.get("input") if isinstance(first.get("input"),
                                                                (str, int, float)) else None,
                         fix="incident 须是 POST /incidents 的 JSON 请求体。Send in 'incident' "
                             "the JSON body POST /incidents takes.") from None


@router.post("/incidents/with-photo", status_code=201, response_model=IncidentPublic,
             summary="Report an incident with a photo, in one transaction (multipart)")
def create_with_photo(state: StateDep, principal: Creator,
                      incident: Annotated[str, Form(max_length=20_000,
                                                    description="the JSON of POST /incidents")],
                      photo: PhotoFile,
                      idempotency_key: Annotated[str | None, Header(max_length=128)] = None):
    """The photo is checked before anything is written, and stored in the incident's own
    transaction: a bad photo or a failed write leaves neither an incident nor a photo."""
    body = _incident_body(incident)
    clean = read_photo(photo)

    def also(conn, uid: str) -> None:
        state.store.photos.add(conn, uid, clean, actor=principal.username)

    return intake_response(body, state, principal, idempotency_key, also=also)


@router.post("/incidents/{uid}/photos", status_code=201, response_model=dict[str, Any],
             summary="Attach a photo to an incident (multipart)")
def add_photo(uid: str, state: StateDep, principal: Creator, photo: PhotoFile):
    state.incidents.get_for(principal, uid, "change")
    clean = read_photo(photo)
    pid = state.store.photos.attach(uid, clean, actor=principal.username)
    meta = state.store.photos.list([uid])[uid]
    return JSONResp(next(photo_public(p) for p in meta if p["id"] == pid), status_code=201,
                    headers={"Location": f"/incidents/{uid}/photos/{pid}"})


@router.get("/incidents/{uid}/photos", response_model=list[dict[str, Any]],
            summary="The photos of an incident (metadata; the bytes are at each url)")
def list_photos(uid: str, state: StateDep, principal: Reader):
    state.incidents.get_for(principal, uid)
    return JSONResp([photo_public(p) for p in state.store.photos.list([uid]).get(uid, [])])


@router.get("/incidents/{uid}/photos/{photo_id}", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}},
            summary="One photo of an incident (staff who may read the incident)")
def get_photo(uid: str, photo_id: PhotoId, state: StateDep, principal: Reader):
    state.incidents.get_for(principal, uid)
    p = state.store.photos.get(uid, photo_id)
    return Response(p["data"], media_type=p["content_type"], headers={
        "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f'inline; filename="{uid}-{photo_id}"',
        "ETag": f'"{p["sha256"]}"'})
