"""One active plan per street under concurrency; retention of every terminal state."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta

import pytest

from geogrid.errors import ConflictError
from geogrid.services.incidents import IncidentService


def _drafts(store, n: int) -> list[int]:
    with store.write() as conn:
        return [store.create_plan(conn, name=f"d{i}", street_code="310115005") for i in range(n)]


def test_only_one_plan_per_street_is_active_after_racing_activations(store):
    ids = _drafts(store, 4)
    barrier = threading.Barrier(len(ids))
    errors: list[Exception] = []

    def go(pid):
        barrier.wait()
        try:
            store.activate_plan(pid)
        except ConflictError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(p,)) for p in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    active = [p for p in store.plans() if p["status"] == "active"]
    assert len(active) == 1
    assert len(errors) + 1 + sum(p["status"] == "retired" for p in store.plans()) >= len(ids)


def test_the_database_refuses_a_second_active_plan(store):
    import sqlalchemy as sa
    from sqlalchemy.exc import IntegrityError

    from geogrid.store import schema as S

    a, b = _drafts(store, 2)
    store.activate_plan(a)
    with pytest.raises(IntegrityError):
        with store.write() as conn:
            conn.execute(sa.update(S.plans).where(S.plans.c.id == b).values(status="active"))


def test_purge_covers_rejected_and_merged_and_leaves_no_copy_in_the_wal(store):
    import sqlalchemy as sa

    from geogrid.store import schema as S

    demo_store = store
    svc = IncidentService(demo_store)
    old = datetime.now(UTC) - timedelta(days=400)
    phone = "13712345678"
    with demo_store.write() as conn:
        for i, status in enumerate(("rejected", "closed")):
            conn.execute(sa.insert(S.incidents).values(
                uid=f"OLD-{i}", channel="api", category="waterlogging", status=status,
                lon=121.51, lat=31.237, input_datum="wgs84", reporter_name="王五",
                reporter_phone=phone, reported_at=old,
                closed_at=old if status == "closed" else None,
                merged_into="X" if status == "rejected" else None, attrs={},
                geom=sa.func.ST_GeomFromText("POINT(121.51 31.237)", 4490)))
            iid = conn.execute(sa.select(S.incidents.c.id).where(
                S.incidents.c.uid == f"OLD-{i}")).scalar_one()
            conn.execute(sa.insert(S.incident_events).values(
                incident_id=iid, seq=1, action="reject", to_status=status, at=old))
    assert svc.purge_personal(older_than_days=365) == 2
    assert all(svc.get(f"OLD-{i}")["reporter_phone"] is None for i in range(2))
    if store.dialect != "sqlite":
        return  # PostgreSQL's files are the server's; the rows above are what it serves
    path = demo_store.engine.url.database
    raw = open(path, "rb").read() + (open(path + "-wal", "rb").read()
                                     if os.path.exists(path + "-wal") else b"")
    assert phone.encode() not in raw
