"""The audit log: who did what, when, with the before and after of every write."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import schema as S
from ._sql import json_safe, now
from .database import Database

__all__ = ["AuditRepository"]


class AuditRepository:
    def __init__(self, db: Database):
        self.db = db

    def record(self, conn: Connection, *, actor: str | None, action: str, entity: str,
               entity_id: Any, before: Any = None, after: Any = None) -> None:
        """Append one entry inside the caller's transaction."""
        conn.execute(sa.insert(S.audit_log).values(
            at=now(), actor=actor, action=action, entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            before=json_safe(before), after=json_safe(after)))

    def entries(self, *, entity: str | None = None, entity_id: str | None = None,
                actor: str | None = None, limit: int = 100) -> list[dict]:
        q = sa.select(S.audit_log).order_by(S.audit_log.c.id.desc()).limit(limit)
        if entity:
            q = q.where(S.audit_log.c.entity == entity)
        if entity_id:
            q = q.where(S.audit_log.c.entity_id == str(entity_id))
        if actor:
            q = q.where(S.audit_log.c.actor == actor)
        return self.db.rows(q)
