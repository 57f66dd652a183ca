"""Plans that existed before levels were declared migrate to the default five levels."""

from __future__ import annotations

import sqlalchemy as sa

from geogrid.model import DEFAULT_LEVELS, parse_levels
from geogrid.store import Store
from geogrid.store.engine import create_engine
from geogrid.store.migrate import migrate


def test_existing_plans_migrate_to_the_default_levels(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = create_engine(url)
    migrate(engine, "0004")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO plans (name, street_code, status, version, created_at) "
                             "VALUES ('旧方案', '310115005', 'draft', 1, CURRENT_TIMESTAMP)"))
    engine.dispose()
    store = Store.open(url)
    try:
        [old] = store.plans()
        assert old["levels"] is None and store.plan_levels(old["id"]) == DEFAULT_LEVELS
        hz = parse_levels("街道=street,社区=community,网格=grid")
        with store.write() as conn:
            new = store.create_plan(conn, name="留下", street_code="330106001", levels=hz)
        assert store.plan_levels(new) == hz
        copy = store.copy_plan(new)
        assert store.plan_levels(copy) == hz  # a draft copy keeps the declaration
        assert store.datasets(plan_id=new) == []
    finally:
        store.dispose()
