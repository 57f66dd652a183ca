"""Where a ``GET /locate`` spends its time inside the worker, layer by layer, without sockets.

Run with ``python -m benchmarks.locate.bench_http_layers [--requests 2000] [--rounds 6]``.

The same random points over the demo street are sent as ASGI calls (no network,
no HTTP parsing: what is left is the application) to, alternated round by round:

* ``geogrid``: the app as served (edge middleware: security headers and CSP,
  host check, body limit, sign-in throttle), the plain query;
* ``geogrid-validated``: the same query plus ``plan=active``, which takes the
  validated path (one pydantic model of the endpoint's parameters, see
  :func:`api.routers.locate.query_validator`);
* ``no-edge-middleware``: the app with the four edge middlewares removed;
* ``plain``: the FastAPI + STRtree baseline of :mod:`.plain_app`.

Each line gives the median microseconds per request, and the paired ratio of
each variant to ``geogrid`` per round (median), with the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

__all__ = ["main"]


def _caller(app):
    async def call(query: bytes) -> int:
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": "GET", "scheme": "http", "path": "/locate", "raw_path": b"/locate",
                 "query_string": query, "root_path": "", "headers": [(b"host", b"127.0.0.1")],
                 "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 8000)}
        status = []

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            if message["type"] == "http.response.start":
                status.append(message["status"])

        await app(scope, receive, send)
        return status[0]

    return call


def _apps(db: Path, areas: Path):
    from api.app import create_app
    from geogrid.services.demo import load_demo
    from geogrid.settings import Settings
    from geogrid.store import Store

    store = Store.open(f"sqlite:///{db}")
    load_demo(store)
    leaves_to(store, areas)
    os.environ["PLAIN_AREAS"] = str(areas)
    from .plain_app import app as plain

    settings = Settings(database_url=f"sqlite:///{db}")
    full = create_app(settings, store=store)
    bare = create_app(settings, store=store)
    bare.user_middleware = [m for m in bare.user_middleware
                            if m.cls.__module__ != "api.middleware"]
    return store, full, bare, plain


def leaves_to(store, path: Path) -> None:
    from geogrid.locate.chain import leaf_rows

    leaf_rows(store.areas(int(store.active_plan()["id"])))[2][["id", "geometry"]].to_parquet(path)


async def _run(full, bare, plain, n: int, rounds: int) -> dict:
    rng = random.Random(42)
    queries = [f"lon={121.497 + rng.random() * 0.022:.6f}&lat={31.229 + rng.random() * 0.017:.6f}"
               f"&datum=wgs84&snap_m=2000".encode() for _ in range(n)]
    sides = {"geogrid": (_caller(full), b""), "geogrid-validated": (_caller(full), b"&plan=active"),
             "no-edge-middleware": (_caller(bare), b""), "plain": (_caller(plain), b"")}
    async with full.router.lifespan_context(full):
        bare.state.geo = full.state.geo
        for call, extra in sides.values():                 # warm every path
            assert {await call(q + extra) for q in queries[:200]} <= {200, 422}
        times: dict[str, list[float]] = {k: [] for k in sides}
        for r in range(rounds):
            for name in (list(sides) if r % 2 == 0 else list(sides)[::-1]):
                call, extra = sides[name]
                t0 = time.perf_counter()
                for q in queries:
                    await call(q + extra)
                times[name].append((time.perf_counter() - t0) / n * 1e6)
    return times


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(prog="python -m benchmarks.locate.bench_http_layers",
                                description=__doc__.split("\n")[0])
    p.add_argument("--requests", type=int, default=2000)
    p.add_argument("--rounds", type=int, default=6)
    a = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        store, full, bare, plain = _apps(Path(tmp) / "demo.sqlite", Path(tmp) / "areas.parquet")
        try:
            times = asyncio.run(_run(full, bare, plain, a.requests, a.rounds))
        finally:
            store.dispose()
    med = statistics.median
    print(f"GET /locate in-process (ASGI calls, no sockets), {a.requests} requests x {a.rounds} "
          f"rounds, load {os.getloadavg()[0]:.1f}")
    for name, ts in times.items():
        paired = med(t / g for t, g in zip(ts, times["geogrid"]))
        print(f"  {name:19s} {med(ts):7.0f} us/request   time / geogrid's: {paired:.2f} (paired)")
    return times


if __name__ == "__main__":
    main()
