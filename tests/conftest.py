"""Shared fixtures: real stores (SpatiaLite and a throwaway PostGIS), the demo, the app."""

from __future__ import annotations

import itertools
import os
import warnings
from pathlib import Path

import geopandas as gpd
import pytest

from geogrid.store import Store
from tests.support.pgcluster import PgCluster, postgis_available

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"

warnings.filterwarnings("ignore", message=".*httpx2.*")
os.environ.setdefault("GEOGRID_ALLOWED_HOSTS", "localhost,127.0.0.1,::1,testserver")  # TestClient


@pytest.fixture(scope="session", autouse=True)
def _data_dir(tmp_path_factory):
    """The app's data directory (sign-in throttle, session key, PostGIS stores' locators)
    is this process's own temporary folder, not ./var: runs and pytest-xdist workers then
    never count one another's failed sign-ins or open one another's files."""
    old = os.environ.get("GEOGRID_DATA_DIR")
    os.environ["GEOGRID_DATA_DIR"] = str(tmp_path_factory.mktemp("var"))
    yield
    if old is None:
        os.environ.pop("GEOGRID_DATA_DIR", None)
    else:
        os.environ["GEOGRID_DATA_DIR"] = old


@pytest.fixture(scope="session")
def pg_cluster():
    """One PostGIS cluster for the whole run (installed by `make test`)."""
    if not postgis_available():
        pytest.fail("PostgreSQL/PostGIS is not installed; run the tests with `make test`, "
                    "which installs it from Debian packages.")
    with PgCluster(dbname="geogrid_template") as pg:
        template = Store.open(pg.url)  # migrate the template once
        template.dispose()
        yield pg


_db_counter = itertools.count()


def _postgis_store(pg: PgCluster, template: str = "geogrid_template") -> Store:
    import psycopg

    name = f"t{os.getpid()}_{next(_db_counter)}"
    with psycopg.connect(host="127.0.0.1", port=pg.port, user="postgres", dbname="postgres",
                         autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:{pg.port}/{name}"
    return Store.open(url, migrate=False)


#: (cluster port, template name) of the demo templates built in this process
_demo_templates: set[tuple[int, str]] = set()


def postgis_demo_store(pg: PgCluster, *, partition: bool = True) -> Store:
    """A fresh PostGIS database holding the demo street (``load_demo(store, partition=…)``).

    Loading, and above all partitioning, the demo takes seconds; a database copied with
    ``CREATE DATABASE … TEMPLATE`` takes a fraction of one. The template is loaded the first
    time it is asked for in this process, then copied for every caller.
    """
    import psycopg

    from geogrid.services.demo import load_demo

    template = "geogrid_demo" if partition else "geogrid_demo_flat"
    if (pg.port, template) not in _demo_templates:
        with psycopg.connect(host="127.0.0.1", port=pg.port, user="postgres", dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{template}"')
            conn.execute(f'CREATE DATABASE "{template}" TEMPLATE "geogrid_template"')
        store = Store.open(f"postgresql+psycopg://postgres@127.0.0.1:{pg.port}/{template}",
                           migrate=False)
        try:
            load_demo(store, partition=partition)
        finally:
            store.dispose()
        _demo_templates.add((pg.port, template))
    return _postgis_store(pg, template)


@pytest.fixture(params=["spatialite", "postgis"])
def store(request, tmp_path) -> Store:
    """An empty, migrated store of each kind."""
    if request.param == "spatialite":
        s = Store.open(f"sqlite:///{tmp_path / 'geogrid.sqlite'}")
    else:
        s = _postgis_store(request.getfixturevalue("pg_cluster"))
    yield s
    s.dispose()


@pytest.fixture
def spatialite_store(tmp_path) -> Store:
    s = Store.open(f"sqlite:///{tmp_path / 'geogrid.sqlite'}")
    yield s
    s.dispose()


@pytest.fixture(scope="session")
def demo_frames() -> dict[str, gpd.GeoDataFrame]:
    from geogrid.services.demo import demo_frames as load

    return load()


def _build_demo_db(path: Path) -> None:
    """Load the demo into a new SpatiaLite file at ``path`` (whole or not at all)."""
    from geogrid.services.demo import load_demo

    partial = path.with_name(f".{path.name}.{os.getpid()}")
    s = Store.open(f"sqlite:///{partial}")
    try:
        load_demo(s)
    finally:
        s.dispose()
    os.replace(partial, path)


@pytest.fixture(scope="session")
def demo_db_path(tmp_path_factory) -> Path:
    """A SpatiaLite file with the demo loaded once per run; tests copy it, never open it.

    Under pytest-xdist the workers share one build: the first to ask builds it in the run's
    common temporary folder while the others wait on a lock, then all copy the same file.
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
        _build_demo_db(path)
        return path
    import fcntl

    root = tmp_path_factory.getbasetemp().parent  # this run's folder, shared by its workers
    path = root / "demo.sqlite"
    with open(root / "demo.sqlite.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            _build_demo_db(path)
    return path


@pytest.fixture
def demo_store(demo_db_path, tmp_path) -> Store:
    import shutil

    path = tmp_path / "demo.sqlite"
    shutil.copy(demo_db_path, path)
    s = Store.open(f"sqlite:///{path}", migrate=False)
    yield s
    s.dispose()


@pytest.fixture(params=["spatialite", "postgis"])
def demo_store_any(request, demo_db_path, tmp_path) -> Store:
    """The demo street, loaded by ``load_demo`` (partitioned and active), on each store: a
    copy of the SpatiaLite build or of the PostGIS template. ``load_demo`` on it finds the
    demo and returns its plan id."""
    import shutil

    if request.param == "spatialite":
        path = tmp_path / "demo-any.sqlite"
        shutil.copy(demo_db_path, path)
        s = Store.open(f"sqlite:///{path}", migrate=False)
    else:
        s = postgis_demo_store(request.getfixturevalue("pg_cluster"))
    yield s
    s.dispose()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def demo_cli(tmp_path, monkeypatch, demo_db_path):
    """A copy of the demo store that the CLI opens (through GEOGRID_DATABASE_URL)."""
    import shutil

    from geogrid.settings import get_settings
    from geogrid.store import open_store

    db = tmp_path / "cli.sqlite"
    shutil.copy(demo_db_path, db)
    monkeypatch.setenv("GEOGRID_DATABASE_URL", f"sqlite:///{db}")
    get_settings.cache_clear()
    store = open_store()
    yield store
    store.dispose()
    get_settings.cache_clear()
