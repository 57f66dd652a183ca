"""``/plans/{id}/validate`` with its reports kept against validating every time.

Run with ``python -m benchmarks.validate_cache [--rounds 3]``. The demo street
is loaded into a fresh SpatiaLite store; each round asks for the active plan's
report twice, alternated (A B, B A, ...): from a service that has seen the
plan before (its reports are kept: the inputs are read and fingerprinted) and
from a new service (every grid validated, as before the cache). Both answers
must be equal.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from ._paired import format_table, paired

__all__ = ["main"]


def main(argv: list[str] | None = None) -> dict:
    from geogrid.services.demo import load_demo
    from geogrid.services.planning import PlanningService
    from geogrid.store import Store

    ap = argparse.ArgumentParser(prog="python -m benchmarks.validate_cache",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-validate-") as tmp:
        store = Store.open(f"sqlite:///{Path(tmp) / 'demo.sqlite'}")
        try:
            plan_id = load_demo(store)
            kept = PlanningService(store)
            answers: dict[str, dict] = {}

            def cached(i: int) -> None:
                answers["kept"] = kept.validate(plan_id)

            def fresh(i: int) -> None:
                answers["fresh"] = PlanningService(store).validate(plan_id)

            res = paired("reports kept", cached, "validated afresh", fresh, rounds=args.rounds,
                         warmup=1, label=f"GET /plans/{plan_id}/validate, demo street")
        finally:
            store.dispose()
    if answers["kept"] != answers["fresh"]:
        raise AssertionError("the kept report differs from a fresh one")
    print(format_table("plan validation, demo street", [res], unit="s"))
    return {"paired": res, "grids": len(answers["kept"]["grids"])}


if __name__ == "__main__":
    main()
