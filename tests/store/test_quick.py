"""The plans of a SpatiaLite store read with sqlite3 alone (what a new worker reads before it
opens the store) agree with the store, and the reader refuses what it cannot stand in for."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from geogrid.errors import NotFoundError
from geogrid.services.locatefiles import locator_path
from geogrid.store.migrate import VERSION_TABLE
from geogrid.store.quick import PlanRows, rendered_url, sqlite_file


def _comparable(plan: dict) -> dict:
    """The fields a plan row is used for before the store is open (times are typed by the
    store and read again from it once it is)."""
    return {k: v for k, v in plan.items() if not k.endswith("_at")}


def test_the_rows_are_the_stores_and_key_the_same_stored_locator(demo_store):
    url = demo_store.engine.url.render_as_string(hide_password=False)
    rows = PlanRows.open(url)
    assert rows is not None
    active = demo_store.active_plan()
    assert rows.active_plan() is not None
    assert _comparable(rows.active_plan()) == _comparable(active)
    assert set(rows.active_plan()) == set(active)
    assert _comparable(rows.plan(active["id"])) == _comparable(demo_store.plan(active["id"]))
    # the locator a worker opens from the rows is the one the store's processes stored
    assert locator_path(Path("d"), rows, active) == locator_path(Path("d"), demo_store, active)
    with pytest.raises(NotFoundError) as err:
        rows.plan(99999)
    assert "99999" in err.value.message and "不存在" in err.value.message


def test_no_reader_for_what_it_cannot_stand_in_for(demo_store, tmp_path):
    db = Path(demo_store.engine.url.database)
    assert PlanRows.open(f"sqlite:///{tmp_path / 'missing.sqlite'}") is None
    assert PlanRows.open("postgresql+psycopg://u:p@localhost/geogrid") is None
    assert PlanRows.open(f"sqlite:///{db}?mode=ro") is None          # not a plain file URL
    demo_store.dispose()
    with sqlite3.connect(db) as conn:                                 # a migration to run
        conn.execute(f"UPDATE {VERSION_TABLE} SET version_num = 'older'")
    assert PlanRows.open(f"sqlite:///{db}") is None


@pytest.mark.parametrize("url", [
    "sqlite:////srv/geogrid/store.sqlite", "sqlite:///var/geogrid.sqlite",
    "sqlite:///C:/data/geo grid.sqlite", "sqlite:///a%20b+c.sqlite", "sqlite:///x@y#z.sqlite",
    "sqlite:////数据/网格.sqlite"])
def test_a_file_url_is_read_and_rendered_as_sqlalchemy_does(url):
    assert sqlite_file(url) == Path(make_url(url).database)
    assert rendered_url(url) == make_url(url).render_as_string(hide_password=True)
