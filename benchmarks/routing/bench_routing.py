"""Benchmark: point-to-point routes and nearest responder on a ~20k-node street graph.

Run with ``python -m benchmarks.routing.bench_routing`` (options: ``--help``).

Graphs
------
* ``synthetic``: a perturbed grid of long wiggly streets (about 100 m apart)
  that cross without shared vertices, so building it also exercises the
  noding; a fifth of the streets are one-way.
* ``huangpu``: the OSMnx export of central Huangpu's drive network
  (© OpenStreetMap contributors, ODbL), its largest strongly connected part.

Methods timed in the same run, on the same queries
--------------------------------------------------
route
  ``geogrid`` :func:`geogrid.routing.shortest_path` between node ids, and
  from lon/lat points (snapping and geometry included);
  ``scipy`` one full single-source :func:`scipy.sparse.csgraph.dijkstra`;
  ``networkx`` ``dijkstra_path`` and ``bidirectional_dijkstra``.
nearest responder (50 responders, 70 % available)
  ``geogrid`` :func:`geogrid.routing.nearest_responder` from lon/lat;
  ``scipy`` a full Dijkstra from the incident on the reversed graph, and a
  ``min_only`` multi-source Dijkstra from the responders;
  ``networkx`` ``multi_source_dijkstra`` from the responders to the incident.

Routes are timed twice: "local" (destination within ``radius_m`` of the
origin, as in dispatch) and "city-wide" (any two nodes). Responders are
drawn within 1.5 ``radius_m`` of the incident. Every geogrid cost is checked
against the full scipy Dijkstra.
"""

from __future__ import annotations

import argparse
import gc
import math
import time
from pathlib import Path
from typing import Any, Callable

import geopandas as gpd
import numpy as np
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString

from geogrid.constants import m_per_deg_lat, m_per_deg_lon
from geogrid.routing import (
    RoadGraph,
    graph_from_lines,
    largest_component,
    nearest_responder,
    read_osm_xml,
    shortest_path,
)

__all__ = ["synthetic_roads", "run", "main"]

HUANGPU = Path(__file__).resolve().parents[2] / "data" / "osm" / "huangpu-drive" / "huangpu_drive_osmnx.osm"
LON0, LAT0 = 121.40, 31.15
M_PER_DEG_LAT = m_per_deg_lat(LAT0)
M_PER_DEG_LON = m_per_deg_lon(LAT0)


def synthetic_roads(n_nodes: int = 20_000, *, spacing_m: float = 100.0, oneway_share: float = 0.2,
                    seed: int = 0) -> gpd.GeoDataFrame:
    """A perturbed grid street network with about ``n_nodes`` junctions, in EPSG:4490.

    Each street is one long polyline with a vertex every ``spacing_m`` moved by
    up to 15 m, so streets cross between vertices and must be noded.
    """
    rng = np.random.default_rng(seed)
    k = max(2, int(math.sqrt(n_nodes)))
    extent = spacing_m * (k - 1)
    t = np.linspace(-spacing_m / 2, extent + spacing_m / 2, k + 1)
    geoms, oneway = [], []
    for axis in (0, 1):
        for j in range(k):
            along = t + rng.uniform(-spacing_m / 4, spacing_m / 4, len(t)) * (np.arange(len(t)) % (len(t) - 1) > 0)
            across = j * spacing_m + rng.uniform(-15, 15, len(t))
            x, y = (along, across) if axis == 0 else (across, along)
            geoms.append(LineString(np.column_stack([LON0 + x / M_PER_DEG_LON, LAT0 + y / M_PER_DEG_LAT])))
            r = rng.random()
            oneway.append("yes" if r < oneway_share / 2 else "-1" if r < oneway_share else "no")
    return gpd.GeoDataFrame({"oneway": oneway}, geometry=geoms, crs="EPSG:4490")


def _timeit(fn: Callable[[], Any], repeat: int) -> tuple[np.ndarray, list[Any]]:
    """Per-call wall times in ms (garbage collection paused, as ``timeit`` does)."""
    times, out = [], []
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            t0 = time.perf_counter()
            out.append(fn())
            times.append(time.perf_counter() - t0)
    finally:
        if enabled:
            gc.enable()
    return np.asarray(times) * 1e3, out


def _stats(ms: np.ndarray) -> dict[str, float]:
    return {"p50_ms": float(np.percentile(ms, 50)), "p99_ms": float(np.percentile(ms, 99)),
            "mean_ms": float(ms.mean()), "n": int(len(ms))}


def _pairs(g: RoadGraph, rng: np.random.Generator, count: int, radius_m: float | None):
    """Random node pairs; within ``radius_m`` of each other unless it is ``None``."""
    usable = np.flatnonzero(g.degree > 0)
    src = rng.choice(usable, count)
    if radius_m is None:
        return src, rng.choice(usable, count)
    dst = np.empty(count, np.int64)
    for i, s in enumerate(src):
        d = np.hypot(g.x[usable] - g.x[s], g.y[usable] - g.y[s])
        near = usable[(d < radius_m) & (d > radius_m / 10)]
        dst[i] = rng.choice(near) if len(near) else rng.choice(usable)
    return src, dst


def _bench_graph(name: str, g: RoadGraph, *, queries: int, nx_queries: int, responders: int,
                 radius_m: float, seed: int) -> dict[str, Any]:
    import networkx as nx

    rng = np.random.default_rng(seed)
    G = g.to_networkx()
    res: dict[str, Any] = {"graph": name, "nodes": g.n_nodes, "edges": g.n_edges}
    # warm the lazily built indexes (reverse matrix, KD-tree, STRtree) outside the timings
    shortest_path(g, (float(g.lon[0]), float(g.lat[0])), 0)
    nearest_responder(g, 0, np.column_stack([g.lon[:2], g.lat[:2]]), snap_to="node")
    errs: list[float] = []
    for task, radius in (("route (local)", radius_m), ("route (city-wide)", None)):
        src, dst = _pairs(g, rng, queries, radius)
        it = iter(range(queries))
        ours_ms, ours = _timeit(lambda: (lambda i: shortest_path(g, int(src[i]), int(dst[i])))(next(it)),
                                queries)
        jitter = rng.normal(0, 8, (queries, 2))
        o_ll = [(g.lon[s] + jitter[i, 0] / M_PER_DEG_LON, g.lat[s] + jitter[i, 1] / M_PER_DEG_LAT)
                for i, s in enumerate(src)]
        d_ll = [(g.lon[t], g.lat[t]) for t in dst]
        it = iter(range(queries))
        ll_ms, _ = _timeit(lambda: (lambda i: shortest_path(g, o_ll[i], d_ll[i]))(next(it)), queries)
        it = iter(range(queries))
        sp_ms, sp_out = _timeit(lambda: (lambda i: dijkstra(g.matrix, indices=int(src[i]),
                                                            return_predecessors=True)[0][dst[i]])(next(it)),
                                queries)
        errs += [abs(r.cost - d) for r, d in zip(ours, sp_out) if math.isfinite(d)]
        it = iter(range(nx_queries))
        nx_ms, _ = _timeit(lambda: (lambda i: _nx_path(nx.dijkstra_path, G, src[i], dst[i]))(next(it)),
                           nx_queries)
        it = iter(range(nx_queries))
        nxb_ms, _ = _timeit(lambda: (lambda i: _nx_path(nx.bidirectional_dijkstra, G, src[i], dst[i]))(next(it)),
                            nx_queries)
        res[task] = {"geogrid (node ids)": _stats(ours_ms), "geogrid (lon/lat + snap)": _stats(ll_ms),
                     "scipy full dijkstra": _stats(sp_ms), "networkx dijkstra_path": _stats(nx_ms),
                     "networkx bidirectional": _stats(nxb_ms)}
    res["route_max_cost_error"] = float(max(errs)) if errs else 0.0

    # ---- nearest responder
    usable = np.flatnonzero(g.degree > 0)
    cases = []
    for i in range(queries):
        inc = int(rng.choice(usable))
        d = np.hypot(g.x[usable] - g.x[inc], g.y[usable] - g.y[inc])
        near = usable[d < radius_m * 1.5]
        pool = near if len(near) >= responders else usable
        r_nodes = rng.choice(pool, responders)
        avail = rng.random(responders) < 0.7
        avail[0] = True
        r_ll = np.column_stack([g.lon[r_nodes], g.lat[r_nodes]]) + rng.normal(0, 1e-4, (responders, 2))
        cases.append((inc, r_nodes, avail, r_ll))
    it = iter(cases)
    nr_ms, nr_out = _timeit(lambda: (lambda c: nearest_responder(g, (g.lon[c[0]], g.lat[c[0]]), c[3], c[2]))(next(it)),
                            queries)
    it = iter(cases)
    nrn_ms, _ = _timeit(lambda: (lambda c: _ours_nodes(g, c))(next(it)), queries)
    it = iter(cases)
    rev_ms, _ = _timeit(lambda: (lambda c: int(np.argmin(
        dijkstra(g.reverse, indices=c[0])[c[1][c[2]]])))(next(it)), queries)
    it = iter(cases)
    mo_ms, _ = _timeit(lambda: (lambda c: dijkstra(g.matrix, indices=c[1][c[2]], min_only=True,
                                                   return_predecessors=True)[0][c[0]])(next(it)), queries)
    it = iter(cases[:nx_queries])
    nxm_ms, _ = _timeit(lambda: (lambda c: _nx_multi(nx, G, c))(next(it)), nx_queries)
    # exactness of the node-based variant against a full reversed Dijkstra
    errs = []
    for c in cases[: min(queries, 50)]:
        full = dijkstra(g.reverse, indices=c[0])[c[1][c[2]]]
        _, r = nearest_responder(g, int(c[0]), np.column_stack([g.lon[c[1]], g.lat[c[1]]]), c[2],
                                 snap_to="node")
        if math.isfinite(full.min()):
            errs.append(abs(r.cost - full.min()))
    res["nearest responder"] = {"geogrid (lon/lat + snap)": _stats(nr_ms), "geogrid (node snap)": _stats(nrn_ms),
                      "scipy full reverse dijkstra": _stats(rev_ms),
                      "scipy multi-source min_only": _stats(mo_ms),
                      "networkx multi_source_dijkstra": _stats(nxm_ms)}
    res["nearest_max_cost_error"] = float(max(errs)) if errs else 0.0
    res["nearest_fallbacks"] = int(sum(r.fallback for _, r in nr_out))
    return res


def _ours_nodes(g: RoadGraph, c) -> Any:
    inc, r_nodes, avail, _ = c
    return nearest_responder(g, int(inc), np.column_stack([g.lon[r_nodes], g.lat[r_nodes]]), avail,
                             snap_to="node")


def _nx_path(fn, G, s, t):
    try:
        return fn(G, int(s), int(t), weight="weight")
    except Exception:  # noqa: BLE001 - networkx raises NetworkXNoPath
        return None


def _nx_multi(nx, G, c):
    inc, r_nodes, avail, _ = c
    try:
        return nx.multi_source_dijkstra(G, {int(v) for v in r_nodes[avail]}, target=int(inc),
                                        weight="weight")
    except nx.NetworkXNoPath:
        return None


def run(n_nodes: int = 20_000, *, queries: int = 200, nx_queries: int = 50, responders: int = 50,
        radius_m: float = 2_000.0, seed: int = 0, huangpu: bool = True) -> dict[str, Any]:
    """Build the graphs, time every method and return the results as a dict."""
    out: dict[str, Any] = {"params": {"n_nodes": n_nodes, "queries": queries, "nx_queries": nx_queries,
                                      "responders": responders, "radius_m": radius_m, "seed": seed},
                           "graphs": []}
    roads = synthetic_roads(n_nodes, seed=seed)
    t0 = time.perf_counter()
    g = largest_component(graph_from_lines(roads))
    build_s = time.perf_counter() - t0
    r = _bench_graph("synthetic", g, queries=queries, nx_queries=nx_queries, responders=responders,
                     radius_m=radius_m, seed=seed)
    r["build_s"] = build_s
    r["lines"] = len(roads)
    out["graphs"].append(r)
    if huangpu and HUANGPU.exists():
        t0 = time.perf_counter()
        h = largest_component(read_osm_xml(HUANGPU))
        build_s = time.perf_counter() - t0
        r = _bench_graph("huangpu", h, queries=queries, nx_queries=nx_queries, responders=responders,
                         radius_m=radius_m, seed=seed)
        r["build_s"] = build_s
        out["graphs"].append(r)
    return out


def _table(results: dict[str, Any]) -> str:
    lines = []
    for r in results["graphs"]:
        extra = f", {r['lines']} unnoded lines" if "lines" in r else ""
        lines.append(f"\n== {r['graph']}: {r['nodes']} nodes, {r['edges']} edges{extra}; "
                     f"build {r['build_s']:.2f} s")
        for task in ("route (local)", "route (city-wide)", "nearest responder"):
            rows = r[task]
            ours = next(iter(rows.values()))["p50_ms"]
            lines.append(f"-- {task}")
            lines.append(f"   {'method':34s} {'p50 ms':>9s} {'p99 ms':>9s} {'n':>5s} {'p50 / geogrid':>14s}")
            for name, s in rows.items():
                lines.append(f"   {name:34s} {s['p50_ms']:9.3f} {s['p99_ms']:9.3f} {s['n']:5d} "
                             f"{s['p50_ms'] / ours:13.1f}x")
        lines.append(f"   max |cost - scipy| route {r['route_max_cost_error']:.2e}, "
                     f"nearest {r['nearest_max_cost_error']:.2e}; nearest fallbacks {r['nearest_fallbacks']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(prog="python -m benchmarks.routing.bench_routing", description=__doc__.split("\n")[0])
    p.add_argument("--nodes", type=int, default=20_000)
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--nx-queries", type=int, default=50)
    p.add_argument("--responders", type=int, default=50)
    p.add_argument("--radius", type=float, default=2_000.0, help="local query radius in metres")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-huangpu", action="store_true")
    a = p.parse_args(argv)
    res = run(a.nodes, queries=a.queries, nx_queries=a.nx_queries, responders=a.responders,
              radius_m=a.radius, seed=a.seed, huangpu=not a.no_huangpu)
    print(_table(res))
    return res


if __name__ == "__main__":
    main()
