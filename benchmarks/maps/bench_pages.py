"""The coverage map of the demo street in headless Chromium, offline: page weight, time to
interactive and the bytes of one screen of basemap tiles.

A = the same page with no basemap (``?basemap=none``), B = with geogrid's own offline basemap
(the default), C = B coloured by workload (``?choropleth=workload``). These timings are not
asserted in the tests (tests/maps/test_performance.py checks weight and failed requests only).
Loads alternate A B C A B C in one browser against one server (the demo store,
SpatiaLite), each in a fresh context (cold cache). Reported: medians, the paired ratio B/A
per round (median), whole-process time and peak memory of this process and of the server.

"Interactive" is the moment the page's module has run (``<html data-ready>``), the
grid overlays are drawn and, for B, every basemap tile in view has been drawn.

    python -m benchmarks.maps.bench_pages [--rounds 5] [--width 1280 --height 860]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks._server import ApiServer

__all__ = ["measure", "main"]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
READY = """(withBasemap) => {
  const root = document.documentElement;   // null while the new document is created
  if (!root || root.dataset.ready !== "1") return false;
  if (!document.querySelector(".leaflet-overlay-pane path")) return false;
  if (!withBasemap) return true;
  const layer = window.geogrid.basemap;
  return Boolean(layer) && Object.values(layer._tiles).length > 0
    && Object.values(layer._tiles).every((t) => t.loaded);
}"""


def measure(browser, url: str, *, basemap: bool, width: int, height: int) -> dict:
    """One cold load of ``url``: bytes on the wire, basemap bytes, ms to interactive."""
    ctx = browser.new_context(viewport={"width": width, "height": height})
    page = ctx.new_page()
    origin = url.split("/", 3)[:3]
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("/".join(origin))
               else r.abort())
    sizes: list[tuple[str, int]] = []
    page.on("requestfinished", lambda r: sizes.append(
        (r.url, r.sizes()["responseBodySize"] + r.sizes()["responseHeadersSize"])))
    page.goto(url, wait_until="commit")
    page.wait_for_function(READY, arg=basemap, polling="raf", timeout=30000)
    ms = page.evaluate("performance.now()")
    page.wait_for_load_state("networkidle")
    ctx.close()
    return {"ms": ms, "bytes": sum(s for _, s in sizes),
            "basemap_bytes": sum(s for u, s in sizes if "/basemap/" in u),
            "basemap_tiles": sum("/basemap/" in u for u, _ in sizes)}


def _peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=860)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    from playwright.sync_api import sync_playwright

    from geogrid.store import Store
    from geogrid.store.demo import load_demo

    tmp = Path(tempfile.mkdtemp(prefix="bench-maps-"))
    store = Store.open(f"sqlite:///{tmp / 'demo.sqlite'}")
    load_demo(store)
    store.dispose()
    runs: dict[str, list[dict]] = {"A": [], "B": [], "C": []}
    pages = (("A", "?basemap=none"), ("B", ""), ("C", "?choropleth=workload"))
    with ApiServer(f"sqlite:///{tmp / 'demo.sqlite'}", env={"GEOGRID_DEMO": "0"}) as server, \
            sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for key, q in pages:  # warm the server's caches
            measure(browser, f"{server.url}/{q}", basemap=key != "A", width=args.width,
                    height=args.height)
        for _ in range(args.rounds):
            for key, q in pages:
                runs[key].append(measure(browser, f"{server.url}/{q}", basemap=key != "A",
                                         width=args.width, height=args.height))
        browser.close()
        server_peak = _peak_kib(server.proc.pid)
    _report(runs, args, time.perf_counter() - t0, server_peak)
    return 0


def _report(runs: dict, args, wall_s: float, server_peak_kib: int) -> None:
    med = lambda key, field: statistics.median(r[field] for r in runs[key])  # noqa: E731
    ratio = statistics.median(b["ms"] / a["ms"] for a, b in zip(runs["A"], runs["B"]))
    table = Table(title=f"coverage map, demo street, {args.width}×{args.height}, offline, "
                        f"{args.rounds} rounds A B A B (cold cache each load)")
    for col in ("", "A: no basemap", "B: offline basemap", "B/A (paired median)"):
        table.add_column(col)
    table.add_row("time to interactive, ms (median)", f"{med('A', 'ms'):.0f}",
                  f"{med('B', 'ms'):.0f}", f"{ratio:.2f}")
    table.add_row("page weight, KiB (median)", f"{med('A', 'bytes') / 1024:.0f}",
                  f"{med('B', 'bytes') / 1024:.0f}",
                  f"{med('B', 'bytes') / med('A', 'bytes'):.2f}")
    table.add_row("basemap tiles: count / KiB", "0 / 0",
                  f"{med('B', 'basemap_tiles'):.0f} / {med('B', 'basemap_bytes') / 1024:.0f}", "")
    table.add_row("C: workload choropleth, ms / KiB (median)", "",
                  f"{med('C', 'ms'):.0f} / {med('C', 'bytes') / 1024:.0f}", "")
    table.add_row("worst B load: ms / KiB", "", f"{max(r['ms'] for r in runs['B']):.0f} / "
                  f"{max(r['bytes'] for r in runs['B']) / 1024:.0f}", "")
    Console().print(table)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    Console().print(f"whole process {wall_s:.1f} s; peak memory: this process "
                    f"{own / 1024:.0f} MiB, "
                    f"server {server_peak_kib / 1024:.0f} MiB")


if __name__ == "__main__":
    raise SystemExit(main())
