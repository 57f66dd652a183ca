"""Incident photos, kept in the store as blobs (table ``incident_photos``, migration 0010).

A photo is written inside a caller's transaction (the incident's intake, so a
failure leaves neither) or in its own with its audit entry. Listing returns
the metadata only; the bytes are read one photo at a time.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .._errors import LimitExceeded, NotFoundError
from ..photos import CleanPhoto
from ._sql import now
from .audit import AuditRepository
from .database import Database
from .schema import keyed_table

__all__ = ["incident_photos", "PhotoRepository", "MAX_PHOTOS_PER_INCIDENT"]

_meta = sa.MetaData()

incident_photos = keyed_table(
    "incident_photos",
    sa.Column("incident_uid", sa.String(40), nullable=False),
    sa.Column("content_type", sa.String(32), nullable=False),
    sa.Column("bytes", sa.Integer, nullable=False),
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("height", sa.Integer, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.String(100)),
    meta=_meta,
)
_C = incident_photos.c
_META = (_C.id, _C.incident_uid, _C.content_type, _C.bytes, _C.width, _C.height, _C.sha256,
         _C.created_at, _C.created_by)

#: photos one incident may carry
MAX_PHOTOS_PER_INCIDENT = 10


class PhotoRepository:
    def __init__(self, db: Database, audit: AuditRepository):
        self.db, self.audit = db, audit

    def add(self, conn: Connection, uid: str, photo: CleanPhoto, *, actor: str | None) -> int:
        """Store ``photo`` for incident ``uid`` in the caller's transaction; returns its id."""
        count = conn.execute(sa.select(sa.func.count()).select_from(incident_photos)
                             .where(_C.incident_uid == uid)).scalar_one()
        if count >= MAX_PHOTOS_PER_INCIDENT:
            raise LimitExceeded(
                f"事件 {uid} 已有 {count} 张照片, 上限 {MAX_PHOTOS_PER_INCIDENT}。incident {uid} "
                f"has {count} photos already; the limit is {MAX_PHOTOS_PER_INCIDENT}.",
                field="photo", value=count,
                fix="在已有照片中选用, 不再追加。Keep to the photos already attached.")
        pid = int(conn.execute(sa.insert(incident_photos).values(
            incident_uid=uid, content_type=photo.content_type, bytes=len(photo.data),
            width=photo.width, height=photo.height, sha256=photo.sha256, data=photo.data,
            created_at=now(), created_by=actor)).inserted_primary_key[0])
        self.audit.record(conn, actor=actor, action="incident.photo", entity="incident",
                          entity_id=uid, after={"photo": pid, "bytes": len(photo.data),
                                                "content_type": photo.content_type})
        return pid

    def attach(self, uid: str, photo: CleanPhoto, *, actor: str | None) -> int:
        """Store ``photo`` in a transaction of its own."""
        with self.db.write() as conn:
            return self.add(conn, uid, photo, actor=actor)

    def list(self, uids: list[str]) -> dict[str, list[dict[str, Any]]]:
        """The photos' metadata per incident uid, oldest first (no bytes)."""
        if not uids:
            return {}
        out: dict[str, list[dict[str, Any]]] = {}
        with self.db.read() as conn:
            for r in conn.execute(sa.select(*_META).where(_C.incident_uid.in_(uids))
                                  .order_by(_C.id)):
                out.setdefault(r.incident_uid, []).append(dict(r._mapping))
        return out

    def get(self, uid: str, photo_id: int) -> dict[str, Any]:
        """One photo of incident ``uid`` with its bytes (``data``)."""
        with self.db.read() as conn:
            row = conn.execute(sa.select(incident_photos).where(
                _C.id == photo_id, _C.incident_uid == uid)).first()
        if row is None:
            raise NotFoundError(f"事件 {uid} 没有照片 {photo_id}。incident {uid} has no photo "
                                f"{photo_id}.", field="photo_id", value=photo_id,
                                fix="用事件详情中的照片地址。Use a photo URL from the incident's "
                                    "detail.")
        out = dict(row._mapping)
        out["data"] = bytes(out["data"])
        return out
