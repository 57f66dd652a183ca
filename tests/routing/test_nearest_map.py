"""A team's nearest-responder map answers as a brute force over every responder.

* For every node the map's cheapest available responder entry, and its cost,
  are those of a minimum over all of them, with SciPy's Dijkstra distances
  from each entry node (independent of the route table).
* ``nearest_responder`` reading the map gives the same responder, cost, nodes
  and line as the gather it replaces, ties included (they go to the gather).
* A team whose responder moved is a new team with its own map, equal to the
  brute force over the new positions; the old team's map is unchanged.
* Queries build a map only when the same team and availability are asked
  about a second time.

Graphs: the Huangpu drive network (OSMnx export) and the demo Lujiazui roads,
both © OpenStreetMap contributors (ODbL).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.sparse.csgraph import dijkstra

from geogrid.routing import Responders, nearest_responder, route_table
from geogrid.routing.table import NearestMap
from tests.support.roadgraphs import shipped_graph

GRAPHS: dict = {}


def _graph(name: str):
    if name not in GRAPHS:
        GRAPHS[name] = shipped_graph(name)
        route_table(GRAPHS[name])
    return GRAPHS[name]


@pytest.fixture(scope="module", params=["huangpu", "lujiazui"])
def graph(request):
    return _graph(request.param)


def _team(g, rng, k=50):
    pos = np.column_stack([g.lon[rng.integers(0, g.n_nodes, k)], g.lat[rng.integers(0, g.n_nodes, k)]])
    return pos + rng.normal(0, 1e-4, pos.shape)


def _brute(g, team: Responders, mask: np.ndarray, nodes: np.ndarray):
    """Per node: the least entry cost + SciPy distance over every available responder entry,
    and the set of responders reaching that least cost."""
    use = np.flatnonzero(mask[team.ent_j])
    dist = dijkstra(g.matrix, directed=True, indices=team.ent_node[use])
    total = team.ent_cost[use][:, None] + dist[:, nodes]
    low = total.min(axis=0)
    who = [set(team.ent_j[use][total[:, c] == low[c]].tolist()) for c in range(len(nodes))]
    return low, who


@pytest.mark.parametrize("snap_to", ["edge", "node"])
def test_the_map_is_the_minimum_over_every_responder(graph, snap_to):
    rng = np.random.default_rng(11)
    for _ in range(4):
        team = Responders.prepare(graph, _team(graph, rng), snap_to=snap_to)
        mask = rng.random(len(team)) < 0.7
        mask[0] = True
        m = team.nearest_map(mask)
        assert isinstance(m, NearestMap) and len(m.low) == graph.n_nodes
        nodes = rng.integers(0, graph.n_nodes, 300)
        low, who = _brute(graph, team, mask, nodes)
        got_low = np.array([m.low[t] for t in nodes.tolist()])
        assert np.array_equal(got_low, low)  # the same float sums, bit for bit
        for c, t in enumerate(nodes.tolist()):
            if math.isfinite(low[c]):
                assert int(team.ent_j[m.best[t]]) in who[c]  # an available responder at that cost
                assert m.second[t] >= m.low[t]
        # an unavailable responder is never a node's nearest
        reached = [m.best[t] for t in range(graph.n_nodes) if m.best[t] >= 0 and math.isfinite(m.low[t])]
        assert mask[team.ent_j[reached]].all()


def test_answers_with_the_map_equal_the_gather(graph):
    rng = np.random.default_rng(12)
    used = 0
    for q in range(40):
        pos = _team(graph, rng)
        mask = rng.random(50) < 0.7
        mask[0] = True
        n = int(rng.integers(graph.n_nodes))
        inc = (float(graph.lon[n]) + (1e-4 if q % 2 else 0.0), float(graph.lat[n]))
        snap_to = "edge" if q % 3 else "node"
        mapped = Responders.prepare(graph, pos, snap_to=snap_to, available=mask)
        plain = Responders.prepare(graph, pos, snap_to=snap_to)  # asked once: no map
        (ja, ra), (jb, rb) = nearest_responder(graph, inc, mapped, mask), nearest_responder(graph, inc, plain, mask)
        assert not any(v is not None for v in plain._maps.values())
        assert ja == jb and ra == rb  # responder, metres, seconds, cost, nodes and line, exactly
        used += mapped._maps[mask.tobytes()].pick([(n, 0.0)]) is not None
    assert used >= 30  # the map answered most of them itself


def test_a_tie_is_left_to_the_gather():
    g = _graph("huangpu")
    pos = np.array([[g.lon[5], g.lat[5]], [g.lon[5], g.lat[5]], [g.lon[900], g.lat[900]]])
    team = Responders.prepare(g, pos, snap_to="node")
    m = team.nearest_map()
    assert m.low[5] == m.second[5] == 0.0
    assert m.pick([(5, 0.0)]) is None  # two responders stand on node 5
    j, r = nearest_responder(g, 5, team)
    assert j == 0 and r.cost == 0.0 and r.nodes == (5,)  # the gather's rule: the first of the tied


def test_a_moved_responder_gives_a_new_map(graph):
    rng = np.random.default_rng(13)
    pos = _team(graph, rng)
    mask = np.ones(50, bool)
    old = Responders.for_positions(graph, pos)
    old_map = old.nearest_map(mask)
    before = list(old_map.low)
    moved = pos.copy()
    moved[0] = [graph.lon[7], graph.lat[7]]
    new = Responders.for_positions(graph, moved)
    assert new is not old and not new._maps  # a new team: nothing carried over
    new_map = new.nearest_map(mask)
    nodes = np.arange(graph.n_nodes)
    low, _ = _brute(graph, new, mask, nodes)
    assert np.array_equal(np.array(new_map.low), low)
    assert Responders.for_positions(graph, pos) is old and old.nearest_map(mask).low == before
    assert old_map.low != new_map.low  # node 7 is reached at the moved responder's own cost now
    assert new_map.low[7] <= old_map.low[7] and int(new.ent_j[new_map.best[7]]) == 0


def test_queries_build_a_map_on_the_second_ask():
    g = _graph("lujiazui")
    rng = np.random.default_rng(14)
    pos = _team(g, rng)
    mask = rng.random(50) < 0.5
    mask[0] = True
    inc = (float(g.lon[100]), float(g.lat[100]))
    first = nearest_responder(g, inc, pos, mask)
    team = Responders.for_positions(g, pos)
    assert team._maps[mask.tobytes()] is None  # asked once: the gather answered, no map
    second = nearest_responder(g, inc, pos, mask)
    assert isinstance(team._maps[mask.tobytes()], NearestMap)
    assert first[0] == second[0] and first[1] == second[1]


def test_no_map_without_a_route_table():
    g = shipped_graph("huangpu")  # no table built
    team = Responders.prepare(g, _team(g, np.random.default_rng(15), 5), available=np.ones(5, bool))
    assert team.nearest_map() is None and not team._maps
