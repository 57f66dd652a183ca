"""Option values the command line takes without its validation library: the values a
command receives and every error are the library's own, and a plain ``geogrid locate``
never loads pydantic."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import geogrid.batch
import geogrid.cli._usage as usage
from geogrid.cli import app

ROOT = Path(__file__).resolve().parents[1]


def _parsed(monkeypatch, args: list[str], quick: bool):
    """What ``locate`` hands to the batch for ``args`` (or the parser's error), with the
    quick coercion or with the library's validators only."""
    got = {}

    def locate_file(path, out, locator, **kw):
        got.update(kw, path=path, out=out)
        return {"rows": 0}

    monkeypatch.setattr(geogrid.batch, "locate_file", locate_file)
    if not quick:
        monkeypatch.setattr(usage, "quick_coercion", lambda params: None)
    res = CliRunner().invoke(app, ["locate", *args])
    got.pop("progress", None)
    return res.exit_code, got, " ".join(res.output.split())


@pytest.mark.parametrize("args", [
    ["pts.csv", "-o", "out.parquet", "-d", "cgcs2000", "--areas", "a.parquet"],
    ["pts.csv", "-o", "out.csv", "-d", "GCJ02", "--areas", "a.parquet", "--snap-m", "25",
     "--chunk-rows", "5000", "--force", "--lon-col", "x", "--engine", "dask"],
    ["pts.csv", "-o", "out.csv", "-d", "bd09", "--snap-m", "2.5", "--chunk-rows", "0250000",
     "--buildings", "b.geojson", "--areas-datum", "WGS84", "--no-force"],
    ["pts.csv", "-o", "out.csv", "-d", "wgs84", "--snap-m", "1e3", "--chunk-rows", "+9000"],
    # refused: below the minimum, not a number, not a datum, missing value, no such file
    ["pts.csv", "-o", "out.csv", "-d", "wgs84", "--chunk-rows", "10"],
    ["pts.csv", "-o", "out.csv", "-d", "wgs84", "--chunk-rows", "many"],
    ["pts.csv", "-o", "out.csv", "-d", "wgs84", "--snap-m", "near"],
    ["pts.csv", "-o", "out.csv", "-d", "mars"],
    ["pts.csv", "-o", "out.csv", "-d"],
    ["pts.csv", "-o", "", "-d", "wgs84"],
])
def test_values_and_errors_are_the_validators_own(monkeypatch, tmp_path, args):
    monkeypatch.chdir(tmp_path)
    quick = _parsed(monkeypatch, args, quick=True)
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    full = _parsed(monkeypatch, args, quick=False)
    assert quick == full
    code, got, text = quick
    if code == 0:
        assert got["path"] == Path("pts.csv") and isinstance(got["out"], Path)
        assert isinstance(got["chunk_rows"], int) and got["chunk_rows"] >= 1000
    else:
        assert code == 2 and "错误 error" in text and "修正 fix" in text


PROBE = """
import json, sys
sys.argv = ["geogrid", *sys.argv[1:]]
import geogrid.batch, geogrid.cli.batch
got = {}
geogrid.batch.locate_file = lambda path, out, locator, **kw: got.update(kw) or {"rows": 0}
geogrid.cli.batch._leave_now = lambda: None
from geogrid.cli import app
try:
    app()
except SystemExit:
    pass
print(json.dumps({"pydantic": "pydantic" in sys.modules, "datum": str(got["datum"].value),
                  "chunk_rows": got["chunk_rows"], "snap_m": got["snap_m"]}))
"""


def test_a_plain_locate_never_loads_the_validation_library():
    out = subprocess.run([sys.executable, "-c", PROBE, "locate", "pts.csv", "-o", "o.parquet",
                          "-d", "GCJ02", "--areas", "a.parquet", "--snap-m", "12.5",
                          "--chunk-rows", "50000"], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True, timeout=120)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got == {"pydantic": False, "datum": "gcj02", "chunk_rows": 50000, "snap_m": 12.5}
