"""Road-network routing for dispatch: build a graph, snap points, find routes.

One concept per module: :mod:`~geogrid.routing.graph` (the graph model),
:mod:`~geogrid.routing.build` (noding builder from unnoded centrelines),
:mod:`~geogrid.routing.osm` (OSM XML reader), :mod:`~geogrid.routing.snap`
with :mod:`~geogrid.routing.snapgrid`, :mod:`~geogrid.routing.search`,
:mod:`~geogrid.routing.team` (a prepared team of responders) and
:mod:`~geogrid.routing.geometry` (route lines).

A :class:`RoadGraph` holds a directed road graph as a SciPy CSR matrix of
edge weights (metres or seconds) plus the geometry of every *segment*, the
road piece between two nodes; see :mod:`~geogrid.routing.graph`.

Two builders produce the same structure:

* :func:`graph_from_lines` takes road centrelines (a GeoDataFrame in
  EPSG:4490) that need not be noded: lines that cross without a shared
  vertex are split at the crossing (unless they are on different levels,
  i.e. a bridge over a road), end points closer than ``snap_tolerance_m``
  are merged, and a dangling end point that stops short of another line by
  less than the tolerance is extended onto it. Every repair is counted in
  :attr:`RoadGraph.notes`.
* :func:`read_osm_xml` reads an OSM XML file of an already noded network
  (such as an OSMnx export) with the standard library's XML parser.

Queries
-------
Points are snapped to the nearest *segment* (or node) in a local metric CRS,
from a grid that lists, per cell, the short straight road pieces that can be
nearest there (:mod:`~geogrid.routing.snapgrid`; exact, with a KD-tree scan
for points off the grid). A route from a snapped point leaves along its segment in the directions the
segment allows, so a point half-way along a one-way street has to drive on
to the next junction.

:func:`shortest_path`, :func:`nearest_responder` and :func:`node_route`
search the graph's customizable contraction hierarchy
(:mod:`~geogrid.routing.hierarchy`, RoutingKit's CCH), built once per graph:
a query climbs the hierarchy from both ends and settles a few hundred nodes
instead of the whole city, so it takes microseconds where SciPy's full
single-source Dijkstra takes milliseconds. A query may start and end at
several nodes with offsets, so a point half-way along a segment and a team
of responders are each one search. ``nearest_responder`` searches from every
available responder at once; a :class:`Responders` prepared when the team
moves saves snapping the team again for each incident, and each position's
snap is kept, so a team in which one responder moved snaps only that one.
The route line is joined from per-edge vertex runs laid out once per graph
(:mod:`~geogrid.routing.geometry`) and kept as ``Route.coords``; the shapely
``Route.geometry`` is made only when asked. Reported costs are
the floating-point sums along the chosen path, equal to SciPy's distances.

A district graph (up to :data:`TABLE_MAX_NODES` nodes) kept for many
queries can have a :class:`RouteTable` (:mod:`~geogrid.routing.table`),
built by :func:`route_table`: SciPy's all-pairs distances and every source's
shortest-path tree as heavy-path chains, with each route's metres and seconds
(one to a few seconds, 24 bytes per node pair). Queries then read the table
instead of searching, with the same routes; its costs are SciPy's distances
bit for bit. A team prepared on such a graph keeps a nearest-responder map
per availability (:meth:`Responders.nearest_map`, a
:class:`~geogrid.routing.table.NearestMap`: for every node, the cheapest
available responder to reach it), so nearest-of-N is a snap, a few float
reads and the route.

When there is no path (different components, or a point farther than
``max_snap_m`` from every road) the result is a straight line with
``Route.fallback = True`` and a ``reason``; it is never passed off as a road
route.

Example
-------
>>> import geopandas as gpd
>>> from shapely.geometry import LineString
>>> roads = gpd.GeoDataFrame(
...     {"oneway": [None, None]},
...     geometry=[LineString([(121.500, 31.230), (121.510, 31.230)]),
...               LineString([(121.505, 31.225), (121.505, 31.235)])],
...     crs="EPSG:4490")
>>> g = graph_from_lines(roads)
>>> g.n_nodes   # the crossing became a node: 4 ends + 1 junction
5
>>> r = shortest_path(g, (121.500, 31.230), (121.505, 31.235))
>>> round(r.distance_m)   # about 476 m east, then 555 m north
1031

Road data © OpenStreetMap contributors (ODbL) where it comes from OSM.
"""

from .build import graph_from_lines
from .graph import (
    ACCESS_SPEED_MPS,
    DEFAULT_SPEEDS_KMH,
    EXCLUDED_KINDS,
    RoadGraph,
    largest_component,
    parse_maxspeed,
    parse_oneway,
    subgraph,
)
from .osm import read_osm_xml
from .hierarchy import Hierarchy, hierarchy
from .search import (
    Responders,
    Route,
    nearest_responder,
    node_nearest_responder,
    node_route,
    rank_responders,
    shortest_path,
)
from .snap import Snap, snap
from .table import TABLE_MAX_NODES, RouteTable, route_table

__all__ = [
    "RoadGraph",
    "Snap",
    "Route",
    "graph_from_lines",
    "read_osm_xml",
    "subgraph",
    "largest_component",
    "snap",
    "shortest_path",
    "nearest_responder",
    "rank_responders",
    "node_route",
    "node_nearest_responder",
    "Responders",
    "Hierarchy",
    "hierarchy",
    "RouteTable",
    "route_table",
    "TABLE_MAX_NODES",
    "parse_oneway",
    "parse_maxspeed",
    "DEFAULT_SPEEDS_KMH",
    "EXCLUDED_KINDS",
    "ACCESS_SPEED_MPS",
]
