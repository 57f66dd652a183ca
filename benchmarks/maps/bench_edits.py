"""Round trip of the editor's edits on the demo street, over HTTP as the page makes them.

One round trip is what a planner waits for after letting go of the mouse: the write
(``POST /plans/{id}/edits``) and the five reads the editor then makes to redraw
(plan, areas, objects, stats, history; made one after another here, so the figure is an
upper bound of the page's parallel reload). The edits:

* **split (METIS)** — the editor's existing split button, the baseline;
* **brush move** — five buildings brushed and moved to a neighbour as one edit;
* **line cut** — a straight line across the largest microgrid (cut along cell edges);
* **boundary drag** — the shared boundary of two neighbours with one point dragged.

Each timed edit is undone (untimed) so every round starts from the same plan. The four
run in a rotating order every round (A B C D, B C D A, …) against one server on a copy of
the demo store (SpatiaLite); reported are the median, p90 and max per edit, and the median
of the per-round ratios to the split baseline.

    python -m benchmarks.maps.bench_edits [--rounds 10]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import shapely

from benchmarks._paired import load_average
from benchmarks._server import ApiServer

__all__ = ["main"]

USER = ("bench-planner", "bench staple horse battery")


def _setup(tmp: Path) -> str:
    from geogrid.services.demo import load_demo
    from geogrid.store import Store
    from geogrid.store.users import create_user

    store = Store.open(f"sqlite:///{tmp / 'demo.sqlite'}")
    load_demo(store)
    create_user(store, USER[0], "planner", password=USER[1])
    store.dispose()
    return f"sqlite:///{tmp / 'demo.sqlite'}"


def _edits(c: httpx.Client, plan_id: int) -> dict[str, dict]:
    """The four edit bodies (without version), found on the demo's partition."""
    stats = c.get(f"/plans/{plan_id}/stats").json()["microgrids"]
    fc = c.get(f"/plans/{plan_id}/areas", params={"level": "microgrid"}).json()["features"]
    geom = {f["id"]: shapely.geometry.shape(f["geometry"]) for f in fc}
    parent = {f["id"]: f["properties"]["parent_id"] for f in fc}
    big = max(stats, key=lambda m: m["objects"])["id"]
    x0, _, x1, _ = geom[big].bounds
    y = geom[big].representative_point().y
    out = {"split (METIS)": {"op": "split", "microgrid": big},
           "line cut": {"op": "cut", "microgrids": [big], "line": [[x0 - 3e-4, y], [x1 + 3e-4, y]]}}
    objs = c.get(f"/plans/{plan_id}/objects").json()["features"]
    for a in sorted(geom, key=lambda m: -geom[m].area):
        for b in sorted(geom):
            shared = geom[a].intersection(geom[b])
            if b == a or parent[b] != parent[a] or shared.length < 1e-6:
                continue
            if "brush move" not in out:
                mine = sorted((o for o in objs if o["properties"]["microgrid"] == a
                               and o["properties"]["type"] == "building"),
                              key=lambda o: shapely.geometry.shape(o["geometry"]).distance(geom[b]))[:5]
                ids = [o["id"] for o in mine]
                if len(ids) == 5 and any(t["ok"] and t["microgrid"] == b for t in c.post(
                        f"/plans/{plan_id}/move-targets", json={"objects": ids}).json()["targets"]):
                    out["brush move"] = {"op": "move_objects", "objects": ids, "to": b}
            if "boundary drag" not in out:
                line = shapely.line_merge(shared)
                if line.geom_type == "LineString" and len(line.coords) >= 3:
                    pts = [list(p) for p in line.coords]
                    k = len(pts) // 2
                    inner = geom[a].representative_point()
                    pts[k] = [pts[k][0] + 0.5 * (inner.x - pts[k][0]), pts[k][1] + 0.5 * (inner.y - pts[k][1])]
                    body = {"op": "cut", "microgrids": [a, b], "line": pts}
                    if _try(c, plan_id, body):
                        out["boundary drag"] = body
            if len(out) == 4:
                return out
    raise RuntimeError(f"only found {sorted(out)}")


def _version(c, plan_id):
    return c.get(f"/plans/{plan_id}").json()["version"]


def _try(c, plan_id, body) -> bool:
    r = c.post(f"/plans/{plan_id}/edits", json={**body, "version": _version(c, plan_id)})
    if r.status_code == 200:
        c.post(f"/plans/{plan_id}/undo", json={"version": _version(c, plan_id)})
    return r.status_code == 200


def _round_trip(c: httpx.Client, plan_id: int, body: dict) -> float:
    v = _version(c, plan_id)
    t = time.perf_counter()
    r = c.post(f"/plans/{plan_id}/edits", json={**body, "version": v})
    r.raise_for_status()
    for path in ("", "/areas", "/objects", "/stats", "/history"):
        c.get(f"/plans/{plan_id}{path}").raise_for_status()
    took = time.perf_counter() - t
    c.post(f"/plans/{plan_id}/undo", json={"version": v + 1}).raise_for_status()
    return took


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=10)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, ApiServer(_setup(Path(tmp))) as srv:
        tok = httpx.post(f"{srv.url}/auth/token", data={"username": USER[0], "password": USER[1]}).json()
        with httpx.Client(base_url=srv.url, timeout=60,
                          headers={"Authorization": f"Bearer {tok['access_token']}"}) as c:
            active = c.get("/plans/active").json()["id"]
            plan_id = c.post(f"/plans/{active}/copy", json={"name": "bench"}).json()["id"]
            edits = _edits(c, plan_id)
            names = list(edits)
            load0 = load_average()
            times: dict[str, list[float]] = {n: [] for n in names}
            for i in range(args.rounds + 1):
                for n in names[i % len(names):] + names[:i % len(names)]:
                    took = _round_trip(c, plan_id, edits[n])
                    if i:   # round 0 warms the caches
                        times[n].append(took)
            load1 = load_average()
    base = times[names[0]]
    rows = {n: {"p50_ms": 1e3 * statistics.median(ts), "p90_ms": 1e3 * sorted(ts)[int(0.9 * (len(ts) - 1))],
                "max_ms": 1e3 * max(ts), "ratio": statistics.median(t / b for t, b in zip(ts, base))}
            for n, ts in times.items()}
    print(f"== editor round trips, demo street, {args.rounds} rounds (load {load0:.1f}-{load1:.1f})")
    print(f"   {'edit':16s} {'p50 ms':>8s} {'p90 ms':>8s} {'max ms':>8s} {'vs split':>9s}")
    for n, r in rows.items():
        print(f"   {n:16s} {r['p50_ms']:8.0f} {r['p90_ms']:8.0f} {r['max_ms']:8.0f} {r['ratio']:8.2f}×")
    return {"rounds": args.rounds, "edits": rows, "load": [load0, load1]}


if __name__ == "__main__":
    main()
