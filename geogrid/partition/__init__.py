"""Microgrid partition: cut a grid or community into microgrids (微网格) that tile it.

Design
------
1. **Cells that tile the parent** (:mod:`.tessellate`). Roads, rivers, rail
   lines and the parent's boundary are noded and polygonised into road
   blocks; compound walls and building footprints split blocks into regions
   without being barriers. Each object gets a seed; each region is shared out
   by the Voronoi diagram of its seeds (a footprint by its building, a
   compound by its own seeds, the rest of a block by all seeds of the block).
   All lines are noded in one arrangement, so cells share edges vertex for
   vertex and any union of cells tiles exactly (no gap, no overlap).
2. **A weighted cell graph** (:mod:`.graph`). Vertex weight: workload
   (households plus per-type weights, :class:`WorkloadWeights`). Edge
   weight: shared boundary length × an affinity that is 1 across walls and
   inside a block, 0.5 across paths, 0.15 across minor streets and 0.01
   across major roads (0.005 rivers/rail), so METIS, minimising the cut,
   draws boundaries along major roads. In business parents the weight is
   further multiplied by ``1 − type_weight × dissimilarity`` of business
   types (:mod:`.business`, 业态相近、楼宇相邻).
3. **Partition** into ``n_microgrids``, or for a target workload ``t`` into
   ⌊W/t⌋ or ⌈W/t⌉ (:mod:`.count`: the rounded count unless only the other
   lets every compound stay within its need): compounds that fit in one
   microgrid are contracted to one vertex; METIS k-way (contiguous,
   seeded) → contiguity repair (detached fragments join the neighbour
   sharing the longest boundary) → balance refinement (Kernighan–Lin
   style boundary moves that strictly lower the sum of squared workloads,
   never disconnecting a microgrid; crossing a major road only when the CV
   is still above its goal) → residential
   *nearest-by-walking* attachment of shops, institutions, plazas and offices
   (multi-source Dijkstra on the cell graph, crossings charged as detours).
4. **Outputs** (:class:`PartitionResult`): microgrids (one polygon each, ids
   in reading order, unit-grid codes when the parent has a 12-digit code),
   object → microgrid assignment, 楼组 (:mod:`.groups`; their areas tile each
   microgrid, :mod:`.group_tiles`), the cells and their
   graph (for :mod:`.edit`), and a JSON report (:mod:`.report`) that lists
   every estimate.

Everything is deterministic: objects are sorted by id, METIS is seeded, ties
are broken by index.
"""

from .business import type_dissimilarity
from .draw import cut_along_line
from .edit import (PlanEditError, diff_assignments, merge_microgrids, move_cells, move_objects,
                   move_options, restore_result, split_microgrid)
from .engine import DEFAULT_TARGET_WORKLOAD, PartitionOptions, PartitionResult, partition
from .files import partition_files, validate_files
from .inputs import BarrierClass, EstimationRules, WorkloadWeights, road_class
from .report import polsby_popper
from .tessellate import Tessellation, tessellate

__all__ = [
    "partition",
    "PartitionOptions",
    "PartitionResult",
    "WorkloadWeights",
    "EstimationRules",
    "DEFAULT_TARGET_WORKLOAD",
    "partition_files",
    "validate_files",
    "move_cells",
    "move_objects",
    "split_microgrid",
    "merge_microgrids",
    "cut_along_line",
    "move_options",
    "diff_assignments",
    "restore_result",
    "PlanEditError",
    "tessellate",
    "Tessellation",
    "BarrierClass",
    "road_class",
    "type_dissimilarity",
    "polsby_popper",
]
