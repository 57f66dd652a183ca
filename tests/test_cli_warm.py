"""Batch commands start importing numpy, shapely and pyarrow on a thread as the
command line loads; other commands import nothing more than before."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import json, sys, threading
sys.argv = ["geogrid", *sys.argv[1:]]
import geogrid.cli
from geogrid.cli._warm import BATCH_LIBRARIES, warm_thread
# the thread may have finished (and left threading.enumerate()) before this line runs
warm = [t for t in threading.enumerate() if t.name == "geogrid-warm"]
started = warm_thread()
assert started is None or started.name == "geogrid-warm"
assert set(warm) <= {started}
if started is not None:
    started.join()
print(json.dumps({"threads": int(started is not None),
                  "loaded": [m in sys.modules for m in BATCH_LIBRARIES]}))
"""


def _probe(*argv: str) -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("command", ["locate", "geocode"])
def test_a_batch_command_warms_its_libraries(command):
    got = _probe(command, "pts.csv")
    assert got == {"threads": 1, "loaded": [True] * 5}


@pytest.mark.parametrize("argv", [["plans"], ["--help"], []])
def test_other_commands_start_no_thread_and_load_no_pyarrow(argv):
    got = _probe(*argv)
    assert got["threads"] == 0 and not any(got["loaded"][2:])    # pyarrow stays unloaded


def test_warm_imports_only_for_batch_commands_and_only_once():
    from geogrid.cli._warm import warm_imports

    assert warm_imports(["geogrid", "plans"]) is None
    assert warm_imports(["geogrid"]) is None
    # in this process the libraries are loaded already: nothing to start
    import numpy, pyarrow.csv, pyarrow.parquet, shapely  # noqa: F401, E401

    assert warm_imports(["geogrid", "locate", "x.csv"]) is None



KEPT = """
import json, sys
import numpy as np
sys.argv = ["geogrid", *sys.argv[1:]]
import geogrid.cli
def resident():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096
before = resident()
np.ones(12_500_000).sum()                 # 100 MB, made and freed
kept = resident() - before
import pyarrow
print(json.dumps({"kept": kept, "arrow": pyarrow.default_memory_pool().backend_name}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the GNU C library's allocator")
def test_a_batch_command_keeps_the_memory_it_frees_for_reuse_and_others_do_not():
    def kept(*argv: str, **env: str) -> dict:
        env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"} | env
        out = subprocess.run([sys.executable, "-c", KEPT, *argv], capture_output=True,
                             text=True, env={**env, "PYTHONPATH": str(ROOT)}, check=True,
                             timeout=120)
        return json.loads(out.stdout.strip().splitlines()[-1])

    # freed, the 100 MB array's pages stay with the process, for the next arrays, and
    # Arrow's buffers come from the same allocator
    assert kept("locate", "pts.csv") == {"kept": pytest.approx(100e6, rel=0.1), "arrow": "system"}
    # by default the C library maps such an array afresh and unmaps it when freed
    other = kept("plans")
    assert other["kept"] < 20_000_000 and other["arrow"] != "system"
    # a pool the environment names is kept
    assert kept("locate", "pts.csv", ARROW_DEFAULT_MEMORY_POOL="jemalloc")["arrow"] == "jemalloc"


GC = """
import gc, json, sys
sys.argv = ["geogrid", *sys.argv[1:]]
import geogrid.cli
print(json.dumps({"threshold": gc.get_threshold()[0], "frozen": gc.get_freeze_count()}))
"""


@pytest.mark.parametrize("argv, rare", [(["locate", "pts.csv"], True), (["geocode", "a.csv"], False),
                                        (["plans"], False)])
def test_a_batch_command_collects_cycles_rarely_and_others_as_usual(argv, rare):
    out = subprocess.run([sys.executable, "-c", GC, *argv], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True, timeout=120)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    if rare:      # the modules imported so far are frozen, and new objects counted by the million
        assert got["threshold"] == 1_000_000 and got["frozen"] > 10_000
    else:
        assert got["threshold"] == 700 and got["frozen"] == 0
