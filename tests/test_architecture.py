"""The layers, enforced: walk the import graph with ``ast`` and fail on a broken rule.

* the pure core (``geogrid/`` outside ``store/``, ``services/``, ``cli/``) imports no
  store, services, api, maps, SQLAlchemy, FastAPI or settings;
* a router imports no other router and no SQLAlchemy;
* no import cycle exists between modules of ``geogrid/``;
* no function is longer than 80 lines and no module longer than 700 lines in
  ``geogrid/``, ``api/`` and ``maps/`` (frozen migrations aside).

A cycle may only be allowed by name, with a comment, in ``ALLOWED_CYCLES``.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
EDGE = ("geogrid.store", "geogrid.services", "geogrid.cli")
FORBIDDEN_IN_CORE = ("geogrid.store", "geogrid.services", "geogrid.cli", "geogrid.settings",
                     "api", "maps", "sqlalchemy", "fastapi", "starlette", "geoalchemy2")
#: known cycles allowed (none: an entry needs a comment saying why and until when)
ALLOWED_CYCLES: list[set[str]] = []
MAX_FUNCTION_LINES = 80
MAX_MODULE_LINES = 700


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _nodes(tree: ast.Module, lazy: bool):
    """Import nodes: all of them, or (``lazy=False``) those run at import time only."""
    if lazy:
        yield from ast.walk(tree)
        return
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))


def imports(path: Path, *, lazy: bool = True) -> set[tuple[str, ...]]:
    """What ``path`` imports: one tuple of candidate module names per imported name, most
    specific first (``from a import b`` → ("a.b", "a")); lazy imports too unless ``lazy=False``."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[tuple[str, ...]] = set()
    for node in _nodes(ast.parse(path.read_text(encoding="utf-8")), lazy):
        if isinstance(node, ast.Import):
            out.update((a.name,) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            out.update((f"{base}.{a.name}", base) for a in node.names)
    return out


def sources(top: str) -> list[Path]:
    return sorted(p for p in (ROOT / top).rglob("*.py") if "migrations" not in p.parts)


def graph(*, lazy: bool = True) -> dict[str, set[tuple[str, ...]]]:
    return {module_name(p): imports(p, lazy=lazy)
            for top in ("geogrid", "api", "maps") for p in sources(top)}


def _hits(names, prefixes) -> set[str]:
    flat = {n for cands in names for n in ((cands,) if isinstance(cands, str) else cands)}
    return {n for n in flat for p in prefixes if n == p or n.startswith(p + ".")}


def test_pure_core_imports_no_edge():
    bad = {}
    for mod, names in graph().items():
        if mod.startswith("geogrid") and not mod.startswith(EDGE) and mod != "geogrid.settings":
            hit = _hits(names, FORBIDDEN_IN_CORE)
            if hit:
                bad[mod] = sorted(hit)
    assert bad == {}


def test_routers_import_no_router_and_no_sqlalchemy():
    bad = {}
    for mod, names in graph().items():
        if mod.startswith("api.routers."):
            hit = {n for n in _hits(names, ("api.routers", "sqlalchemy", "geoalchemy2"))
                   if n != "api.routers"}
            if hit:
                bad[mod] = sorted(hit)
    assert bad == {}


def test_no_import_cycle_in_geogrid():
    """Cycles of imports run at import time (a lazy import inside a function is how a
    module defers a dependency, e.g. the old store paths kept for existing callers)."""
    g = graph(lazy=False)
    mods = {m for m in g if m.startswith("geogrid")}
    dg = nx.DiGraph()
    for mod in mods:
        for cands in g[mod]:
            target = next((c for c in cands if c in mods), None)
            if target is not None and target != mod and not mod.startswith(target + "."):
                dg.add_edge(mod, target)
    cycles = [set(c) for c in nx.strongly_connected_components(dg) if len(c) > 1]
    unexpected = [c for c in cycles if not any(c <= allowed for allowed in ALLOWED_CYCLES)]
    assert unexpected == []


def too_long(source: str, name: str) -> list[str]:
    """The module ``name`` if it is over the line limit, and each of its functions that is."""
    out = [f"{name}: {n} lines"] if (n := len(source.splitlines())) > MAX_MODULE_LINES else []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                out.append(f"{name}:{node.lineno} {node.name}: {length} lines")
    return out


def test_functions_and_modules_stay_short():
    bad = [hit for top in ("geogrid", "api", "maps") for p in sources(top)
           for hit in too_long(p.read_text(encoding="utf-8"), module_name(p))]
    assert bad == []


def test_the_checks_see_a_violation():
    """The walker finds what it must forbid (a check that cannot fail proves nothing)."""
    sample = ROOT / "geogrid" / "services" / "incidents.py"
    assert "geogrid.store" in _hits(imports(sample), ("geogrid.store",))
    cyclic = nx.DiGraph([("a", "b"), ("b", "a")])
    assert [c for c in nx.strongly_connected_components(cyclic) if len(c) > 1] == [{"a", "b"}]
    assert _hits({"sqlalchemy.orm"}, ("sqlalchemy",)) == {"sqlalchemy.orm"}
    body = "".join(f"    x = {i}\n" for i in range(MAX_FUNCTION_LINES))
    assert too_long(f"def f():\n{body}", "m") == ["m:1 f: 81 lines"]
    assert too_long(f"def f():\n{body.partition(chr(10))[2]}", "m") == []
    assert too_long("x = 1\n" * (MAX_MODULE_LINES + 1), "m") == ["m: 701 lines"]


def test_command_line_starts_without_the_heavy_libraries():
    """``geogrid --help`` and the option parsing load no numpy, pandas, GIS or database
    library: each command imports what it needs when it runs."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    heavy = ("numpy", "pandas", "geopandas", "shapely", "pyproj", "sqlalchemy", "fastapi")
    code = ("import sys, geogrid.cli; "
            f"print(','.join(m for m in {heavy!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env=env, check=True)
    assert out.stdout.strip() == ""
    probe = subprocess.run([sys.executable, "-c", "import sys, geogrid; geogrid.Datum; "
                            "print('numpy' in sys.modules)"], cwd=ROOT, capture_output=True,
                           text=True, env=env, check=True)
    assert probe.stdout.strip() == "True"  # the probe sees a heavy import when one happens
