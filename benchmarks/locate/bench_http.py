"""Load test: ``GET /locate`` over HTTP on one uvicorn worker, loopback only, bounded.

Starts the API (one worker, the demo store copied to a temporary file) on
127.0.0.1 and drives it with ``wrk`` (Debian package) for a fixed duration
with random points over the street, then reports requests/s and latency
percentiles. Also times the same handler in-process (no HTTP) for reference.

Run: ``python -m benchmarks.locate.bench_http [--seconds 10] [--connections 16]``
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
LUA = """
math.randomseed(42)
request = function()
  local lon = 121.497 + math.random() * 0.022
  local lat = 31.229 + math.random() * 0.017
  return wrk.format("GET", string.format("/locate?lon=%.6f&lat=%.6f&datum=wgs84&snap_m=2000", lon, lat))
end
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def start_server(db_url: str, port: int) -> subprocess.Popen:
    env = dict(os.environ, GEOGRID_DATABASE_URL=db_url, GEOGRID_DEMO="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app", "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1", "--log-level", "warning", "--no-access-log",
         "--http", "httptools", "--loop", "uvloop"] if _has_fast_loop() else
        [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app", "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1", "--log-level", "warning", "--no-access-log"],
        env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                httpx.get(url + "/locate", params={"lon": 121.51, "lat": 31.237, "datum": "wgs84"})
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("server did not start")


def _has_fast_loop() -> bool:
    try:
        import httptools  # noqa: F401
        import uvloop  # noqa: F401
        return True
    except ImportError:
        return False


def run(seconds: int = 10, connections: int = 16) -> dict:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed (Debian package wrk; `make bench` installs it)")
    tmp = Path(tempfile.mkdtemp(prefix="geogrid-bench-"))
    port = _free_port()
    proc = start_server(f"sqlite:///{tmp / 'bench.sqlite'}", port)
    try:
        script = tmp / "locate.lua"
        script.write_text(LUA)
        res = subprocess.run([wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
                              "-s", str(script), f"http://127.0.0.1:{port}"],
                             capture_output=True, text=True, timeout=seconds + 60)
        out = res.stdout
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        lat = {p: _ms(v) for p, v in re.findall(r"\s+(50|75|90|99)%\s+([\d.]+\w+)", out)}
        non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
        errors = re.search(r"Socket errors:.*", out)
        return {"seconds": seconds, "connections": connections, "rps": rps,
                "p50_ms": lat.get("50"), "p90_ms": lat.get("90"), "p99_ms": lat.get("99"),
                "non_2xx": int(non2xx.group(1)) if non2xx else 0,
                "socket_errors": errors.group(0) if errors else "", "raw": out}
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    args = ap.parse_args(argv)
    row = run(args.seconds, args.connections)
    print(f"GET /locate, 1 worker, {row['connections']} connections, {row['seconds']} s: "
          f"{row['rps']:.0f} req/s, p50 {row['p50_ms']:.2f} ms, p90 {row['p90_ms']:.2f} ms, "
          f"p99 {row['p99_ms']:.2f} ms, non-2xx {row['non_2xx']}")
    return row


if __name__ == "__main__":
    main()
