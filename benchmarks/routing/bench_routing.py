"""Benchmark: routes and nearest responder against SciPy's full Dijkstra, paired, on every shipped graph.

Run with ``python -m benchmarks.routing.bench_routing`` (options: ``--help``).

Graphs
------
* ``lujiazui``: the demo roads ``data/boundaries/lujiazui_roads.geojson``
  (© OpenStreetMap contributors, ODbL) through the noding builder, largest
  strongly connected part.
* ``huangpu``: the OSMnx export of central Huangpu's drive network
  (© OpenStreetMap contributors, ODbL), largest strongly connected part.
* ``synthetic``: a perturbed grid of long wiggly streets about 100 m apart
  that cross without shared vertices (so building it exercises the noding);
  a fifth of the streets are one-way; about 20,000 junctions.

Comparisons (A = geogrid, B = SciPy; every pair alternates A B / B A per query)
------------------------------------------------------------------------------
* route, node to node: :func:`geogrid.routing.node_route` (cost and node
  path) against one full single-source :func:`scipy.sparse.csgraph.dijkstra`
  with predecessors, reading the target's distance. Local pairs (within
  ``--radius`` metres, as in dispatch) and city-wide pairs (any two nodes).
* route from lon/lat: :func:`geogrid.routing.shortest_path` with snapping and
  the route geometry, against the same full Dijkstra; and against the same
  job with SciPy as the search (the same snapping and geometry code, a full
  Dijkstra with predecessors from each way out of the origin).
* nearest of 50: :func:`geogrid.routing.node_nearest_responder` (incident
  node, a team prepared once with :class:`geogrid.routing.Responders`, as
  when it is refreshed on each GPS update, with its nearest-responder map for
  its availability where the graph has a route table (both built outside the
  timings, their costs printed); responders on nodes, 70 % available) against a full Dijkstra from the incident on the reversed graph
  and an argmin over the available responders; then the full
  :func:`geogrid.routing.nearest_responder` from the incident's lon/lat with
  the route geometry, with the team prepared (also against the same job with
  SciPy as the search: a full reverse Dijkstra from each way into the
  incident, the cheapest available responder entry, its path and geometry),
  with 50 raw lon/lat never seen before (GPS fixes a few metres off the
  road) snapped on every query, and with the same teams after one
  responder moved (the other 49 snaps are kept by position), the last also
  against the same call with SciPy as the search (each side snapping its own
  newly moved responder).

Graphs of up to :data:`geogrid.routing.TABLE_MAX_NODES` nodes have their
route table (:mod:`geogrid.routing.table`) built before the timed rows, as
the responder service builds it with its graph, and answer from it; larger
ones from the contraction hierarchy; the header of each graph gives both
build costs. The whole-process runs time a child that routes without the
table (what a short script gets) and, where a table applies, one that
builds it first.
Rows against "scipy full dijkstra" are the strict ones (the whole geogrid
call against SciPy's bare search); rows against "same call, scipy search"
compare like with like.

Every geogrid answer is checked against SciPy's distances in the same run
(``mismatches`` counts costs that differ by more than 1e-9 relative).
Whole-process figures run a child that loads the graph, builds what it
needs and answers ``--process-queries`` routes, alternated with a child
doing the same with SciPy, with each child's peak memory.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString

from geogrid.constants import m_per_deg_lat, m_per_deg_lon
from geogrid.routing import (
    Responders,
    RoadGraph,
    graph_from_lines,
    hierarchy,
    largest_component,
    nearest_responder,
    node_nearest_responder,
    node_route,
    read_osm_xml,
    route_table,
    shortest_path,
)
from geogrid.routing.search import _build_route, _in_entries, _out_entries
from geogrid.routing.snap import _anchors

from .._paired import Paired, format_table, load_average, paired, python_argv, rss_mb, whole_process

__all__ = ["synthetic_roads", "load_graph", "run", "main", "GRAPHS"]

ROOT = Path(__file__).resolve().parents[2]
HUANGPU = ROOT / "data" / "osm" / "huangpu-drive" / "huangpu_drive_osmnx.osm"
DEMO_ROADS = ROOT / "data" / "boundaries" / "lujiazui_roads.geojson"
GRAPHS = ("lujiazui", "huangpu", "synthetic")
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


def load_graph(name: str, n_nodes: int = 20_000, seed: int = 0) -> RoadGraph:
    """One of :data:`GRAPHS`, reduced to its largest strongly connected part."""
    if name == "lujiazui":
        return largest_component(graph_from_lines(gpd.read_file(DEMO_ROADS).to_crs("EPSG:4490")))
    if name == "huangpu":
        return largest_component(read_osm_xml(HUANGPU))
    if name == "synthetic":
        return largest_component(graph_from_lines(synthetic_roads(n_nodes, seed=seed)))
    raise SystemExit(f"unknown graph {name!r}; choose from {', '.join(GRAPHS)}")


def _pairs(g: RoadGraph, rng: np.random.Generator, count: int, radius_m: float | None):
    """Random node pairs; within ``radius_m`` of each other unless it is ``None``."""
    src = rng.integers(0, g.n_nodes, count)
    if radius_m is None:
        return src, rng.integers(0, g.n_nodes, count)
    dst = np.empty(count, np.int64)
    for i, s in enumerate(src):
        d = np.hypot(g.x - g.x[s], g.y - g.y[s])
        near = np.flatnonzero((d < radius_m) & (d > radius_m / 10))
        dst[i] = rng.choice(near) if len(near) else rng.integers(0, g.n_nodes)
    return src, dst


def _mismatches(ours: list[float], theirs: list[float]) -> int:
    return int(sum(not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) and not (math.isinf(a) and math.isinf(b))
                   for a, b in zip(ours, theirs)))


def _scipy_to(g: RoadGraph, s: int, t: int) -> float:
    dist, _ = dijkstra(g.matrix, directed=True, indices=s, return_predecessors=True)
    return float(dist[t])


def _scipy_path(pred: np.ndarray, target: int) -> list[int]:
    """Nodes from the Dijkstra source to ``target`` read off SciPy's predecessor array."""
    nodes = [target]
    while pred[nodes[-1]] >= 0:
        nodes.append(int(pred[nodes[-1]]))
    return nodes[::-1]


def _scipy_route(g: RoadGraph, o_ll, d_ll):
    """The whole lon/lat route with SciPy as the search: the same snapping and geometry as
    :func:`geogrid.routing.shortest_path`, a full Dijkstra from each way out of the origin."""
    o, d = _anchors(g, (o_ll, d_ll), ("origin", "dest"), "edge", 500.0)
    outs, ins = _out_entries(g, o), _in_entries(g, d)
    dist, pred = dijkstra(g.matrix, directed=True, indices=[e[0] for e in outs], return_predecessors=True)
    cost, i, oe, de = min((oe[1] + dist[i, de[0]] + de[1], i, oe, de)
                          for i, oe in enumerate(outs) for de in ins)
    nodes = _scipy_path(pred[i], de[0])
    arcs = g.edge_position(nodes[:-1], nodes[1:]).tolist()
    return _build_route(g, o, d, (nodes, arcs), oe, de, cost + o.access_m + d.access_m)


def _scipy_nearest(g: RoadGraph, inc_ll, team: Responders, available):
    """The whole nearest-responder call with SciPy as the search: the incident snapped as
    geogrid snaps it, a full Dijkstra on the reversed graph from each way into it, the
    cheapest available responder entry, its path and geometry."""
    inc, = _anchors(g, (inc_ll,), ("incident",), "edge", 500.0)
    ins = _in_entries(g, inc)
    dist, pred = dijkstra(g.reverse, directed=True, indices=[e[0] for e in ins], return_predecessors=True)
    node, cost, _, j = team.sources(np.asarray(available, bool))
    total = dist[:, node] + cost[None, :] + np.array([e[1] for e in ins])[:, None]
    i, k = np.unravel_index(int(np.argmin(total)), total.shape)
    nodes = _scipy_path(pred[i], int(node[k]))[::-1]  # responder → incident
    arcs = g.edge_position(nodes[:-1], nodes[1:]).tolist()
    a = team.anchor(int(j[k]))
    o_entry = next(e for e in _out_entries(g, a) if e[0] == nodes[0])
    return int(j[k]), _build_route(g, a, inc, (nodes, arcs), o_entry, ins[i], float(total[i, k]))


def _route_pairs(g: RoadGraph, rng, queries: int, radius_m: float) -> list[Paired]:
    out = []
    for label, radius in (("route node→node, local", radius_m), ("route node→node, city-wide", None)):
        src, dst = _pairs(g, rng, queries, radius)
        ours, theirs = [0.0] * queries, [0.0] * queries

        def a(i):
            ours[i] = node_route(g, int(src[i]), int(dst[i]))[0]

        def b(i):
            theirs[i] = _scipy_to(g, int(src[i]), int(dst[i]))

        res = paired("geogrid node_route", a, "scipy full dijkstra", b, rounds=queries, label=label)
        res.extra["mismatches"] = _mismatches(ours, theirs)
        out.append(res)
    src, dst = _pairs(g, rng, queries, radius_m)
    jitter = rng.normal(0, 8, (queries, 2))
    o_ll = [(g.lon[s] + jitter[i, 0] / M_PER_DEG_LON, g.lat[s] + jitter[i, 1] / M_PER_DEG_LAT)
            for i, s in enumerate(src)]
    d_ll = [(float(g.lon[t]), float(g.lat[t])) for t in dst]
    out.append(paired("geogrid shortest_path", lambda i: shortest_path(g, o_ll[i], d_ll[i]),
                      "scipy full dijkstra", lambda i: _scipy_to(g, int(src[i]), int(dst[i])),
                      rounds=queries, label="route lon/lat + snap + geometry"))
    ours, theirs = [0.0] * queries, [0.0] * queries

    def a(i):
        ours[i] = shortest_path(g, o_ll[i], d_ll[i]).cost

    def b(i):
        theirs[i] = _scipy_route(g, o_ll[i], d_ll[i]).cost

    same = paired("geogrid shortest_path", a, "same call, scipy search", b, rounds=queries,
                  label="route lon/lat, same job")
    same.extra["mismatches"] = _mismatches(ours, theirs)
    out.append(same)
    return out


def _nearest_cases(g: RoadGraph, rng, queries: int, responders: int, radius_m: float):
    cases = []
    for _ in range(queries):
        inc = int(rng.integers(g.n_nodes))
        d = np.hypot(g.x - g.x[inc], g.y - g.y[inc])
        near = np.flatnonzero(d < radius_m * 1.5)
        pool = near if len(near) >= responders else np.arange(g.n_nodes)
        nodes = rng.choice(pool, responders, replace=False)
        avail = rng.random(responders) < 0.7
        avail[0] = True
        pts = np.column_stack([g.lon[nodes], g.lat[nodes]])
        cases.append((inc, nodes, avail, pts))
    return cases


def _nearest_pairs(g: RoadGraph, rng, queries: int, responders: int, radius_m: float) -> list[Paired]:
    cases = _nearest_cases(g, rng, queries, responders, radius_m)
    t0 = time.perf_counter()
    teams = [Responders.prepare(g, c[3], snap_to="node") for c in cases]
    prepare_ms = (time.perf_counter() - t0) / queries * 1e3
    # each team's nearest-responder map for its availability, as prepared on a GPS or status update
    t0 = time.perf_counter()
    maps = [t.nearest_map(c[2]) for t, c in zip(teams, cases)]
    map_ms = (time.perf_counter() - t0) / queries * 1e3
    ours, theirs = [0.0] * queries, [0.0] * queries

    def a(i):
        ours[i] = node_nearest_responder(g, int(cases[i][0]), teams[i], cases[i][2])[1]

    def b(i):
        inc, nodes, avail, _ = cases[i]
        dist = dijkstra(g.reverse, directed=True, indices=inc)
        theirs[i] = float(dist[nodes[avail]].min())

    label = f"nearest of {responders}"
    bare = paired("geogrid node_nearest_responder", a, "scipy full reverse dijkstra", b, rounds=queries,
                  label=f"{label}, node, team prepared")
    bare.extra["mismatches"] = int(sum(not math.isclose(x, y, abs_tol=1e-6) for x, y in zip(ours, theirs)))
    bare.extra["prepare_ms"] = prepare_ms
    bare.extra["map_ms"] = map_ms if maps[0] is not None else None
    bare.extra["map_kib"] = maps[0].nbytes / 1024 if maps[0] is not None else None
    inc_ll = [(float(g.lon[c[0]]), float(g.lat[c[0]])) for c in cases]
    team = paired("geogrid nearest_responder", lambda i: nearest_responder(g, inc_ll[i], teams[i], cases[i][2]),
                  "scipy full reverse dijkstra", b, rounds=queries,
                  label=f"{label}, lon/lat + geometry, team prepared")
    got: dict[str, list] = {"ours": [0.0] * queries, "theirs": [0.0] * queries}

    def ours_call(i):
        j, r = nearest_responder(g, inc_ll[i], teams[i], cases[i][2])
        got["ours"][i] = r.cost

    def scipy_call(i):
        j, r = _scipy_nearest(g, inc_ll[i], teams[i], cases[i][2])
        got["theirs"][i] = r.cost

    same = paired("geogrid nearest_responder", ours_call, "same call, scipy search", scipy_call,
                  rounds=queries, label=f"{label}, lon/lat, same job")
    same.extra["mismatches"] = int(sum(not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-6)
                                       for x, y in zip(got["ours"], got["theirs"])))
    # positions as GPS fixes: a few metres off the road and never seen before, so all 50 are snapped
    fixes = [_gps(rng, c[3]) for c in cases]
    raw = paired("geogrid nearest_responder",
                 lambda i: nearest_responder(g, inc_ll[i], fixes[i], cases[i][2]),
                 "scipy full reverse dijkstra", b, rounds=queries, warmup=0,  # each team new: snapped
                 label=f"{label}, lon/lat + geometry, team snapped per query")
    # the same teams again after one responder moved: only that one is snapped again
    moved = [np.vstack([_gps(rng, f[:1]), f[1:]]) for f in fixes]
    one = paired("geogrid nearest_responder",
                 lambda i: nearest_responder(g, inc_ll[i], moved[i], cases[i][2]),
                 "scipy full reverse dijkstra", b, rounds=queries, warmup=0,
                 label=f"{label}, lon/lat + geometry, one responder moved")
    # and as the same job on both sides: each side gets its own newly moved responder to snap
    moved_a = [np.vstack([_gps(rng, f[:1]), f[1:]]) for f in fixes]
    moved_b = [np.vstack([_gps(rng, f[:1]), f[1:]]) for f in fixes]
    got = {"ours": [0.0] * queries, "theirs": [0.0] * queries}

    def ours_moved(i):
        got["ours"][i] = nearest_responder(g, inc_ll[i], moved_a[i], cases[i][2])[1].cost

    def scipy_moved(i):
        team_b = Responders.for_positions(g, moved_b[i])
        got["theirs"][i] = _scipy_nearest(g, inc_ll[i], team_b, cases[i][2])[1].cost

    one_same = paired("geogrid nearest_responder", ours_moved, "same call, scipy search", scipy_moved,
                      rounds=queries, warmup=0, label=f"{label}, lon/lat, one moved, same job")
    # the two moved positions differ by a few metres: the costs agree to within them
    one_same.extra["cost_ratio_p50"] = float(np.median(np.asarray(got["ours"]) / np.asarray(got["theirs"])))
    if maps[0] is not None:
        bare.extra["refresh_ms"] = _refresh_ms(g, cases)
    return [bare, team, same, raw, one, one_same]


def _refresh_ms(g: RoadGraph, cases) -> float:
    """Milliseconds to refresh a prepared team after one responder moved: its snap (the other
    49 kept) and its new nearest-responder map, per team."""
    step = np.random.default_rng(len(cases))  # its own positions: the timed rows keep theirs
    again = [np.vstack([_gps(step, c[3][:1]), c[3][1:]]) for c in cases]
    t0 = time.perf_counter()
    for c, pts in zip(cases, again):
        Responders.for_positions(g, pts, snap_to="node").nearest_map(c[2])
    return (time.perf_counter() - t0) / len(cases) * 1e3


def _gps(rng, lonlat: np.ndarray, metres: float = 5.0) -> np.ndarray:
    """``lonlat`` moved by a random GPS error of about ``metres`` (new positions every call)."""
    err = rng.normal(0, metres, lonlat.shape)
    return lonlat + err / np.array([M_PER_DEG_LON, M_PER_DEG_LAT])


def bench_graph(name: str, *, queries: int, responders: int, radius_m: float, n_nodes: int,
                seed: int) -> dict[str, Any]:
    """Build one graph and its hierarchy, then run every paired comparison on it."""
    t0 = time.perf_counter()
    g = load_graph(name, n_nodes, seed)
    build_s = time.perf_counter() - t0
    rss0 = rss_mb()
    t0 = time.perf_counter()
    hierarchy(g)
    index_s = time.perf_counter() - t0
    index_mb = rss_mb() - rss0
    rss0 = rss_mb()
    t0 = time.perf_counter()
    tab = route_table(g)
    table_s = time.perf_counter() - t0
    table_mb = rss_mb() - rss0
    g.reverse  # noqa: B018 - built outside the timings, as the scipy baseline needs it
    rng = np.random.default_rng(seed)
    rows = _route_pairs(g, rng, queries, radius_m) + _nearest_pairs(g, rng, queries, responders, radius_m)
    return {"graph": name, "nodes": g.n_nodes, "edges": g.n_edges, "build_s": build_s,
            "index_s": index_s, "index_rss_mb": index_mb, "table_s": table_s if tab is not None else None,
            "table_mb": tab.nbytes / 2**20 if tab is not None else None, "table_rss_mb": table_mb,
            "rows": rows, "load": load_average()}


def _process(name: str, method: str, queries: int, n_nodes: int, seed: int) -> None:
    """Child process body: load ``name``, answer ``queries`` node routes with ``method``."""
    g = load_graph(name, n_nodes, seed)
    if method == "geogrid-table":
        route_table(g)
    src, dst = _pairs(g, np.random.default_rng(seed), queries, None)
    total = 0.0
    for s, t in zip(src.tolist(), dst.tolist()):
        total += _scipy_to(g, s, t) if method == "scipy" else node_route(g, s, t)[0]
    print(json.dumps({"total": total}))


def run(graphs=GRAPHS, *, queries: int = 200, responders: int = 50, radius_m: float = 2_000.0,
        n_nodes: int = 20_000, seed: int = 0, process_queries: int = 200,
        process_rounds: int = 3) -> dict[str, Any]:
    """Every graph's paired tables, plus whole-process runs; results as a dict."""
    out: dict[str, Any] = {"params": {"queries": queries, "responders": responders, "radius_m": radius_m,
                                      "n_nodes": n_nodes, "seed": seed}, "graphs": []}
    for name in graphs:
        r = bench_graph(name, queries=queries, responders=responders, radius_m=radius_m,
                        n_nodes=n_nodes, seed=seed)
        if process_rounds:
            base = ["-m", "benchmarks.routing.bench_routing", "--process", name, "--nodes", str(n_nodes),
                    "--seed", str(seed), "--process-queries", str(process_queries)]
            r["process"] = whole_process(
                "geogrid", python_argv(*base, "--method", "geogrid"), "scipy",
                python_argv(*base, "--method", "scipy"), rounds=process_rounds, cwd=str(ROOT),
                label=f"whole process, {process_queries} routes")
            if r["table_s"] is not None:  # and a process that builds the route table first
                r["process_table"] = whole_process(
                    "geogrid + route table", python_argv(*base, "--method", "geogrid-table"), "scipy",
                    python_argv(*base, "--method", "scipy"), rounds=process_rounds, cwd=str(ROOT),
                    label=f"whole process with route table, {process_queries} routes")
        out["graphs"].append(r)
    return out


def table(results: dict[str, Any]) -> str:
    """Every graph's paired table, whole-process line and exactness."""
    parts = []
    for r in results["graphs"]:
        tab = ("no route table (above its size limit)" if r["table_s"] is None else
               f"route table {r['table_s']:.2f} s, {r['table_mb']:.1f} MiB (+{r['table_rss_mb']:.0f} MiB RSS)")
        title = (f"{r['graph']}: {r['nodes']:,} nodes, {r['edges']:,} edges; graph {r['build_s']:.2f} s, "
                 f"hierarchy {r['index_s'] * 1e3:.0f} ms (+{r['index_rss_mb']:.0f} MiB RSS); {tab}")
        parts.append(format_table(title, r["rows"]))
        procs = [r[k] for k in ("process", "process_table") if k in r]
        if procs:
            parts.append(format_table("  whole process (s)", procs, unit="s"))
        miss = {row.label: row.extra["mismatches"] for row in r["rows"] if "mismatches" in row.extra}
        prep = next(row.extra for row in r["rows"] if "prepare_ms" in row.extra)
        nmap = ("no nearest-responder map (no route table)" if prep["map_ms"] is None else
                f"its nearest-responder map {prep['map_ms']:.2f} ms, {prep['map_kib']:.0f} KiB; "
                f"after one responder moved, snap and new map {prep['refresh_ms']:.2f} ms")
        parts.append(f"   answers that differ from scipy: {miss}; preparing a team of 50: "
                     f"{prep['prepare_ms']:.2f} ms, {nmap}")
        share = "; ".join(f"{row.label}: {1 / row.ratio:.2f} {'(at most half)' if row.ratio >= 2 else '(MORE than half)'}"
                          for row in r["rows"] if row.name_b.startswith("scipy full"))
        parts.append(f"   time as a share of scipy's full Dijkstra (median of paired): {share}")
        same = "; ".join(f"{row.label}: {row.ratio:.2f}× {'(meets 2×)' if row.ratio >= 2 else '(below 2×)'}"
                         for row in r["rows"] if row.name_b.startswith("same call"))
        parts.append(f"   against the same call built on scipy (median of paired): {same}; "
                     f"load average at the end {r['load']:.1f}")
    return "\n".join(parts)


def _speed(p: Paired, iqr: bool = True) -> str:
    """A paired result as words, IQR in the same direction: "3.2× faster (IQR 2.9-3.6)" (快 / 慢)."""
    q1, q3 = p.iqr
    if p.ratio >= 1:
        text, lo, hi = f"{p.ratio:.1f}× faster (快)", q1, q3
    else:
        text, lo, hi = f"{1 / p.ratio:.1f}× slower (慢)", 1 / q3, 1 / q1
    return f"{text}, IQR {lo:.2f}-{hi:.2f}" if iqr else text


def summary_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(benchmark, geogrid, baseline, ratio) rows for the ``make bench`` summary."""
    rows = []
    for r in results["graphs"]:
        for p in r["rows"]:
            rows.append((f"{p.label}, {r['graph']} {r['nodes']:,} nodes",
                         f"{np.median(p.a) * 1e3:.3f} ms", f"{p.name_b} {np.median(p.b) * 1e3:.3f} ms",
                         f"{_speed(p)}, paired, load {p.load_before:.1f}"))
        for p in (r[k] for k in ("process", "process_table") if k in r):
            rows.append((f"{p.label}, {r['graph']}",
                         f"{np.median(p.a):.2f} s, {p.extra['a_peak_mb']:.0f} MiB",
                         f"scipy {np.median(p.b):.2f} s, {p.extra['b_peak_mb']:.0f} MiB",
                         f"{_speed(p, iqr=False)}, {len(p.a)} rounds alternated, load {p.load_before:.1f}"))
    return rows


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(prog="python -m benchmarks.routing.bench_routing",
                                description=__doc__.split("\n")[0])
    p.add_argument("--graphs", default=",".join(GRAPHS), help="comma-separated: " + ", ".join(GRAPHS))
    p.add_argument("--nodes", type=int, default=20_000, help="junctions of the synthetic graph")
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--responders", type=int, default=50)
    p.add_argument("--radius", type=float, default=2_000.0, help="local query radius in metres")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--process-queries", type=int, default=200)
    p.add_argument("--process-rounds", type=int, default=3, help="0 skips the whole-process runs")
    p.add_argument("--process", help=argparse.SUPPRESS)
    p.add_argument("--method", default="geogrid", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.process:
        _process(a.process, a.method, a.process_queries, a.nodes, a.seed)
        return {}
    res = run([x for x in a.graphs.split(",") if x], queries=a.queries, responders=a.responders,
              radius_m=a.radius, n_nodes=a.nodes, seed=a.seed, process_queries=a.process_queries,
              process_rounds=a.process_rounds)
    print(table(res))
    return res


if __name__ == "__main__":
    main()
