"""Webhooks out, end to end: a real HTTP receiver verifies every signature with the
``standardwebhooks`` library, goes down, comes back, and then gets every event once, in
order per incident. Another subscriber that never answers does not hold anything up."""

from __future__ import annotations

import json
import socket
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from benchmarks.webhook_outage import Receiver
from geogrid.store.incidents import IncidentService
from tests.support.net import free_port


class Silent:
    """Accepts connections and never answers (a hung receiver)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()


def _wait(cond, timeout: float = 40.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.2)
    return False


def _expected(live, uids: list[str]) -> dict[str, list[int]]:
    """Per incident, the seqs of its timeline that a subscriber must hear about."""
    out = {}
    for uid in uids:
        events = httpx.get(f"{live.url}/incidents/{uid}",
                           headers=live.auth("admin")).json()["events"]
        out[uid] = [e["seq"] for e in events if e["action"] in ("report", "escalate")
                    or e["from_status"] != e["to_status"]]
    return out


def _report(live, body: dict) -> str:
    r = httpx.post(f"{live.url}/incidents", headers=live.auth("dispatcher"),
                   json={"datum": "wgs84", **body})
    assert r.status_code == 201, r.text
    return r.json()["uid"]


@pytest.fixture
def subscribed(live_any):
    live = live_any
    silent = Silent()
    port = free_port()
    admin = live.auth("admin")
    r = httpx.post(f"{live.url}/webhooks", headers=admin,
                   json={"url": f"http://127.0.0.1:{port}/hook", "description": "12345 平台"})
    assert r.status_code == 201 and r.json()["secret"].startswith("whsec_")
    hung = httpx.post(f"{live.url}/webhooks", headers=admin,
                      json={"url": f"http://127.0.0.1:{silent.port}/hook"}).json()
    receiver = Receiver(port, r.json()["secret"])
    receiver.start()
    yield receiver, r.json()
    receiver.stop()
    silent.close()
    for sid in (r.json()["id"], hung["id"]):
        httpx.delete(f"{live.url}/webhooks/{sid}", headers=admin)


def test_every_event_once_in_order_after_an_outage(live_any, subscribed):
    """On both stores (on PostgreSQL the outbox reads with a look-back window)."""
    live, (receiver, sub) = live_any, subscribed
    a = _report(live, {"category": "积水", "lon": 121.5120, "lat": 31.2370})
    assert _wait(lambda: len(receiver.got) >= 3), receiver.got
    receiver.stop()  # down: connections refused from now on
    t_down = time.monotonic()
    for action in ("start", "complete"):
        r = httpx.post(f"{live.url}/incidents/{a}/actions", headers=live.auth("dispatcher"),
                       json={"action": action})
        assert r.status_code == 200, r.text
    b = httpx.post(f"{live.url}/open311/v2/requests.json", data={
        "service_code": "0101", "lat": 31.2330, "long": 121.5150,
        "api_key": live.tokens["dispatcher"]}).json()[0]["service_request_id"]
    c = _report(live, {"category": "井盖", "lon": 121.5185, "lat": 31.2330,
                       "reported_at": (datetime.now(UTC) - timedelta(days=2)).isoformat()})
    store = live.store()
    try:
        assert IncidentService(store).tick()["escalated"]  # c is long overdue
    finally:
        store.dispose()
    draft = httpx.post(f"{live.url}/plans/1/copy", json={}, headers=live.auth("planner")).json()
    assert httpx.post(f"{live.url}/plans/{draft['id']}/activate",
                      json={"version": draft["version"]},
                      headers=live.auth("planner")).status_code == 200
    log = f"{live.url}/webhooks/deliveries"
    assert _wait(lambda: any(d["attempts"] >= 2 and d["last_error"] for d in httpx.get(
        log, params={"subscriber_id": sub["id"], "status": "pending"},
        headers=live.auth("admin")).json()))
    time.sleep(max(0.0, 4.0 - (time.monotonic() - t_down)))
    receiver.start()  # back

    want = _expected(live, [a, b, c])
    total = sum(map(len, want.values())) + 1  # + plan.activated
    assert _wait(lambda: len(receiver.got) >= total), (len(receiver.got), total)
    time.sleep(1.5)  # nothing more may come

    ids = [m for m, _ in receiver.got]
    assert len(ids) == len(set(ids)) == total and receiver.bad == 0
    per_incident: dict[str, list[int]] = {}
    for _, payload in receiver.got:
        if payload["type"].startswith("incident."):
            per_incident.setdefault(payload["data"]["service_request_id"], []).append(
                payload["data"]["seq"])
    assert per_incident == want
    types = [p["type"] for _, p in receiver.got]
    assert "incident.overdue" in types and types.count("plan.activated") == 1
    assert types.count("incident.created") == 3
    plan_event = next(p for _, p in receiver.got if p["type"] == "plan.activated")
    assert plan_event["data"]["plan_id"] == draft["id"] and plan_event["data"]["retired"] == [1]
    assert all(p["occurred_at"].endswith("+08:00") for _, p in receiver.got)


def test_payloads_carry_no_personal_data_and_signatures_bind_the_secret(live_any, subscribed):
    live, (receiver, _) = live_any, subscribed
    uid = _report(live, {"category": "噪声", "lon": 121.5010, "lat": 31.2300,
                         "reporter": {"name": "王隐私", "phone": "13811112222"},
                         "description": "楼上住户王隐私深夜装修"})
    assert _wait(lambda: any(p["data"].get("service_request_id") == uid
                             for _, p in receiver.got))
    body, headers = next((b, h) for b, h in receiver.raw if uid.encode() in b)
    text = body.decode()
    assert "王隐私" not in text and "13811112222" not in text and "31.23" not in text
    assert json.loads(body)["id"] == headers["webhook-id"]
    other = Webhook("whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo3ODkwMTI=")
    with pytest.raises(WebhookVerificationError):
        other.verify(body, headers)
    tampered = body.replace(b'"seq":1', b'"seq":9')
    with pytest.raises(WebhookVerificationError):
        receiver.webhook.verify(tampered, headers)


def test_only_admins_manage_webhooks(live):
    body = {"url": "http://127.0.0.1:9/hook"}
    assert httpx.post(f"{live.url}/webhooks", json=body).status_code == 401
    for who in ("dispatcher", "planner", "responder"):
        assert httpx.post(f"{live.url}/webhooks", json=body,
                          headers=live.auth(who)).status_code == 403
        assert httpx.get(f"{live.url}/webhooks", headers=live.auth(who)).status_code == 403
    bad = httpx.post(f"{live.url}/webhooks", json={"url": "ftp://x"}, headers=live.auth("admin"))
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "url"
    listed = httpx.get(f"{live.url}/webhooks", headers=live.auth("admin")).json()
    assert all("secret" not in s for s in listed)
    gone = httpx.delete(f"{live.url}/webhooks/999999", headers=live.auth("admin"))
    assert gone.status_code == 404
