"""A plan's locator stored once (at activation) and opened by every worker: the same
answers, no areas read for lookups, drafts never stored, stale versions removed, an
unreadable directory rebuilt."""

from __future__ import annotations

import numpy as np
import pytest

from geogrid import OutOfCoverageError
from geogrid.locate import PlanLocator
from geogrid.services import PlanCache
from geogrid.services.locatefiles import locator_path, prepare
from geogrid.services.locating import plan_locator


def _answer(locator, x, y, snap):
    try:
        return locator.locate_one(x, y, snap_m=snap)
    except OutOfCoverageError as exc:
        return ("out", exc.message, exc.fix)


@pytest.fixture
def demo_areas(demo_store):
    return demo_store.areas(int(demo_store.active_plan()["id"]))


def test_an_opened_locator_answers_as_the_built_one(demo_areas, tmp_path):
    built = plan_locator(demo_areas)
    assert built.group_index is not None                 # the demo has 楼组
    asked = []
    opened = PlanLocator.open(built.save(tmp_path / "loc"), lambda: asked.append(1) or demo_areas)
    rng = np.random.default_rng(3)
    xs, ys = rng.uniform(121.49, 121.53, 1500), rng.uniform(31.22, 31.255, 1500)
    answers = [_answer(built, x, y, 300) for x, y in zip(xs, ys)]
    assert [_answer(opened, x, y, 300) for x, y in zip(xs, ys)] == answers
    kinds = {("out" if isinstance(a, tuple) else a["snapped"]) for a in answers}
    assert kinds == {"out", True, False}                 # inside, snapped and refused points
    assert any(a["chain"]["building_group"] for a in answers if isinstance(a, dict))
    batch_a, batch_b = built.locate_many(xs, ys, snap_m=50), opened.locate_many(xs, ys, snap_m=50)
    assert batch_a.equals(batch_b)
    assert not asked                                     # lookups never read the areas
    assert opened.leaves["id"].tolist() == built.leaves["id"].tolist() and asked == [1]


def test_the_cache_stores_once_and_opens_after(demo_store, tmp_path):
    plan_id = int(demo_store.active_plan()["id"])
    first = PlanCache(demo_store, locate_dir=tmp_path)
    prepare(first, plan_id)                              # what activation does
    path = locator_path(tmp_path, demo_store, demo_store.plan(plan_id))
    assert (path / "locator.json").exists() and (path / "leaves" / "lut.npy").exists()

    class Counting:
        def __init__(self, store):
            self.store, self.reads = store, 0

        def areas(self, *a, **kw):
            self.reads += 1
            return self.store.areas(*a, **kw)

        def __getattr__(self, name):
            return getattr(self.store, name)

    counting = Counting(demo_store)
    second = PlanCache(counting, locate_dir=tmp_path)
    hit = second.locator(plan_id).locate_one(121.512, 31.237)
    assert counting.reads == 0                           # opened: no area read
    assert hit == first.locator(plan_id).locate_one(121.512, 31.237)
    assert hit["chain"]["grid"]["name"] == "崂山住区"


def test_a_draft_is_not_stored(demo_store, tmp_path):
    with demo_store.write() as conn:
        draft = demo_store.create_plan(conn, name="草稿", street_code="310115005", actor="t")
        demo_store.add_areas(conn, draft, demo_store.areas(int(demo_store.active_plan()["id"])),
                             actor="t")
    cache = PlanCache(demo_store, locate_dir=tmp_path / "loc")
    assert cache.locator(draft).locate_one(121.512, 31.237)["chain"]["grid"] is not None
    assert not (tmp_path / "loc").exists()


def test_an_unreadable_locator_is_rebuilt_and_older_versions_go(demo_store, tmp_path, caplog):
    plan = demo_store.active_plan()
    plan_id = int(plan["id"])
    stale = locator_path(tmp_path, demo_store, {**plan, "version": int(plan["version"]) - 1})
    stale.mkdir(parents=True)
    path = locator_path(tmp_path, demo_store, plan)
    path.mkdir()
    (path / "locator.json").write_text("{not json")
    cache = PlanCache(demo_store, locate_dir=tmp_path)
    assert cache.locator(plan_id).locate_one(121.512, 31.237)["leaf"] is not None
    assert "rebuilding" in caplog.text
    assert PlanLocator.open(path).locate_one(121.512, 31.237)["leaf"] is not None
    assert not stale.exists()


def test_a_server_opens_the_active_locator_at_start(demo_store):
    from fastapi.testclient import TestClient

    from api import create_app
    from geogrid.settings import Settings

    db = demo_store.engine.url.database
    app = create_app(Settings(database_url=str(demo_store.engine.url)), store=demo_store)
    with TestClient(app) as client:
        plan = demo_store.active_plan()
        path = locator_path(f"{db}.locate", demo_store, plan)
        assert (path / "locator.json").exists()
        assert app.state.geo.plan_data(int(plan["id"])).locator is not None
        body = client.get("/locate", params={"lon": 121.512, "lat": 31.237, "datum": "wgs84"})
        assert body.json()["chain"]["grid"]["name"] == "崂山住区"



def test_labels_are_read_with_numpy_alone_and_the_arrow_layout_still_opens(demo_areas, tmp_path):
    """Text, Chinese text and missing values come back as they went in; a locator saved
    with the labels in an Arrow file (the previous layout) answers alike."""
    import json
    import subprocess
    import sys

    import pyarrow as pa
    import pyarrow.feather as feather

    from geogrid.locate._stored import StoredLabels, TextColumn, save_texts

    values = ["崂山住区", None, "", "MG-1", "梅园 三街坊·东"] * 30
    save_texts(tmp_path / "col", values)
    column = TextColumn(tmp_path / "col")
    assert column.take(np.arange(len(values))) == values                 # the bulk path
    assert column.take(np.array([4, 1, 0])) == [values[4], None, values[0]]

    built = plan_locator(demo_areas)
    path = built.save(tmp_path / "loc")
    assert isinstance(PlanLocator.open(path)._labels, StoredLabels)
    probe = ("import sys; from geogrid.locate import PlanLocator; "
             "loc = PlanLocator.open(sys.argv[1]); loc.locate_one(121.512, 31.237); "
             "print('pyarrow' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "False"                                # no pyarrow import
    labels = PlanLocator.open(path)._labels
    rows = np.arange(len(labels))
    table = pa.table({**{f: pa.array(labels.column(f, rows).tolist(), type=pa.string())
                         for f in ("id", "level", "name", "code", "kind")},
                      "derived": pa.array([labels._derived_at(i) for i in rows])})
    feather.write_feather(table, path / "labels.arrow", compression="uncompressed")
    import shutil

    shutil.rmtree(path / "labels")
    meta = json.loads((path / "locator.json").read_text())
    (path / "locator.json").write_text(json.dumps({**meta, "format": "geogrid-plan-locator/3"}))
    old = PlanLocator.open(path)
    rng = np.random.default_rng(4)
    xs, ys = rng.uniform(121.49, 121.53, 400), rng.uniform(31.22, 31.255, 400)
    assert [_answer(old, x, y, 300) for x, y in zip(xs, ys)] == \
        [_answer(built, x, y, 300) for x, y in zip(xs, ys)]
    assert old.locate_many(xs, ys, snap_m=50).equals(built.locate_many(xs, ys, snap_m=50))
