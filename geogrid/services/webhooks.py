"""Webhooks out: signed JSON to subscribers for incident and plan events, with retries.

Design
    An outbox read from the store's own history: the incident timeline
    (``incident_events``) and the audit log (plan activations), past a cursor
    (:func:`geogrid.store.webhooks.enqueue_new`). Intake code does not change
    and never waits for a receiver: a background :class:`Dispatcher` does the
    sending, one process at a time (a lease in the store).

Events
    ``incident.created`` (the report event), ``incident.status_changed`` (every
    event that moves the status), ``incident.overdue`` (the escalation timer
    fired) and ``plan.activated``. Payloads carry no personal data and no exact
    position: the uid, category, status, microgrid and handler. A receiver
    reads the full record with its own staff key.

Signatures
    `Standard Webhooks <https://www.standardwebhooks.com>`_: headers
    ``webhook-id`` (the same on every retry of a message), ``webhook-timestamp``
    and ``webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>``,
    where the key is the base64 part of the subscriber's ``whsec_…`` secret.

Retries
    Attempt *n* failing waits ``min(retry_max_s, retry_base_s · 2^(n-1))``;
    after ``max_attempts`` the delivery is marked failed. Events of one incident
    are delivered in their order: a later one waits until the earlier one is
    delivered or failed. Every attempt is logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..store import webhooks as W
from ..store.repo import Store, now
from .open311 import iso

__all__ = ["EVENT_TYPES", "RetryPolicy", "iso", "new_secret", "sign", "build_event",
           "Dispatcher"]

log = logging.getLogger("geogrid.webhooks")

EVENT_TYPES = ("incident.created", "incident.status_changed", "incident.overdue",
               "plan.activated")


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value of ``body`` (Standard Webhooks, v1 = HMAC-SHA256)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


@dataclass(frozen=True)
class RetryPolicy:
    retry_base_s: float = 2.0
    retry_max_s: float = 600.0
    max_attempts: int = 20

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return min(self.retry_max_s, self.retry_base_s * 2 ** max(0, attempt - 1))


def _incident_event(row: dict) -> tuple[str, str, dict] | None:
    if row["action"] == "report":
        etype = "incident.created"
    elif row["action"] == "escalate":
        etype = "incident.overdue"
    elif row["from_status"] != row["to_status"]:
        etype = "incident.status_changed"
    else:
        return None
    chain = row.get("area_chain") or {}
    mg = chain.get("microgrid") or {}
    data = {"service_request_id": row["uid"], "seq": row["seq"], "action": row["action"],
            "from_status": row["from_status"], "to_status": row["to_status"],
            "category": row["category"], "channel": row.get("channel"),
            "microgrid": mg.get("id") or row.get("microgrid_uid"), "microgrid_code": mg.get("code"),
            "handler": row.get("handler"), "handler_kind": row.get("handler_kind"),
            "deadline_at": iso(row.get("deadline_at"))}
    if etype == "incident.overdue":
        data["escalation_level"] = (row.get("data") or {}).get("level")
    return etype, row["uid"], {"type": etype, "occurred_at": iso(row["at"]), "data": data}


def build_event(row: dict, source: str) -> tuple[str, str, dict] | None:
    """A source row (timeline event or audit entry) → (type, entity, payload), or None."""
    if source == "events":
        return _incident_event(row)
    if row.get("action") != "plan.activate":
        return None
    after = row.get("after") or {}
    data = {"plan_id": int(row["entity_id"]), "effective_at": iso(after.get("effective_at")),
            "retired": (row.get("before") or {}).get("retired") or []}
    return "plan.activated", f"plan-{row['entity_id']}", \
        {"type": "plan.activated", "occurred_at": iso(row["at"]), "data": data}


Poster = Callable[[str, bytes, dict], int]


def _httpx_poster(timeout_s: float) -> Poster:
    """A poster over one httpx client, made on the first delivery: importing httpx and
    building its TLS context took most of a new worker's start, which has no delivery
    to make yet."""
    client = []
    lock = threading.Lock()

    def post(url: str, body: bytes, headers: dict) -> int:
        if not client:
            with lock:
                if not client:
                    import httpx

                    client.append(httpx.Client(timeout=timeout_s, follow_redirects=False))
        return client[0].post(url, content=body, headers=headers).status_code

    return post


class Dispatcher:
    """Queues and sends deliveries; :meth:`run_once` is one pass, :meth:`start` runs passes
    every ``poll_s`` in a daemon thread."""

    def __init__(self, store: Store, *, policy: RetryPolicy | None = None, poll_s: float = 1.0,
                 timeout_s: float = 5.0, poster: Poster | None = None, workers: int = 4):
        self.store = store
        self.policy = policy or RetryPolicy()
        self.poll_s = poll_s
        self.workers = workers
        self.post = poster or _httpx_poster(timeout_s)
        self.holder = f"{threading.get_native_id()}-{secrets.token_hex(4)}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- one pass ---------------------------------------------------------------------------
    def run_once(self, at: datetime | None = None) -> dict:
        """Queue new events and send what is due; returns counts."""
        if not W.acquire_lease(self.store, self.holder, ttl_s=max(20.0, 10 * self.poll_s)):
            return {"leader": False, "queued": 0, "sent": 0, "failed": 0}
        queued = W.enqueue_new(self.store, build_event)
        sent = failed = 0
        for _ in range(50):  # successors of delivered events are due at once
            due = W.due_deliveries(self.store, at or now())
            if not due:
                break
            ok, bad = self._send_all(due)
            sent, failed = sent + ok, failed + bad
            if ok == 0:
                break
        return {"leader": True, "queued": queued, "sent": sent, "failed": failed}

    def _send_all(self, due: list[dict]) -> tuple[int, int]:
        from concurrent.futures import ThreadPoolExecutor

        by_sub: dict[int, list[dict]] = {}
        for d in due:
            by_sub.setdefault(d["subscriber_id"], []).append(d)
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            results = list(pool.map(self._send_subscriber, by_sub.values()))
        return sum(r[0] for r in results), sum(r[1] for r in results)

    def _send_subscriber(self, items: list[dict]) -> tuple[int, int]:
        """Send in order; after the first failure the rest wait (the receiver is likely down)."""
        ok = 0
        for d in items:
            if self._attempt(d):
                ok += 1
            else:
                return ok, 1
        return ok, 0

    def _attempt(self, d: dict) -> bool:
        msg_id = f"msg_{d['id']}"
        ts = int(time.time())
        body = json.dumps({"id": msg_id, **d["payload"]}, ensure_ascii=False,
                          separators=(",", ":")).encode()
        headers = {"content-type": "application/json", "webhook-id": msg_id,
                   "webhook-timestamp": str(ts),
                   "webhook-signature": sign(d["secret"], msg_id, ts, body),
                   "user-agent": "geogrid-webhooks/1"}
        status, error = None, None
        try:
            status = self.post(d["url"], body, headers)
        except Exception as exc:  # the receiver is down, slow or unreachable
            error = f"{type(exc).__name__}: {exc}"
        good = status is not None and 200 <= status < 300
        attempt = d["attempts"] + 1
        next_at = None if good or attempt >= self.policy.max_attempts else \
            now() + timedelta(seconds=self.policy.delay(attempt))
        W.record_attempt(self.store, d["id"], ok=good, status=status,
                         error=error or (None if good else f"HTTP {status}"), next_at=next_at)
        return good

    # -- background ---------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="geogrid-webhooks", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # a pass that fails (store down) is retried next time
                log.warning("webhook pass failed / 推送轮次失败", exc_info=True)
            self._stop.wait(self.poll_s)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
