"""Webhook subscribers, the outbox cursor and the delivery log, on both stores.

The outbox is the store's own history: new rows of ``incident_events`` and
``audit_log`` past a cursor (``webhook_state``). :func:`enqueue_new` reads
them, turns the ones a subscriber wants into ``webhook_deliveries`` rows and
moves the cursor, all in one transaction, so nothing is queued twice or lost.
On PostgreSQL, ids may commit out of order across transactions, so each pass
looks back :data:`LOOKBACK` ids; the unique key (subscriber, source, source
id) drops what was already queued. Events of one incident are written under
its optimistic lock, so their ids follow their order.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa

from .._errors import InputError, NotFoundError
from . import schema as S
from .repo import Store, now

__all__ = ["subscribers", "webhook_state", "deliveries", "add_subscriber", "list_subscribers",
           "delete_subscriber", "acquire_lease", "enqueue_new", "due_deliveries",
           "purge_deliveries", "record_attempt", "delivery_log", "LOOKBACK"]

_meta = sa.MetaData()
TS = sa.DateTime(timezone=True)
LOOKBACK = 200

subscribers = S.keyed_table(
    "webhook_subscribers",
    sa.Column("url", sa.String(500), nullable=False),
    sa.Column("secret", sa.String(200), nullable=False),
    sa.Column("events", sa.JSON, nullable=False),
    sa.Column("description", sa.String(200)),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("from_event_id", sa.Integer, nullable=False),
    sa.Column("from_audit_id", sa.Integer, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.String(100)),
    meta=_meta,
)
webhook_state = sa.Table(
    "webhook_state", _meta,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("last_id", sa.Integer, nullable=False),
    sa.Column("holder", sa.String(64)),
    sa.Column("lease_until", TS),
)
deliveries = S.keyed_table(
    "webhook_deliveries",
    sa.Column("subscriber_id", sa.Integer, nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("source_id", sa.Integer, nullable=False),
    sa.Column("event_type", sa.String(32), nullable=False),
    sa.Column("entity_id", sa.String(64), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", TS, nullable=False),
    sa.Column("last_status", sa.Integer),
    sa.Column("last_error", sa.String(300)),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("delivered_at", TS),
    meta=_meta,
)

_SOURCES = {"events": S.incident_events, "audit": S.audit_log}


def _max_id(conn, table) -> int:
    return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar())


def add_subscriber(store: Store, *, url: str, secret: str, events: list[str],
                   description: str | None, actor: str) -> dict:
    with store.write() as conn:
        values = dict(url=url, secret=secret, events=list(events), description=description,
                      active=True, created_at=now(), created_by=actor,
                      from_event_id=_max_id(conn, S.incident_events),
                      from_audit_id=_max_id(conn, S.audit_log))
        sid = int(conn.execute(sa.insert(subscribers).values(**values)).inserted_primary_key[0])
        store.audit(conn, actor=actor, action="webhook.create", entity="webhook", entity_id=sid,
                    after={"url": url, "events": list(events)})
    return {"id": sid, **values}


def list_subscribers(store: Store, *, active_only: bool = False) -> list[dict]:
    q = sa.select(subscribers).order_by(subscribers.c.id)
    if active_only:
        q = q.where(subscribers.c.active.is_(True))
    with store.read() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]


def delete_subscriber(store: Store, sid: int, *, actor: str) -> None:
    with store.write() as conn:
        row = conn.execute(sa.select(subscribers.c.url).where(subscribers.c.id == sid)).first()
        if row is None:
            raise NotFoundError(f"webhook {sid} does not exist. / 订阅 {sid} 不存在。",
                                field="id", value=sid, fix="List them with GET /webhooks.")
        conn.execute(sa.delete(deliveries).where(deliveries.c.subscriber_id == sid))
        conn.execute(sa.delete(subscribers).where(subscribers.c.id == sid))
        store.audit(conn, actor=actor, action="webhook.delete", entity="webhook", entity_id=sid,
                    before={"url": row.url})


def acquire_lease(store: Store, holder: str, ttl_s: float) -> bool:
    """Take (or renew) the dispatcher lease, so one process of several sends."""
    at = now()
    st = webhook_state.c
    with store.read() as conn:  # renewing only past half the lease keeps writes rare
        row = conn.execute(sa.select(st.holder, st.lease_until).where(st.name == "lease")).first()
    if row is not None and row.holder == holder and row.lease_until is not None and \
            _aware(row.lease_until, at) - at > timedelta(seconds=ttl_s / 2):
        return True
    with store.write() as conn:
        row = conn.execute(sa.select(st.holder, st.lease_until).where(st.name == "lease")).first()
        if row is None:
            conn.execute(sa.insert(webhook_state).values(name="lease", last_id=0, holder=holder,
                                                         lease_until=at + timedelta(seconds=ttl_s)))
            return True
        until = None if row.lease_until is None else _aware(row.lease_until, at)
        if row.holder != holder and until is not None and until > at:
            return False
        conn.execute(sa.update(webhook_state).where(st.name == "lease").values(
            holder=holder, lease_until=at + timedelta(seconds=ttl_s)))
        return True


def _aware(value: datetime, like: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=like.tzinfo)


def _cursor(conn, name: str) -> int:
    st = webhook_state.c
    value = conn.execute(sa.select(st.last_id).where(st.name == name)).scalar()
    if value is None:
        conn.execute(sa.insert(webhook_state).values(name=name, last_id=0))
        return 0
    return int(value)


def _source_rows(conn, name: str, after: int, limit: int) -> list[dict]:
    if name == "events":
        e, i = S.incident_events.c, S.incidents.c
        q = (sa.select(e.id, e.seq, e.action, e.from_status, e.to_status, e.at, e.reason,
                       e.data, i.uid, i.category, i.status, i.microgrid_uid, i.handler,
                       i.handler_kind, i.deadline_at, i.area_chain, i.channel)
             .join(S.incidents, e.incident_id == i.id).where(e.id > after).order_by(e.id))
    else:
        a = S.audit_log.c
        q = (sa.select(a.id, a.at, a.actor, a.action, a.entity, a.entity_id, a.before, a.after)
             .where(a.id > after, a.action == "plan.activate").order_by(a.id))
    return [dict(r._mapping) for r in conn.execute(q.limit(limit))]


def _has_new(store: Store) -> bool:
    """Whether any source has rows past its cursor (read only: no write lock when idle).
    PostgreSQL always re-reads its look-back window: a late commit may sit below the cursor."""
    if store.dialect == "postgresql":
        return True
    with store.read() as conn:
        cursors = dict(conn.execute(sa.select(webhook_state.c.name, webhook_state.c.last_id)).all())
        return any(_max_id(conn, table) > cursors.get(name, 0) for name, table in _SOURCES.items())


#: (row, source name) → list of (event type, entity id, payload) it announces
Builder = Callable[[dict, str], "tuple[str, str, dict] | None"]


def enqueue_new(store: Store, build: Builder, *, limit: int = 2000) -> int:
    """Queue deliveries for source rows past the cursors, and move them; one transaction."""
    subs = list_subscribers(store, active_only=True)
    if not _has_new(store):
        return 0
    queued = 0
    with store.write() as conn:
        lookback = LOOKBACK if store.dialect == "postgresql" else 0
        for name, table in _SOURCES.items():
            cur = _cursor(conn, name)
            rows = _source_rows(conn, name, max(0, cur - lookback), limit)
            if not rows:
                continue
            queued += _queue(conn, name, rows, subs, build)
            top = max(cur, max(r["id"] for r in rows))
            conn.execute(sa.update(webhook_state).where(webhook_state.c.name == name)
                         .values(last_id=top))
    return queued


def _queue(conn, name: str, rows: list[dict], subs: list[dict], build: Builder) -> int:
    if not subs:
        return 0
    d = deliveries.c
    ids = [r["id"] for r in rows]
    seen = set(conn.execute(sa.select(d.subscriber_id, d.source_id).where(
        d.source == name, d.source_id.in_(ids))).all())
    at, out = now(), []
    start = "from_event_id" if name == "events" else "from_audit_id"
    for row in rows:
        event = build(row, name)
        if event is None:
            continue
        etype, entity, payload = event
        for sub in subs:
            if row["id"] <= sub[start] or (sub["id"], row["id"]) in seen:
                continue
            if etype not in sub["events"] and "*" not in sub["events"]:
                continue
            out.append({"subscriber_id": sub["id"], "source": name, "source_id": row["id"],
                        "event_type": etype, "entity_id": entity, "payload": payload,
                        "status": "pending", "attempts": 0, "next_attempt_at": at,
                        "created_at": at})
    if out:
        conn.execute(sa.insert(deliveries), out)
    return len(out)


def due_deliveries(store: Store, at: datetime, *, limit: int = 1000) -> list[dict]:
    """Pending deliveries that are due and first in line for their (subscriber, entity):
    a later event of an incident waits until the earlier one is delivered or failed.
    The heads are chosen in SQL, so a long backlog is not read on every pass."""
    d, s = deliveries.c, subscribers.c
    heads = (sa.select(d.subscriber_id, d.entity_id, sa.func.min(d.source_id).label("first"))
             .where(d.status == "pending").group_by(d.subscriber_id, d.entity_id).subquery())
    q = (sa.select(deliveries, s.url, s.secret)
         .join(heads, sa.and_(d.subscriber_id == heads.c.subscriber_id,
                              d.entity_id == heads.c.entity_id, d.source_id == heads.c.first))
         .join(subscribers, d.subscriber_id == s.id)
         .where(d.status == "pending", d.next_attempt_at <= at, s.active.is_(True))
         .order_by(d.id).limit(limit))
    with store.read() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]


def record_attempt(store: Store, delivery_id: int, *, ok: bool, status: int | None,
                   error: str | None, next_at: datetime | None) -> None:
    """Log one attempt: delivered, retried at ``next_at``, or failed for good (``next_at`` None)."""
    at = now()
    values = {"attempts": deliveries.c.attempts + 1, "last_status": status,
              "last_error": (error or None) and error[:300]}
    if ok:
        values.update(status="delivered", delivered_at=at)
    elif next_at is None:
        values.update(status="failed")
    else:
        values.update(next_attempt_at=next_at)
    with store.write() as conn:
        conn.execute(sa.update(deliveries).where(deliveries.c.id == delivery_id).values(**values))


def purge_deliveries(store: Store, *, older_than_days: int, actor: str = "system") -> int:
    """Delete the finished (delivered or failed) deliveries queued more than
    ``older_than_days`` ago, payloads included; pending ones stay until they finish."""
    d = deliveries.c
    cutoff = now() - timedelta(days=older_than_days)
    with store.write() as conn:
        res = conn.execute(sa.delete(deliveries).where(d.status.in_(("delivered", "failed")),
                                                       d.created_at < cutoff))
        store.audit(conn, actor=actor, action="webhooks.purge_deliveries", entity="webhook",
                    entity_id=None, after={"count": res.rowcount, "cutoff": cutoff.isoformat()})
    return res.rowcount


def delivery_log(store: Store, *, subscriber_id: int | None = None, status: str | None = None,
                 limit: int = 100) -> list[dict]:
    if status is not None and status not in ("pending", "delivered", "failed"):
        raise InputError(f"status {status!r} is not a delivery status. / 投递状态无效。",
                         field="status", value=status, fix="Use pending, delivered or failed.")
    d = deliveries.c
    q = sa.select(deliveries).order_by(d.id.desc()).limit(limit)
    if subscriber_id is not None:
        q = q.where(d.subscriber_id == subscriber_id)
    if status:
        q = q.where(d.status == status)
    with store.read() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]
