"""The city at 1×, 10× and 100×: import, activation, locator, a new worker's first /locate, tiles.

Run with ``python -m benchmarks.locate.bench_city --microgrids 600,6000,60000``.

For each size a synthetic city is made: one street of rectangular 网格 of
100 Voronoi 微网格 each (so the microgrids tile their grid and the grids the
street, vertex for vertex) and about five Voronoi 楼组 per microgrid (60,000
microgrids: 600 grids, about 300,000 楼组). It is written to a fresh
SpatiaLite store (``geogrid`` itself, as ``geogrid plans import`` would), and
the table gives, per size:

* **import**: ``Store.add_areas`` of the whole plan, in one transaction;
* **activate**: ``Store.activate_plan``, then building and storing the plan's
  locator as the activating process does (``locatefiles.prepare``), split into
  reading the areas back, building the locator and saving it;
* **new worker** (a fresh Python process each, alternated with the same
  process after the stored locator is deleted, which is what every worker paid
  before): importing the app, the lifespan start (store opened, locator opened
  or built), the first ``/locate``, and the process's peak memory;
  a real ``uvicorn`` worker's time from spawn to its first 200 on ``/locate`` (it
  imports the app itself), alternated with a new process of the plain endpoint; and,
  with gunicorn installed, the time from killing a
  worker of ``gunicorn --preload`` (app imported once, workers forked) to the first
  200 on ``/locate`` from its replacement;
* **tiles**: the first (cold) and a repeated vector tile of the plan at zoom
  12, 14 and 16 over the city's centre, in the worker process.

``--fresh-only`` measures just the new process, on the stores kept in
``--workdir`` (built when missing): a real ``uvicorn`` process per run, spawn →
its first 200 on ``/locate`` and its CPU seconds, median of ``--repeat``,
alternated with a new process of the plain FastAPI + STRtree endpoint
(:mod:`.plain_app`, reading the same microgrids from GeoParquet) and with
``--baseline-root`` (another checkout, e.g. the previous release) when given;
``--workers 1,4`` adds ``/locate`` requests/s on ``uvicorn --workers N`` with ``wrk``
over the whole city, alternated.
``--postgis`` measures import, activation and the locator build on a throwaway
PostGIS cluster instead. Every row carries the load average it ran at.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import box

from tests.support.net import free_port

from .bench_locate import LUJIAZUI

__all__ = ["synthetic_city", "fresh_process", "fresh_plain", "fresh_processes", "fresh_ratios",
           "main"]

ROOT = Path(__file__).resolve().parents[2]
PER_GRID = 100
GROUPS_PER_MICROGRID = 5


def _voronoi(parents: np.ndarray, k: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """``k`` Voronoi cells of random seeds in each parent, clipped to it:
    (cells, index of the parent of each cell)."""
    b = shapely.bounds(parents)
    n = len(parents)
    xs = rng.uniform(b[:, [0]], b[:, [2]], (n, k))
    ys = rng.uniform(b[:, [1]], b[:, [3]], (n, k))
    seeds = shapely.multipoints(np.stack([xs, ys], axis=2))
    cells, owner = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=parents),
                                     return_index=True)
    cells = shapely.intersection(cells, parents[owner], grid_size=None)
    keep = shapely.get_type_id(cells) == 3          # polygons (no slivers of other kinds)
    keep &= ~shapely.is_empty(cells) & (shapely.area(cells) > 0)
    return cells[keep], owner[keep]


def grid_boxes(microgrids: int) -> np.ndarray:
    """The rectangular 网格 of the city of ``microgrids`` microgrids (west→east, south→north)."""
    n_grids = max(1, round(microgrids / PER_GRID))
    cols = math.ceil(math.sqrt(n_grids))
    rows = math.ceil(n_grids / cols)
    minx, miny, maxx, maxy = LUJIAZUI
    grow = math.sqrt(microgrids / 300)
    w, h = (maxx - minx) * grow / cols, (maxy - miny) * grow / rows
    cells = [box(minx + c * w, miny + r * h, minx + (c + 1) * w, miny + (r + 1) * h)
             for r in range(rows) for c in range(cols)][:n_grids]
    return np.array(cells, dtype=object)


def synthetic_city(microgrids: int, *, seed: int = 0) -> gpd.GeoDataFrame:
    """Street → 网格 → 微网格 → 楼组, ids and 15-digit-style codes, EPSG:4490."""
    rng = np.random.default_rng(seed)
    grids = grid_boxes(microgrids)
    street = shapely.union_all(grids)
    micro, micro_grid = _voronoi(grids, PER_GRID, rng)
    groups, group_micro = _voronoi(micro, GROUPS_PER_MICROGRID, rng)
    grid_ids = [f"G{i:04d}" for i in range(len(grids))]
    micro_ids = [f"M{i:06d}" for i in range(len(micro))]
    frames = [
        pd.DataFrame({"id": ["S0"], "level": "street", "name": "合成街道", "code": "310115900",
                      "parent_id": [None], "geometry": [street]}),
        pd.DataFrame({"id": grid_ids, "level": "grid", "name": [f"网格{i}" for i in
                                                               range(len(grids))],
                      "code": [f"310115900{i:03d}" for i in range(len(grids))],
                      "parent_id": "S0", "geometry": grids}),
        pd.DataFrame({"id": micro_ids, "level": "microgrid",
                      "name": [f"微网格{i}" for i in range(len(micro))],
                      "code": [f"M{i:09d}" for i in range(len(micro))],
                      "parent_id": np.asarray(grid_ids, dtype=object)[micro_grid],
                      "geometry": micro}),
        pd.DataFrame({"id": [f"B{i:07d}" for i in range(len(groups))], "level": "building_group",
                      "name": [f"楼组{i}" for i in range(len(groups))],
                      "code": [f"B{i:09d}" for i in range(len(groups))],
                      "parent_id": np.asarray(micro_ids, dtype=object)[group_micro],
                      "geometry": groups}),
    ]
    out = pd.concat(frames, ignore_index=True)
    out["kind"] = "residential"
    return gpd.GeoDataFrame(out, geometry="geometry", crs="EPSG:4490")


def _timed(fn):
    t0 = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t0


def build_store(city: gpd.GeoDataFrame, db: Path) -> dict:
    """Import the city into a new SpatiaLite store, activate it, build and store its locator."""
    from geogrid.services.locatefiles import locator_path
    from geogrid.services.locating import plan_locator
    from geogrid.store import Store

    store = Store.open(f"sqlite:///{db}")
    out = {}
    with store.write() as conn:
        plan_id = store.create_plan(conn, name="合成城市", street_code="310115900", actor="bench")
        _, out["import_s"] = _timed(lambda: store.add_areas(conn, plan_id, city, actor="bench"))
    _, out["activate_s"] = _timed(lambda: store.activate_plan(plan_id, actor="bench"))
    areas, out["read_areas_s"] = _timed(lambda: store.areas(plan_id))
    locator, out["locator_build_s"] = _timed(lambda: plan_locator(areas))
    path = locator_path(Path(f"{db}.locate"), store, store.plan(plan_id))
    _, out["locator_save_s"] = _timed(lambda: locator.save(path))
    out["locator_mb"] = sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20
    out["db_mb"] = db.stat().st_size / 2**20
    out["areas"] = {str(k): int(v) for k, v in areas["level"].value_counts().items()}
    out["locator_dir"] = str(path)
    store.dispose()
    return out


def build_postgis(city: gpd.GeoDataFrame, work: Path) -> dict:
    """:func:`build_store` on a throwaway PostGIS cluster (the tests' own helper): import,
    activation, and the locator read, built and saved as the activating process does."""
    from geogrid.services.locatefiles import locator_path
    from geogrid.services.locating import plan_locator
    from geogrid.store import Store
    from tests.support.pgcluster import PgCluster

    out: dict = {}
    with PgCluster(dbname="bench_city") as pg:
        store = Store.open(pg.url)
        try:
            with store.write() as conn:
                plan_id = store.create_plan(conn, name="合成城市", street_code="310115900",
                                            actor="bench")
                _, out["import_s"] = _timed(lambda: store.add_areas(conn, plan_id, city,
                                                                    actor="bench"))
            _, out["activate_s"] = _timed(lambda: store.activate_plan(plan_id, actor="bench"))
            areas, out["read_areas_s"] = _timed(lambda: store.areas(plan_id))
            locator, out["locator_build_s"] = _timed(lambda: plan_locator(areas))
            path = locator_path(work / "postgis.locate", store, store.plan(plan_id))
            _, out["locator_save_s"] = _timed(lambda: locator.save(path))
            shutil.rmtree(path, ignore_errors=True)
        finally:
            store.dispose()
    out["load"] = os.getloadavg()[0]
    return out


#: one fresh worker: import the app, start it, the first /locate, then tiles
_WORKER = r"""
import asyncio, json, os, resource, sys, time
t0 = time.perf_counter()
from api.app import create_app
t1 = time.perf_counter()
app = create_app()
lon, lat, tiles = float(sys.argv[1]), float(sys.argv[2]), json.loads(sys.argv[3])
async def get(path, qs=b""):
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": qs,
             "root_path": "", "headers": [(b"host", b"127.0.0.1")], "client": ("127.0.0.1", 1),
             "server": ("127.0.0.1", 8000)}
    out = {}
    async def receive(): return {"type": "http.request", "body": b"", "more_body": False}
    async def send(m):
        if m["type"] == "http.response.start": out["status"] = m["status"]
    await app(scope, receive, send)
    return out["status"]
async def main():
    out = {"import_s": t1 - t0}
    t = time.perf_counter()
    async with app.router.lifespan_context(app):
        t2 = time.perf_counter()
        status = await get("/locate", f"lon={lon}&lat={lat}&datum=cgcs2000".encode())
        t3 = time.perf_counter()
        out.update(start_s=t2 - t, first_locate_s=t3 - t2, status=status)
        for z, x, y in tiles:
            path = f"/tiles/active/{z}/{x}/{y}.mvt"
            a = time.perf_counter(); s1 = await get(path); b = time.perf_counter()
            await get(path); c = time.perf_counter()
            out[f"tile_z{z}"] = {"cold_s": b - a, "warm_s": c - b, "status": s1}
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))
asyncio.run(main())
"""


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def fresh_worker(db: Path, lon: float, lat: float) -> dict:
    env = dict(os.environ, GEOGRID_DATABASE_URL=f"sqlite:///{db}", PYTHONPATH=str(ROOT))
    tiles = [_tile_of(lon, lat, z) for z in (12, 14, 16)]
    res = subprocess.run([sys.executable, "-c", _WORKER, str(lon), str(lat), json.dumps(tiles)],
                         env=env, cwd=ROOT, capture_output=True, text=True, timeout=3600)
    if res.returncode:
        raise RuntimeError(res.stderr[-2000:])
    return json.loads(res.stdout.strip().splitlines()[-1])


def uvicorn_first(db: Path, lon: float, lat: float) -> float:
    """Seconds from spawning one uvicorn worker to its first 200 on /locate."""
    return fresh_process(db, lon, lat)["first_s"]


def _first_answer(cmd: list[str], env: dict, cwd: Path, port: int, params: dict,
                  answer: str, then: str | None = None) -> dict:
    """Spawn ``cmd`` (a server on ``port``), ask ``/locate`` until it answers: seconds from
    spawn to that first 200, the CPU seconds the process (and its main thread) had used,
    ``answer`` read from the body, the load average; with ``then``, the seconds until
    that path answers 200 too."""
    import httpx

    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(timeout=60) as client:
            while time.perf_counter() - t0 < 600:
                try:
                    r = client.get(f"http://127.0.0.1:{port}/locate", params=params)
                except httpx.HTTPError:
                    time.sleep(0.005)
                    continue
                seconds = time.perf_counter() - t0
                if r.status_code != 200:
                    raise RuntimeError(f"/locate answered {r.status_code}: {r.text[:300]}")
                out = {"first_s": seconds, "cpu_s": _cpu_seconds(proc.pid),
                       "main_cpu_s": _cpu_seconds(proc.pid, proc.pid),
                       "leaf": r.json()[answer], "load": os.getloadavg()[0]}
                if then:      # another route: it waits for whatever the app still loads
                    other = client.get(f"http://127.0.0.1:{port}{then}")
                    out["other_route_s"] = time.perf_counter() - t0
                    if other.status_code != 200:
                        raise RuntimeError(f"{then} answered {other.status_code}")
                return out
        raise RuntimeError("the worker did not answer")
    finally:
        proc.terminate()
        proc.wait(10)


def fresh_process(db: Path, lon: float, lat: float, root: Path = ROOT) -> dict:
    """One new ``uvicorn`` process, which imports the app itself (as every worker of
    ``geogrid serve --workers N`` does): seconds from spawn to its first 200 on
    ``/locate``, and the CPU seconds the process (and its main thread) had used by then:
    about what it would take on an idle core. ``root`` is the checkout of geogrid it runs."""
    port = free_port()
    env = dict(os.environ, GEOGRID_DATABASE_URL=f"sqlite:///{db}", PYTHONPATH=str(root))
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app", "--port", str(port),
           "--log-level", "warning"]
    return _first_answer(cmd, env, root, port, {"lon": lon, "lat": lat, "datum": "cgcs2000"},
                         "leaf", then="/health")


def fresh_plain(areas: Path, lon: float, lat: float) -> dict:
    """:func:`fresh_process` for the baseline of :mod:`.plain_app` (FastAPI reading the
    same microgrids from GeoParquet into an STRtree): what a new worker of the plain
    endpoint pays before its first answer."""
    port = free_port()
    env = dict(os.environ, PLAIN_AREAS=str(areas), PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "uvicorn", "benchmarks.locate.plain_app:app", "--port",
           str(port), "--log-level", "warning"]
    return _first_answer(cmd, env, ROOT, port, {"lon": lon, "lat": lat}, "id")


def plain_areas(db: Path) -> Path:
    """The active plan's microgrids of ``db`` as GeoParquet beside it, for the baseline
    (written once)."""
    from .bench_http import _export_areas

    path = db.with_name(db.name + ".plain.parquet")
    if not path.exists():
        _export_areas(f"sqlite:///{db}", path)
    return path


def _cpu_seconds(pid: int, thread: int | None = None) -> float:
    """User + system CPU seconds of process ``pid`` so far (of its ``thread`` only, when
    given: the main thread, which imports, starts and answers, without the background
    load of the other routes)."""
    stat = Path(f"/proc/{pid}/task/{thread}/stat" if thread else f"/proc/{pid}/stat")
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fresh_processes(db: Path, lon: float, lat: float, repeat: int,
                    baseline: Path | None = None, plain: bool = True) -> dict:
    """:func:`fresh_process` ``repeat`` times, alternated (A B B A ...) with ``baseline``
    (another checkout, e.g. the previous release) when given and with :func:`fresh_plain`
    (side ``plain``) unless ``plain`` is false. Every side must answer the same microgrid."""
    sides: dict[str, Path | None] = {"this": ROOT, **({"baseline": baseline} if baseline else {}),
                                     **({"plain": None} if plain else {})}
    areas = plain_areas(db) if plain else None
    out: dict[str, list[dict]] = {side: [] for side in sides}
    order = list(sides)
    for r in range(repeat):
        for side in (order if r % 2 == 0 else order[::-1]):
            root = sides[side]
            out[side].append(fresh_plain(areas, lon, lat) if root is None
                             else fresh_process(db, lon, lat, root))
    leaves = {w["leaf"] for runs in out.values() for w in runs}
    if len(leaves) != 1:
        raise RuntimeError(f"the sides answered different microgrids: {sorted(leaves)}")
    return out


#: random points over the city's bounding box, for wrk
_CITY_LUA = """
math.randomseed(42)
request = function()
  local lon = MINX + math.random() * (MAXX - MINX)
  local lat = MINY + math.random() * (MAXY - MINY)
  return wrk.format("GET", string.format("/locate?lon=%.6f&lat=%.6f&datum=cgcs2000", lon, lat))
end
"""


def workers_throughput(db: Path, bounds, workers=(1, 4), seconds: int = 10,
                       rounds: int = 2, connections: int = 16) -> dict:
    """``GET /locate`` requests/s and p50/p99 on ``uvicorn --workers N`` for each N of
    ``workers``, driven by ``wrk`` in turn (A B B A ...) with random points over
    ``bounds``; {} without wrk. The servers run side by side, so the load is shared."""
    from .bench_http import _ms

    if shutil.which("wrk") is None:
        return {}
    lua = _CITY_LUA
    for key, value in zip(("MINX", "MINY", "MAXX", "MAXY"), bounds):
        lua = lua.replace(key, repr(float(value)))
    script = Path(tempfile.mkdtemp(prefix="bench-city-wrk-")) / "city.lua"
    script.write_text(lua)
    env = dict(os.environ, GEOGRID_DATABASE_URL=f"sqlite:///{db}", PYTHONPATH=str(ROOT))
    procs, ports = {}, {}
    out: dict = {n: [] for n in workers}
    try:
        for n in workers:
            ports[n] = free_port()
            procs[n] = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app", "--port",
                 str(ports[n]), "--workers", str(n), "--log-level", "warning",
                 "--no-access-log"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, start_new_session=True)
        for n in workers:
            _wait_health(f"http://127.0.0.1:{ports[n]}")
        for r in range(rounds):
            for n in (workers if r % 2 == 0 else workers[::-1]):
                res = subprocess.run([shutil.which("wrk"), "-t2", f"-c{connections}",
                                      f"-d{seconds}s", "--latency", "-s", str(script),
                                      f"http://127.0.0.1:{ports[n]}"],
                                     capture_output=True, text=True, timeout=seconds + 60)
                lat = dict(re.findall(r"\s+(50|99)%\s+([\d.]+\w+)", res.stdout))
                out[n].append({"rps": float(re.search(r"Requests/sec:\s+([\d.]+)",
                                                      res.stdout).group(1)),
                               "p50_ms": _ms(lat["50"]), "p99_ms": _ms(lat["99"]),
                               "load": os.getloadavg()[0]})
    finally:
        import signal

        for proc in procs.values():
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)
        shutil.rmtree(script.parent, ignore_errors=True)
    return out


def _wait_health(url: str) -> None:
    import httpx

    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/health", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not start")


def prefork_respawn(db: Path, lon: float, lat: float, repeat: int) -> list[float]:
    """Seconds from killing a worker of ``gunicorn --preload`` (app imported once, in the
    master) to the first 200 on /locate from the worker forked in its place; [] without
    gunicorn."""
    return prefork_respawns(db, lon, lat, repeat, {"this": ROOT}).get("this", [])


def _gunicorn() -> str | None:
    return shutil.which("gunicorn", path=str(Path(sys.executable).parent))


def _prefork_master(db: Path, root: Path) -> tuple[subprocess.Popen, int]:
    """``gunicorn --preload`` with one uvicorn worker over ``db``, running checkout ``root``:
    its app is what ``geogrid serve --workers N`` preloads (``api.serving``) when the
    checkout has it, else ``create_app()``."""
    port = free_port()
    spec = ("api.serving:preloaded_app()" if (root / "api" / "serving.py").exists()
            else "api.app:create_app()")
    env = dict(os.environ, GEOGRID_DATABASE_URL=f"sqlite:///{db}", PYTHONPATH=str(root))
    master = subprocess.Popen(
        [_gunicorn(), "--preload", "-w", "1", "-k", "uvicorn_worker.UvicornWorker",
         "-b", f"127.0.0.1:{port}", "--log-level", "warning", "--no-control-socket", spec],
        env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return master, port


def _respawn_once(client, master: subprocess.Popen, url: str, params: dict) -> float:
    """Kill the master's worker; seconds to the first 200 from its replacement."""
    import signal

    import httpx

    worker = _children(master.pid)
    t0 = time.perf_counter()
    os.kill(worker[0], signal.SIGKILL)
    while True:                       # queued by the master until a worker accepts
        try:
            r = client.get(url, params=params, headers={"Connection": "close"})
            if r.status_code == 200 and _children(master.pid) != worker:
                return time.perf_counter() - t0
        except httpx.HTTPError:
            time.sleep(0.005)


def prefork_respawns(db: Path, lon: float, lat: float, repeat: int,
                     sides: dict[str, Path]) -> dict[str, list[float]]:
    """:func:`prefork_respawn` for each checkout of ``sides``, the masters side by side and
    the kills alternated (A B B A ...); {} without gunicorn."""
    import httpx

    if _gunicorn() is None:
        return {}
    masters = {side: _prefork_master(db, root) for side, root in sides.items()}
    params = {"lon": lon, "lat": lat, "datum": "cgcs2000"}
    out: dict[str, list[float]] = {side: [] for side in sides}
    order = list(sides)
    try:
        with httpx.Client(timeout=120) as client:
            for side, (_, port) in masters.items():
                for _ in range(6000):
                    try:
                        if client.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    time.sleep(0.1)
            for r in range(repeat):
                for side in (order if r % 2 == 0 else order[::-1]):
                    master, port = masters[side]
                    out[side].append(_respawn_once(client, master,
                                                   f"http://127.0.0.1:{port}/locate", params))
    finally:
        for master, _ in masters.values():
            master.terminate()
            master.wait(30)
    return out


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(v) for v in path.read_text().split()] if path.exists() else []


def measure(microgrids: int, work: Path, repeat: int) -> dict:
    city, made = _timed(lambda: synthetic_city(microgrids))
    db = work / f"city{microgrids}.sqlite"
    for stale in (db, Path(f"{db}.locate")):
        shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink(missing_ok=True)
    row = {"microgrids": microgrids, "made_s": made, **build_store(city, db)}
    centre = shapely.centroid(city.geometry.iloc[0])
    lon, lat = centre.x, centre.y
    stored, rebuilt = [], []
    keep = Path(row["locator_dir"])
    aside = keep.with_name(keep.name + ".aside")
    for r in range(repeat):
        for side in (("stored", "rebuilt") if r % 2 == 0 else ("rebuilt", "stored")):
            if side == "rebuilt":
                os.replace(keep, aside)
                try:
                    rebuilt.append(fresh_worker(db, lon, lat))
                finally:
                    shutil.rmtree(keep, ignore_errors=True)   # the one that worker stored
                    os.replace(aside, keep)
            else:
                stored.append(fresh_worker(db, lon, lat))
    row["stored"], row["rebuilt"] = stored, rebuilt
    row["fresh"] = fresh_processes(db, lon, lat, repeat)
    row["uvicorn_first_s"] = [w["first_s"] for w in row["fresh"]["this"]]
    row["prefork_respawn_s"] = prefork_respawn(db, lon, lat, max(3, repeat))
    row["load"] = os.getloadavg()[0]
    return row


def _print(row: dict) -> None:
    med = statistics.median

    def m(side, key):
        return med(w[key] for w in row[side])

    print(f"{row['microgrids']:>6,d} microgrids ({row['areas']}): import {row['import_s']:.1f} s, "
          f"activate {row['activate_s']:.2f} s; locator: read areas {row['read_areas_s']:.1f} s + "
          f"build {row['locator_build_s']:.1f} s + save {row['locator_save_s']:.2f} s, "
          f"{row['locator_mb']:.0f} MB on disk (store {row['db_mb']:.0f} MB)")
    for side, what in (("stored", "locator stored"), ("rebuilt", "no stored locator")):
        print(f"    new worker, {what:17s}: import app {m(side, 'import_s'):.2f} s, start "
              f"{m(side, 'start_s'):.2f} s, first /locate {1000 * m(side, 'first_locate_s'):.1f} ms"
              f" (start + first: {m(side, 'start_s') + m(side, 'first_locate_s'):.2f} s), peak "
              f"{m(side, 'peak_mb'):.0f} MB")
    tiles = ", ".join(f"z{z} {1000 * med(w[f'tile_z{z}']['cold_s'] for w in row['stored']):.0f}"
                      f"/{1000 * med(w[f'tile_z{z}']['warm_s'] for w in row['stored']):.1f} ms"
                      for z in (12, 14, 16))
    respawn = row.get("prefork_respawn_s") or [math.nan]
    plain = [w["first_s"] for w in row.get("fresh", {}).get("plain", [])] or [math.nan]
    print(f"    tiles cold/warm: {tiles}; uvicorn spawn → first 200 on /locate "
          f"{med(row['uvicorn_first_s']):.2f} s (plain FastAPI+STRtree {med(plain):.2f} s, "
          f"alternated); gunicorn --preload worker killed → first 200 "
          f"from its replacement {med(respawn):.2f} s (max {max(respawn):.2f}); "
          f"load {row['load']:.1f}", flush=True)


def measure_fresh(microgrids: int, work: Path, repeat: int, baseline: Path | None,
                  workers: tuple[int, ...]) -> dict:
    """The new-process figures only: :func:`fresh_processes` (and, with ``workers``,
    :func:`workers_throughput`) on the store of this size in ``work``, built if missing."""
    db = work / f"city{microgrids}.sqlite"
    row: dict = {"microgrids": microgrids}
    if not (db.exists() and Path(f"{db}.locate").is_dir()):
        row.update(build_store(synthetic_city(microgrids), db))
    street = shapely.union_all(grid_boxes(microgrids))
    centre = shapely.centroid(street)
    row["fresh"] = fresh_processes(db, centre.x, centre.y, repeat, baseline)
    row["prefork"] = prefork_respawns(db, centre.x, centre.y, repeat,
                                      {"this": ROOT, **({"baseline": baseline} if baseline else {})})
    if workers:
        row["workers"] = workers_throughput(db, street.bounds, workers)
    row["load"] = os.getloadavg()[0]
    return row


def fresh_ratios(fresh: dict) -> list[float]:
    """Per round, the plain endpoint's spawn → first 200 over geogrid's (above 1: geogrid's
    new process answered first); [] without a plain side."""
    return [p["first_s"] / g["first_s"] for g, p in zip(fresh["this"], fresh.get("plain", []))]


def _each(runs: list[dict], key: str, fmt: str = ".2f") -> str:
    return ", ".join(format(r[key], fmt) for r in runs)


def _print_fresh(row: dict) -> None:
    med = statistics.median
    parts = [f"{side}: spawn → first 200 on /locate {med(w['first_s'] for w in runs):.2f} s "
             f"({_each(runs, 'first_s')}), CPU {med(w['cpu_s'] for w in runs):.2f} s (main "
             f"thread {med(w['main_cpu_s'] for w in runs):.2f} s)"
             + (f"; first 200 on /health {med(w['other_route_s'] for w in runs):.2f} s"
                if "other_route_s" in runs[0] else "")
             + f"; load {_each(runs, 'load', '.1f')}" for side, runs in row["fresh"].items()]
    print(f"{row['microgrids']:>6,d} microgrids, new uvicorn process, median of "
          f"{len(next(iter(row['fresh'].values())))}: " + "; ".join(parts), flush=True)
    ratios = fresh_ratios(row["fresh"])
    if ratios:
        print(f"    plain FastAPI+STRtree / geogrid, spawn → first 200: paired ratios "
              f"{', '.join(f'{v:.2f}' for v in ratios)} (median {med(ratios):.2f}×)", flush=True)
    if row.get("prefork"):
        print("    gunicorn --preload worker killed → first 200 on /locate from its replacement, "
              "median of " + "; ".join(f"{side} {med(runs):.2f} s ({', '.join(f'{v:.2f}' for v in runs)})"
                                       for side, runs in row["prefork"].items())
              + f"; load {os.getloadavg()[0]:.1f}", flush=True)
    for n, runs in row.get("workers", {}).items():
        print(f"    /locate on {n} worker(s): {med(r['rps'] for r in runs):.0f} req/s "
              f"({_each(runs, 'rps', '.0f')}), p50 {med(r['p50_ms'] for r in runs):.1f} ms, "
              f"p99 {med(r['p99_ms'] for r in runs):.1f} ms, load {_each(runs, 'load', '.1f')}",
              flush=True)


def main(argv: list[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(prog="python -m benchmarks.locate.bench_city",
                                description=__doc__.split("\n")[0])
    p.add_argument("--microgrids", default="600,6000,60000")
    p.add_argument("--repeat", type=int, default=2, help="fresh workers per side (alternated)")
    p.add_argument("--workdir", default=None, help="where the stores go (kept when given)")
    p.add_argument("--json", default=None, help="also write the rows to this file")
    p.add_argument("--fresh-only", action="store_true",
                   help="only the new-process figures, on the stores in --workdir (built if "
                        "missing)")
    p.add_argument("--baseline-root", default=None,
                   help="another checkout of geogrid whose new process alternates with this one")
    p.add_argument("--workers", default="",
                   help="with --fresh-only: also /locate req/s on uvicorn --workers N, e.g. 1,4")
    p.add_argument("--postgis", action="store_true",
                   help="only import, activation and the locator build on a throwaway PostGIS")
    a = p.parse_args(argv)
    work = Path(a.workdir or tempfile.mkdtemp(prefix="bench-city-"))
    work.mkdir(parents=True, exist_ok=True)
    workers = tuple(int(v) for v in a.workers.split(",") if v)
    baseline = Path(a.baseline_root).resolve() if a.baseline_root else None
    rows = []
    try:
        for n in (int(v) for v in a.microgrids.split(",")):
            if a.postgis:
                rows.append({"microgrids": n, **build_postgis(synthetic_city(n), work)})
                r = rows[-1]
                print(f"{n:>6,d} microgrids on PostGIS: import {r['import_s']:.1f} s, activate "
                      f"{r['activate_s']:.2f} s; locator: read areas {r['read_areas_s']:.1f} s + "
                      f"build {r['locator_build_s']:.1f} s + save {r['locator_save_s']:.2f} s; "
                      f"load {r['load']:.1f}", flush=True)
            elif a.fresh_only:
                rows.append(measure_fresh(n, work, a.repeat, baseline, workers))
                _print_fresh(rows[-1])
            else:
                rows.append(measure(n, work, a.repeat))
                _print(rows[-1])
            if a.json:
                Path(a.json).write_text(json.dumps(rows, indent=1, default=str))
    finally:
        if a.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    return rows


if __name__ == "__main__":
    main()
