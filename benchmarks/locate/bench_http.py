"""Load test: ``GET /locate`` over HTTP on one uvicorn worker against a plain
FastAPI + STRtree endpoint, alternated in one run, loopback only, bounded.

Starts the API (one worker, the demo store copied to a temporary file) and
the baseline (:mod:`benchmarks.locate.plain_app`, one worker, the same
microgrids exported from that store) on 127.0.0.1, then drives them in
turn, A B B A ..., for ``--rounds`` rounds of ``--seconds`` each, with
random points over the street. The load generator is ``wrk`` (Debian's
``wrk`` package; a Python client cannot produce the load it measures, so the
httpx fallback of ``--client httpx`` only says how the client fares); the
same one drives every side. ``--sides geogrid,geogrid-validated,plain``
adds geogrid's validated path (the same query plus ``plan=active``: its parameters are
validated, as any query that is not plainly written is). Each round gives requests/s
and latency percentiles per side; the table prints the paired ratios
geogrid / baseline of requests/s, the medians, and the load average.

Run: ``python -m benchmarks.locate.bench_http [--seconds 10] [--connections 16] [--rounds 4]``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.support.net import free_port

__all__ = ["run", "main", "parse_wrk", "SIDES"]

ROOT = Path(__file__).resolve().parents[2]
LUA = """
math.randomseed(42)
request = function()
  local lon = 121.497 + math.random() * 0.022
  local lat = 31.229 + math.random() * 0.017
  return wrk.format("GET", string.format("/locate?lon=%.6f&lat=%.6f&datum=wgs84&snap_m=2000EXTRA", lon, lat))
end
"""
#: what each side is sent after the common query: ``plan=active`` names the same plan but
#: takes geogrid's validated path (the plain query skips parameter validation)
SIDES = {"geogrid": ("geogrid", ""), "geogrid-validated": ("geogrid", "&plan=active"),
         "plain": ("plain", "")}


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def parse_wrk(out: str) -> dict:
    """Requests/s, p50/p90/p99 latency (ms) and non-2xx count from ``wrk --latency`` output;
    a clear error when the run produced no figures (wrk failed to connect, say)."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if rps is None:
        raise RuntimeError(f"wrk 没有给出结果 / wrk printed no figures: {out[-500:]!r}")
    lat = {p: _ms(v) for p, v in re.findall(r"\s+(50|75|90|99)%\s+([\d.]+\w+)", out)}
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {"rps": float(rps.group(1)), "p50_ms": lat.get("50"), "p90_ms": lat.get("90"),
            "p99_ms": lat.get("99"), "non_2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": errors.group(0) if errors else None}


def start_server(db_url: str, port: int) -> subprocess.Popen:
    env = dict(os.environ, GEOGRID_DATABASE_URL=db_url, GEOGRID_DEMO="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app", "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1", "--log-level", "warning", "--no-access-log",
         "--http", "httptools", "--loop", "uvloop"] if _has_fast_loop() else
        [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app", "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1", "--log-level", "warning", "--no-access-log"],
        env=env, cwd=ROOT)
    _wait(f"http://127.0.0.1:{port}", proc)
    return proc


def _has_fast_loop() -> bool:
    try:
        import httptools  # noqa: F401
        import uvloop  # noqa: F401
        return True
    except ImportError:
        return False


#: the fallback load generator: ``connections`` asyncio tasks on one keep-alive pool
HTTPX_CLIENT = """
import asyncio, json, random, sys, time
import httpx
url, seconds, conns = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
lat_ms, bad = [], 0
async def worker(client, stop, rng):
    global bad
    while time.perf_counter() < stop:
        lon, lat = 121.497 + rng.random() * 0.022, 31.229 + rng.random() * 0.017
        t0 = time.perf_counter()
        r = await client.get(url, params={"lon": f"{lon:.6f}", "lat": f"{lat:.6f}",
                                         "datum": "wgs84", "snap_m": 2000})
        lat_ms.append((time.perf_counter() - t0) * 1000)
        bad += r.status_code != 200
async def main():
    limits = httpx.Limits(max_connections=conns, max_keepalive_connections=conns)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(client, t0 + seconds, random.Random(i)) for i in range(conns)))
        took = time.perf_counter() - t0
    lat_ms.sort()
    q = lambda p: lat_ms[min(len(lat_ms) - 1, int(p / 100 * len(lat_ms)))]
    print(json.dumps({"rps": len(lat_ms) / took, "p50_ms": q(50), "p90_ms": q(90),
                      "p99_ms": q(99), "non_2xx": bad}))
asyncio.run(main())
"""


def _drive(client: str, url: str, seconds: int, connections: int, tmp: Path,
           extra: str = "") -> dict:
    """One load run against ``url`` (the base address): requests/s and latency percentiles."""
    if client == "wrk":
        script = tmp / "locate.lua"
        script.write_text(LUA.replace("EXTRA", extra))
        res = subprocess.run([shutil.which("wrk"), "-t1", f"-c{connections}", f"-d{seconds}s",
                              "--latency", "-s", str(script), url],
                             capture_output=True, text=True, timeout=seconds + 60)
        return parse_wrk(res.stdout)
    if extra:
        raise SystemExit("只有 wrk 能测 geogrid-validated / only wrk drives the validated side; "
                         "install wrk (apt-get install wrk).")
    res = subprocess.run([sys.executable, "-c", HTTPX_CLIENT, url + "/locate", str(seconds),
                          str(connections)], capture_output=True, text=True,
                         timeout=seconds + 120, check=True)
    return json.loads(res.stdout)


def _export_areas(db_url: str, path: Path) -> None:
    """The active plan's leaves from the store the API serves, for the baseline."""
    from geogrid.locate.chain import leaf_rows
    from geogrid.store import Store

    store = Store.open(db_url)
    areas = store.areas(int(store.active_plan()["id"]))
    leaf_rows(areas)[2][["id", "geometry"]].to_parquet(path)


def start_plain(areas: Path, port: int) -> subprocess.Popen:
    env = dict(os.environ, PLAIN_AREAS=str(areas))
    loop = ["--http", "httptools", "--loop", "uvloop"] if _has_fast_loop() else []
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "benchmarks.locate.plain_app:app",
                             "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                             "--log-level", "warning", "--no-access-log", *loop], env=env, cwd=ROOT)
    _wait(f"http://127.0.0.1:{port}", proc)
    return proc


def _wait(url: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 600        # the demo store is seeded at start
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                httpx.get(url + "/locate", params={"lon": 121.51, "lat": 31.237, "datum": "wgs84"})
                return
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"server at {url} did not start")


def run(seconds: int = 10, connections: int = 16, rounds: int = 4,
        client: str | None = None, sides: tuple[str, ...] = ("geogrid", "plain")) -> dict:
    client = client or ("wrk" if shutil.which("wrk") else "httpx")
    tmp = Path(tempfile.mkdtemp(prefix="geogrid-bench-"))
    procs = []
    try:
        ports = free_port(), free_port()
        db_url = f"sqlite:///{tmp / 'bench.sqlite'}"
        procs.append(start_server(db_url, ports[0]))
        _export_areas(db_url, tmp / "areas.parquet")
        procs.append(start_plain(tmp / "areas.parquet", ports[1]))
        urls = {"geogrid": f"http://127.0.0.1:{ports[0]}", "plain": f"http://127.0.0.1:{ports[1]}"}
        runs: dict[str, list[dict]] = {side: [] for side in sides}
        loads = []
        for r in range(rounds):
            for side in (sides if r % 2 == 0 else sides[::-1]):
                server, extra = SIDES[side]
                runs[side].append(_drive(client, urls[server], seconds, connections, tmp, extra))
            loads.append(os.getloadavg()[0])
        by_side = {side: [a["rps"] / b["rps"] for a, b in zip(runs[side], runs["plain"])]
                   for side in sides if side != "plain"}
        return {"seconds": seconds, "connections": connections, "client": client,
                "runs": runs, "ratios": next(iter(by_side.values()), []),
                "ratios_by_side": by_side, "load": loads}
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv=None) -> dict:
    import statistics

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=4, help="rounds (each one A and one B)")
    ap.add_argument("--client", choices=("wrk", "httpx"), default=None,
                    help="load generator (default: wrk if installed, else httpx)")
    ap.add_argument("--sides", default="geogrid,plain",
                    help="comma separated, alternated: " + ", ".join(SIDES) + " (plain is "
                         "the baseline and always runs)")
    args = ap.parse_args(argv)
    sides = tuple(dict.fromkeys([*args.sides.split(","), "plain"]))
    unknown = set(sides) - set(SIDES)
    if unknown:
        ap.error(f"unknown side(s) {sorted(unknown)}; choose from {list(SIDES)}")
    row = run(args.seconds, args.connections, args.rounds, args.client, sides)
    med = statistics.median
    print(f"GET /locate, 1 worker each, {row['connections']} connections, {row['seconds']} s x "
          f"{args.rounds} rounds, client {row['client']}, load "
          f"{', '.join(f'{v:.1f}' for v in row['load'])}")
    for side in sides:
        rs = row["runs"][side]
        print(f"  {side:17s} {med(r['rps'] for r in rs):8.0f} req/s, p50 "
              f"{med(r['p50_ms'] for r in rs):6.2f} ms, p99 {med(r['p99_ms'] for r in rs):6.2f} ms "
              f"(worst {max(r['p99_ms'] for r in rs):.2f}), non-2xx {sum(r['non_2xx'] for r in rs)}")
    for side, ratios in row["ratios_by_side"].items():
        print(f"  {side} / plain FastAPI+STRtree req/s: paired ratios "
              f"{', '.join(f'{v:.2f}' for v in ratios)} (median {med(ratios):.2f}x)")
    return row


if __name__ == "__main__":
    main()
