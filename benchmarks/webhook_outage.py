"""Webhooks under a receiver outage, with the production retry schedule, on loopback.

1. Intake latency with a healthy receiver (A) and with the receiver down (B), in
   alternating blocks A B A B: paired ratios B/A of the median ``POST /incidents`` time.
2. The receiver is down for ``--outage`` seconds (default 30) while incidents are reported
   and moved through the loop; then it comes back. Reported: events expected (from the
   incident timelines), received, duplicates, order violations per incident, signatures
   that failed, and how long after the receiver came back the last event arrived.

Plus whole-process wall time and peak memory (this process, and the server's).
Run: ``python -m benchmarks.webhook_outage [--outage 30] [--pairs 4] [--block 25]``.
Only 127.0.0.1 is contacted; the run stops by itself.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from tests.support.net import free_port

__all__ = ["Receiver", "run", "main"]


class Receiver:
    """A webhook receiver on loopback: keeps what verifies (``standardwebhooks``), counts
    what does not, and can go down and come back on the same port."""

    def __init__(self, port: int, secret: str):
        from standardwebhooks.webhooks import Webhook

        self.port, self.webhook = port, Webhook(secret)
        self.got: list[tuple[str, dict]] = []
        self.raw: list[tuple[bytes, dict]] = []
        self.bad = 0
        self.last_at = 0.0
        self.server: ThreadingHTTPServer | None = None

    def _handler(self):
        from standardwebhooks.webhooks import WebhookVerificationError

        rec = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    payload = rec.webhook.verify(body, headers)
                except WebhookVerificationError:
                    rec.bad += 1
                    self.send_response(401)
                else:
                    rec.got.append((headers["webhook-id"], payload))
                    rec.raw.append((body, headers))
                    rec.last_at = time.monotonic()
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        return Handler

    def start(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _prepare(tmp: Path) -> tuple[str, dict[str, str]]:
    from geogrid.store import Store
    from geogrid.store.demo import load_demo
    from geogrid.store.users import create_user, issue_token

    url = f"sqlite:///{tmp / 'bench.sqlite'}"
    store = Store.open(url)
    load_demo(store)
    tokens = {}
    for role in ("admin", "dispatcher"):
        create_user(store, f"bench_{role}", role)
        tokens[role] = issue_token(store, f"bench_{role}")
    store.dispose()
    return url, tokens


def _block(client: httpx.Client, n: int, seed: int, uids: list[str]) -> list[float]:
    times = []
    for i in range(n):
        lon = 121.508 + ((seed * 37 + i * 13) % 60) / 10_000  # inside the demo street
        lat = 31.233 + ((seed * 11 + i * 7) % 60) / 10_000
        t0 = time.perf_counter()
        r = client.post("/incidents", json={"category": "噪声", "lon": lon, "lat": lat,
                                            "datum": "wgs84"})
        times.append(time.perf_counter() - t0)
        assert r.status_code == 201, r.text
        uids.append(r.json()["uid"])
    return times


def _expected(client: httpx.Client, uids: set[str]) -> dict[str, list[int]]:
    out = {}
    for uid in uids:
        events = client.get(f"/incidents/{uid}").json()["events"]
        out[uid] = [e["seq"] for e in events if e["action"] in ("report", "escalate")
                    or e["from_status"] != e["to_status"]]
    return out


def _intake_pairs(disp: httpx.Client, receiver: Receiver, pairs: int, block: int,
                  uids: list[str]) -> list[tuple[float, float]]:
    """Median intake time with the receiver up (A) and down (B), alternating A B A B."""
    medians = []
    for p in range(pairs):
        a = statistics.median(_block(disp, block, 2 * p, uids))
        receiver.stop()
        b = statistics.median(_block(disp, block, 2 * p + 1, uids))
        receiver.start()
        medians.append((a, b))
    return medians


def _outage(disp: httpx.Client, receiver: Receiver, outage_s: float) -> tuple[list[str], float]:
    """Report and move incidents while the receiver is down; returns (uids, when it came back)."""
    receiver.stop()
    t_down = time.monotonic()
    uids = []
    while time.monotonic() - t_down < outage_s:
        uid = disp.post("/incidents", json={
            "category": "积水", "lon": 121.508 + (len(uids) % 8) * 0.0007,
            "lat": 31.234 + (len(uids) // 8) * 0.0007, "datum": "wgs84"}).json()["uid"]
        uids.append(uid)
        for action in ("start", "complete"):
            disp.post(f"/incidents/{uid}/actions", json={"action": action})
        time.sleep(1.0)
    receiver.start()
    return uids, time.monotonic()


def _received(receiver: Receiver) -> dict[str, list[int]]:
    per: dict[str, list[int]] = {}
    for _, p in receiver.got:
        if p["type"].startswith("incident."):
            per.setdefault(p["data"]["service_request_id"], []).append(p["data"]["seq"])
    return per


def run(outage_s: float = 30.0, pairs: int = 4, block: int = 25) -> dict:
    from ._server import ApiServer

    t_start = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="gg-webhooks-"))
    url, tokens = _prepare(tmp)
    port = free_port()
    server = ApiServer(url, env={"GEOGRID_DEMO": "0"}).start()
    try:
        admin = httpx.Client(base_url=server.url, timeout=30,
                             headers={"Authorization": f"Bearer {tokens['admin']}"})
        disp = httpx.Client(base_url=server.url, timeout=30,
                            headers={"Authorization": f"Bearer {tokens['dispatcher']}"})
        sub = admin.post("/webhooks", json={"url": f"http://127.0.0.1:{port}/hook"}).json()
        receiver = Receiver(port, sub["secret"])
        receiver.start()
        before: list[str] = []
        medians = _intake_pairs(disp, receiver, pairs, block, before)
        ratios = [b / a for a, b in medians]
        uids, t_up = _outage(disp, receiver, outage_s)
        want = _expected(admin, set(uids) | set(before))
        total = sum(map(len, want.values()))
        deadline = t_up + 300

        def arrived() -> int:
            got = _received(receiver)
            return sum(len(set(v) & set(got.get(k, []))) for k, v in want.items())

        while time.monotonic() < deadline and arrived() < total:
            time.sleep(0.5)
        time.sleep(3)
        per = _received(receiver)
        ids = [m for m, _ in receiver.got]
        result = {
            "outage_s": outage_s, "incidents_in_outage": len(uids),
            "events_expected": total,
            "events_received": sum(len(v) for k, v in per.items() if k in want),
            "duplicates": len(ids) - len(set(ids)),
            "missing": sum(len(set(v) - set(per.get(k, []))) for k, v in want.items()),
            "order_violations": sum(per.get(k, []) != v for k, v in want.items()),
            "bad_signatures": receiver.bad,
            "catch_up_s": round(receiver.last_at - t_up, 2),
            "intake_median_ms": [(round(a * 1e3, 2), round(b * 1e3, 2)) for a, b in medians],
            "intake_ratio_down_over_up": [round(r, 3) for r in ratios],
            "intake_ratio_geomean": round(statistics.geometric_mean(ratios), 3),
        }
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    result["wall_s"] = round(time.perf_counter() - t_start, 1)
    result["peak_rss_mb_self"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    result["peak_rss_mb_server"] = round(
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outage", type=float, default=30.0)
    parser.add_argument("--pairs", type=int, default=4)
    parser.add_argument("--block", type=int, default=25)
    args = parser.parse_args(argv)
    for key, value in run(args.outage, args.pairs, args.block).items():
        print(f"{key:28s} {value}")


if __name__ == "__main__":
    main()
