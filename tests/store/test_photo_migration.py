"""Migration 0010 adds ``incident_photos`` to a store at 0009 and takes it away again;
deleting an incident deletes its photos (SpatiaLite enforces the foreign key)."""

from __future__ import annotations

import io

import sqlalchemy as sa
from alembic import command
from PIL import Image

from geogrid.photos import clean_photo
from geogrid.store import Store
from geogrid.store.engine import create_engine
from geogrid.store.migrate import alembic_config, migrate


def _tables(engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def test_0010_up_down_and_cascade(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = create_engine(url)
    migrate(engine, "0009")
    assert "incident_photos" not in _tables(engine)
    migrate(engine)
    assert "incident_photos" in _tables(engine)
    cfg = alembic_config()
    with engine.connect().execution_options(geogrid_write=True) as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0009")
        conn.commit()
    assert "incident_photos" not in _tables(engine)
    engine.dispose()

    store = Store.open(url)  # upgrades again
    try:
        buf = io.BytesIO()
        Image.new("RGB", (8, 8), "green").save(buf, "PNG")
        with store.write() as conn:
            conn.execute(sa.text(
                "INSERT INTO incidents (uid, channel, category, status, lon, lat, input_datum, "
                "reported_at, version, extensions, reworks, geom) VALUES ('INC-1', 'api', "
                "'积水', 'reported', 121.5, 31.2, 'cgcs2000', CURRENT_TIMESTAMP, 1, 0, 0, "
                "MakePoint(121.5, 31.2, 4490))"))
            store.photos.add(conn, "INC-1", clean_photo(buf.getvalue()), actor="t")
        assert len(store.photos.list(["INC-1"])["INC-1"]) == 1
        with store.write() as conn:
            conn.execute(sa.text("DELETE FROM incidents WHERE uid = 'INC-1'"))
        assert store.photos.list(["INC-1"]) == {}
    finally:
        store.dispose()
