"""What hashing inline scripts into the CSP costs a page response, in one process.

The body is the real coverage map (``GET /`` on the demo store, ~240 KiB with
folium's inline scripts). A trivial ASGI app serves it under A,
:class:`api.middleware.SecurityHeadersMiddleware` (body held, scripts hashed,
CSP cached per body), and B, a static-header middleware that streams the body
through (the previous behaviour); nothing else runs, so the difference is the
middleware's own. A and B alternate in rounds; per-response medians, the paired
per-round ratio, whole-process time and peak memory are printed, with the hash
cache warm (the steady state: pages are cached) and cold (cleared every time).

    python -m benchmarks.csp_overhead --rounds 10 --requests 200
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import tempfile
import time
from pathlib import Path

__all__ = ["run", "main"]


class _StaticHeaders:
    """The baseline: fixed security headers, body streamed through untouched."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        async def with_headers(message):
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []),
                                      (b"x-content-type-options", b"nosniff"),
                                      (b"content-security-policy", b"frame-ancestors 'self'")]
            await send(message)

        await self.app(scope, receive, with_headers)


def _page_body() -> bytes:
    """``GET /`` of the demo store, as the server sends it."""
    from fastapi.testclient import TestClient

    from api import create_app
    from geogrid.settings import Settings
    from geogrid.store import Store
    from geogrid.store.demo import load_demo

    with tempfile.TemporaryDirectory(prefix="geogrid-csp-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'demo.sqlite'}"
        store = Store.open(url)
        load_demo(store)
        with TestClient(create_app(Settings(database_url=url, allowed_hosts="testserver"),
                                   store=store)) as client:
            body = client.get("/").content
        store.dispose()
    return body


def _serve(body: bytes):
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/html; charset=utf-8"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
    return app


async def _round(app, n: int, clear) -> float:
    scope = {"type": "http", "path": "/", "method": "GET", "headers": []}
    sink = []

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sink.append(message)

    t0 = time.perf_counter()
    for _ in range(n):
        clear()
        await app(scope, receive, send)
    assert any(m.get("status") == 200 for m in sink)
    return (time.perf_counter() - t0) / n


def run(rounds: int = 10, requests: int = 200) -> dict:
    from api.middleware import SecurityHeadersMiddleware

    started = time.perf_counter()
    body = _page_body()
    hashed = SecurityHeadersMiddleware(_serve(body))
    plain = _StaticHeaders(_serve(body))
    out = {"page_kib": len(body) / 1024}
    for cold in (False, True):
        clear = hashed._csp_cache.clear if cold else (lambda: None)
        a, b = [], []
        for _ in range(rounds):
            a.append(asyncio.run(_round(hashed, requests, clear)))
            b.append(asyncio.run(_round(plain, requests, lambda: None)))
        out["cold" if cold else "warm"] = {
            "hashed_us": 1e6 * statistics.median(a), "plain_us": 1e6 * statistics.median(b),
            "ratio": statistics.median(x / y for x, y in zip(a, b))}
    out["process_s"] = time.perf_counter() - started
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--requests", type=int, default=200)
    args = ap.parse_args(argv)
    r = run(args.rounds, args.requests)
    print(f"coverage page ({r['page_kib']:.0f} KiB), {args.rounds} rounds × {args.requests} "
          "responses, hashed CSP and static headers alternated")
    for mode in ("warm", "cold"):
        m = r[mode]
        print(f"  {mode} cache: hashed {m['hashed_us']:.0f} µs, static {m['plain_us']:.1f} µs "
              f"per response, paired ratio {m['ratio']:.1f}")
    print(f"  whole process {r['process_s']:.1f} s, peak RSS {r['peak_rss_mib']:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
