"""What ``synchronous=FULL`` costs SpatiaLite intake, against ``NORMAL``, in one process.

Each round writes the same reports through :class:`IncidentService` (the real
intake: locate, dedupe, workflow, audit) into two copies of the demo store,
one per setting, alternating FULL, NORMAL, FULL, NORMAL... so both arms share
the machine's noise. Report locations are the demo's OSM building points, not
anything geogrid generated. Prints per-arm medians, the paired ratio per round,
whole-process time and peak memory.

    python -m benchmarks.durability --n 150 --rounds 4
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import event

__all__ = ["run", "main"]

CATEGORIES = ["暴露垃圾", "道路不洁", "积水", "占道经营", "噪声", "群租", "井盖"]


def _arm(path: Path, synchronous: str | None):
    from geogrid.locator import PlanLocator
    from geogrid.store import Store
    from geogrid.store.incidents import IncidentService

    store = Store.open(f"sqlite:///{path}", migrate=False)
    if synchronous:  # the engine's connect hook sets FULL; a later hook overrides it
        event.listen(store.engine, "connect",
                     lambda conn, _r: conn.execute(f"PRAGMA synchronous={synchronous}"))
        store.engine.dispose()
    plan = int(store.active_plan()["id"])
    return store, PlanLocator(store.areas(plan)), IncidentService(store), plan


def _write(arm, points, tag: str) -> float:
    from geogrid.store.incidents import Intake

    store, locator, svc, plan = arm
    t0 = time.perf_counter()
    for i, (x, y) in enumerate(points):
        svc.intake(Intake(category=CATEGORIES[i % len(CATEGORIES)], lon=x, lat=y,
                          datum="cgcs2000", channel="12345", idempotency_key=f"{tag}-{i}"),
                   actor="bench", locator=locator, plan_id=plan, dedupe_radius_m=0)
    return time.perf_counter() - t0


def run(n: int = 150, rounds: int = 4) -> dict:
    from geogrid.store import Store
    from geogrid.store.demo import load_demo

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="geogrid-durability-") as tmp:
        base = Path(tmp) / "demo.sqlite"
        s = Store.open(f"sqlite:///{base}")
        load_demo(s)
        pts = s.objects().geometry.representative_point()
        points = list(zip(pts.x, pts.y))[:n]
        s.dispose()
        for name in ("full.sqlite", "normal.sqlite"):
            shutil.copy(base, Path(tmp) / name)
        full, normal = _arm(Path(tmp) / "full.sqlite", None), _arm(Path(tmp) / "normal.sqlite", "NORMAL")
        with full[0].engine.connect() as c:
            assert c.exec_driver_sql("PRAGMA synchronous").scalar() == 2
        with normal[0].engine.connect() as c:
            assert c.exec_driver_sql("PRAGMA synchronous").scalar() == 1
        times = {"full": [], "normal": []}
        for r in range(rounds):
            times["full"].append(_write(full, points, f"f{r}"))
            times["normal"].append(_write(normal, points, f"n{r}"))
        for arm in (full, normal):
            arm[0].dispose()
    ratios = [f / nm for f, nm in zip(times["full"], times["normal"])]
    return {"n": len(points), "rounds": rounds,
            "full_per_s": len(points) / statistics.median(times["full"]),
            "normal_per_s": len(points) / statistics.median(times["normal"]),
            "ratio_median": statistics.median(ratios), "ratios": ratios,
            "process_s": time.perf_counter() - started,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=150)
    ap.add_argument("--rounds", type=int, default=4)
    args = ap.parse_args(argv)
    r = run(args.n, args.rounds)
    print(f"SpatiaLite intake, {r['n']} reports × {r['rounds']} rounds (FULL, NORMAL alternated)")
    print(f"  synchronous=FULL   {r['full_per_s']:8.1f} incidents/s (median)")
    print(f"  synchronous=NORMAL {r['normal_per_s']:8.1f} incidents/s (median)")
    print(f"  time ratio FULL/NORMAL per round: {', '.join(f'{x:.2f}' for x in r['ratios'])}"
          f" (median {r['ratio_median']:.2f})")
    print(f"  whole process {r['process_s']:.1f} s, peak RSS {r['peak_rss_mib']:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
