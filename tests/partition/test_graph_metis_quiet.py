"""METIS's console messages stay off the console; its answers do not change.

METIS (C, through pymetis) prints ``***Cannot bisect a graph with 0 vertices!``
to file descriptor 1 when asked, with contiguity on, for about as many parts as
its coarsened graph has vertices. The 滨江住区 community of the Lujiazui demo
(OSM data © OpenStreetMap contributors, ODbL 1.0) at its demo quota does that
32 times. The subprocess tests run the same partition with the raw pymetis
call and with :mod:`geogrid.partition._metis`, so they show both that the
input triggers the messages and that the quiet call answers the same.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from geogrid.partition._metis import quiet_stdout
from geogrid.partition.graph import ensure_parts, is_contiguous, metis_partition

from test_partition_graph import lattice

ROOT = Path(__file__).resolve().parents[2]

_PARTITION = textwrap.dedent("""
    import hashlib, sys
    import pymetis
    from geogrid.partition import _metis
    if sys.argv[1] == "raw":
        _metis.part_graph = pymetis.part_graph
    from geogrid.services.demo import demo_communities, demo_frames
    from geogrid.partition import partition
    frames = demo_frames(None)
    com = demo_communities(frames)
    row = com[com["name"] == "滨江住区居民区"]
    geom = row.geometry.iloc[0]
    objs, roads = frames["objects"], frames["roads"]
    res = partition(row, objs[objs.intersects(geom)], roads[roads.intersects(geom.buffer(0.001))],
                    n_microgrids=int(row["n_microgrids"].iloc[0]))
    digest = hashlib.sha1(res.assignment.sort_index().to_json().encode()
                          + res.microgrids.geometry.to_wkb().sum()).hexdigest()
    print("RESULT", len(res.microgrids), digest, flush=True)
""")


def _run(code: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=300)


def _metis_lines(proc: subprocess.CompletedProcess) -> list[str]:
    return [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip().startswith("***")]


@pytest.mark.skipif(not (ROOT / "data" / "boundaries" / "lujiazui_grids.geojson").exists(),
                    reason="Lujiazui demo files are not built")
def test_demo_partition_is_quiet_and_answers_as_raw_metis():
    raw, quiet = _run(_PARTITION, "raw"), _run(_PARTITION, "quiet")
    assert raw.returncode == 0 and quiet.returncode == 0, (raw.stderr[-2000:], quiet.stderr[-2000:])
    assert len(_metis_lines(raw)) > 0  # the input does make METIS talk
    assert _metis_lines(quiet) == []
    result = [ln for ln in quiet.stdout.splitlines() if ln.startswith("RESULT")]
    assert result and result == [ln for ln in raw.stdout.splitlines() if ln.startswith("RESULT")]


def test_other_output_during_metis_is_kept_in_order():
    """Another thread printing while METIS runs loses nothing; METIS's lines are dropped."""
    code = textwrap.dedent("""
        import os, threading
        from geogrid.partition._metis import quiet_stdout
        def talk():
            for i in range(200):
                print(f"line {i}", flush=True)
        t = threading.Thread(target=talk)
        with quiet_stdout():
            t.start()
            os.write(1, b"***Cannot bisect a graph with 0 vertices!\\n")
            t.join()
        print("after", flush=True)
    """)
    proc = _run(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [f"line {i}" for i in range(200)] + ["after"]


def test_quiet_stdout_drops_only_metis_lines(capfd):
    with quiet_stdout():
        os.write(1, b"\t***You are trying to partition a graph into too many parts!\nkept 1\n")
        os.write(1, b"kept 2\n\t***Cannot bisect a graph with 0 vertices!\n")
    os.write(1, b"kept 3\n")
    assert capfd.readouterr().out.splitlines() == ["kept 1", "kept 2", "kept 3"]


@pytest.mark.parametrize("shape", [(1, 14), (2, 7), (5, 5)])
def test_as_many_parts_as_vertices(shape, capfd):
    g = lattice(*shape)
    labels = metis_partition(g, g.n, seed=0)
    assert labels.shape == (g.n,) and labels.min() == 0
    assert np.array_equal(np.unique(labels), np.arange(labels.max() + 1))
    parts = ensure_parts(g, labels, g.n)
    assert sorted(np.bincount(parts)) == [1] * g.n  # every vertex its own part in the end
    assert is_contiguous(g, parts)
    assert "***" not in "".join(capfd.readouterr())
