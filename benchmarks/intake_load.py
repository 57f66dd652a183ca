"""Bounded loopback load test of incident intake, with retries: zero lost, zero duplicated.

Clients send ``POST /incidents`` at a target rate, each with its own
Idempotency-Key. A request that fails (connection error, timeout, 5xx) is
retried with the same key until it is acknowledged; a share of acknowledged
requests is deliberately sent again (a client that lost the response) and
must come back with the same incident. :func:`verify` then checks the store:
every acknowledged key is there exactly once, with the incident id the
client was given, and nothing else was written.

Run the full test: ``python -m benchmarks.intake_load --seconds 60 --rate 500``
(PostGIS: ``--store postgis``). Only 127.0.0.1 is ever contacted, and the run
stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field

import httpx
import numpy as np

__all__ = ["LoadResult", "run_load", "verify", "main"]

STREET = (121.499, 31.229, 121.519, 31.246)  # inside the demo street, mostly
CATEGORIES = ["暴露垃圾", "道路不洁", "积水", "占道经营", "噪声", "群租", "井盖"]


@dataclass
class LoadResult:
    run_id: str
    seconds: float
    sent: int = 0
    acked: dict[str, str] = field(default_factory=dict)   # key -> uid
    retries: int = 0
    replays_ok: int = 0
    replays_mismatch: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    rejected_4xx: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return len(self.acked) / self.seconds if self.seconds else 0.0

    def summary(self) -> dict:
        lat = np.array(self.latencies_ms) if self.latencies_ms else np.array([np.nan])
        return {"run_id": self.run_id, "seconds": round(self.seconds, 1), "sent": self.sent,
                "acked": len(self.acked), "acked_per_s": round(self.rps, 1),
                "retries": self.retries, "replays_ok": self.replays_ok,
                "replays_mismatch": self.replays_mismatch, "rejected_4xx": self.rejected_4xx,
                "errors": self.errors, "p50_ms": round(float(np.nanpercentile(lat, 50)), 2),
                "p99_ms": round(float(np.nanpercentile(lat, 99)), 2)}


async def _send(client: httpx.AsyncClient, res: LoadResult, key: str, body: dict, token: str,
                deadline: float) -> httpx.Response | None:
    """POST until acknowledged (2xx), refused (4xx) or the deadline passes; retry the same key."""
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    backoff = 0.05
    while True:
        try:
            r = await client.post("/incidents", json=body, headers=headers)
        except httpx.HTTPError as exc:
            res.errors[type(exc).__name__] = res.errors.get(type(exc).__name__, 0) + 1
            r = None
        if r is not None and r.status_code < 500:
            return r
        if r is not None:
            res.errors[str(r.status_code)] = res.errors.get(str(r.status_code), 0) + 1
        if time.monotonic() > deadline:
            return None  # given up: verify() checks it was not written twice either
        res.retries += 1
        wait = float(r.headers.get("Retry-After", backoff)) if r is not None else backoff
        await asyncio.sleep(min(wait, 1.0))
        backoff = min(backoff * 2, 1.0)


async def _one(client: httpx.AsyncClient, res: LoadResult, key: str, body: dict, token: str,
               deadline: float, replay_share: float, rng: random.Random) -> None:
    t0 = time.perf_counter()
    r = await _send(client, res, key, body, token, deadline)
    if r is None:
        return
    if r.status_code >= 400:
        res.rejected_4xx += 1
        return
    res.latencies_ms.append((time.perf_counter() - t0) * 1000)
    uid = r.json()["uid"]
    res.acked[key] = uid
    if rng.random() < replay_share:  # the client lost the answer and sends it again
        r2 = await _send(client, res, key, body, token, deadline)
        if r2 is not None and r2.status_code < 300 and r2.json()["uid"] == uid:
            res.replays_ok += 1
        else:
            res.replays_mismatch += 1


async def run_load(base_url: str, token: str, *, seconds: float, rate: float,
                   concurrency: int = 64, replay_share: float = 0.1, seed: int = 0,
                   grace_s: float = 60.0, on_tick=None) -> LoadResult:
    rng = random.Random(seed)
    run_id = uuid.uuid4().hex[:8]
    res = LoadResult(run_id=run_id, seconds=seconds)
    sem = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    tasks = []
    start = time.monotonic()
    deadline = start + seconds + grace_s
    async with httpx.AsyncClient(base_url=base_url, timeout=10.0, limits=limits) as client:
        async def guarded(key, body):
            async with sem:
                await _one(client, res, key, body, token, deadline, replay_share, rng)

        i = 0
        while (now := time.monotonic()) - start < seconds:
            due = int((now - start) * rate)
            while i < due:
                lon = rng.uniform(STREET[0], STREET[2])
                lat = rng.uniform(STREET[1], STREET[3])
                body = {"category": rng.choice(CATEGORIES), "lon": lon, "lat": lat,
                        "datum": "cgcs2000", "channel": "12345",
                        "description": f"load {run_id} #{i}"}
                tasks.append(asyncio.create_task(guarded(f"{run_id}-{i}", body)))
                res.sent += 1
                i += 1
            if on_tick:
                on_tick(res)
            await asyncio.sleep(0.005)
        await asyncio.gather(*tasks)
    res.seconds = time.monotonic() - start
    return res


def verify(store, res: LoadResult) -> dict:
    """Check the store against what the clients were told."""
    import sqlalchemy as sa

    from geogrid.store import schema as S

    c = S.incidents.c
    with store.read() as conn:
        rows = conn.execute(sa.select(c.idempotency_key, c.uid).where(
            c.idempotency_key.like(f"{res.run_id}-%"))).all()
        descriptions = conn.execute(sa.select(sa.func.count()).select_from(S.incidents).where(
            c.description.like(f"load {res.run_id} #%"))).scalar_one()
    stored = {k: u for k, u in rows}
    lost = [k for k in res.acked if k not in stored]
    wrong = [k for k, u in res.acked.items() if k in stored and stored[k] != u]
    duplicated = descriptions - len(stored)  # rows written without (or with a repeated) key
    events = None
    with store.read() as conn:
        events = conn.execute(sa.select(sa.func.count()).select_from(S.incident_events).join(
            S.incidents, S.incident_events.c.incident_id == c.id).where(
            c.idempotency_key.like(f"{res.run_id}-%"))).scalar_one()
    return {"acked": len(res.acked), "stored": len(stored), "lost": len(lost),
            "wrong_uid": len(wrong), "duplicated": int(duplicated),
            "stored_unacked": len(set(stored) - set(res.acked)), "events": int(events)}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--rate", type=float, default=500)
    ap.add_argument("--store", choices=["spatialite", "postgis"], default="spatialite")
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args(argv)
    import tempfile
    from pathlib import Path

    from geogrid.store import Store
    from geogrid.store.demo import load_demo
    from tests.support.pgcluster import PgCluster
    from geogrid.store.users import create_user, issue_token

    from ._server import ApiServer

    cluster = None
    if args.store == "postgis":
        cluster = PgCluster().start()
        url = cluster.url
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'load.sqlite'}"
    try:
        store = Store.open(url)
        load_demo(store)
        create_user(store, "loader", "dispatcher")
        token = issue_token(store, "loader")
        with ApiServer(url, workers=args.workers) as server:
            res = asyncio.run(run_load(server.url, token, seconds=args.seconds, rate=args.rate))
        out = res.summary() | verify(store, res)
        print(out)
        store.dispose()
        return out
    finally:
        if cluster:
            cluster.stop()


if __name__ == "__main__":
    main()
