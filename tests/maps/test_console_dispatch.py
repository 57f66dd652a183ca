"""The console as a dispatcher uses it: taking a call, choosing a responder, live updates,
the 待指挥 queue, the heat layer and the printed 派单 sheet (headless Chromium, offline)."""

from __future__ import annotations

import json
import math
import threading
import time

import httpx
import pytest

from geogrid.store import Store
from geogrid.store.users import create_user, issue_token
from tests.maps.conftest import offline_page, sign_in_console

pytestmark = pytest.mark.browser


#: screenshots of this module go to ``artifacts/console`` (the ``shots`` fixture)
SHOTS = "console"


def sign_in(page, live_server, login):
    """Signed in, with the live stream connected."""
    sign_in_console(page, live_server, login)
    page.wait_for_selector('#gg-live[data-live="1"]')
    return page


@pytest.fixture
def console(page, live_server, live_incidents, live_login):
    return sign_in(page, live_server, live_login)


def take_call(page, category: str, *, name: str, phone: str, text: str):
    if not page.locator("#gg-call").is_visible():
        page.click("#gg-call-open")
    page.fill("#gg-c-address", "")
    page.type("#gg-c-address", "崂山")
    first = page.locator('#gg-c-suggest .gg-sugg:not([data-kind="道路"])').first
    first.wait_for()
    label = first.inner_text().rsplit(" ", 1)[0]
    first.click()
    assert page.input_value("#gg-c-address") == label
    page.select_option("#gg-c-category", label=None, value=category)
    page.fill("#gg-c-name", name)
    page.fill("#gg-c-phone", phone)
    page.fill("#gg-c-description", text)
    page.click("#gg-call-form button[type=submit]")
    return label


def test_take_a_call_with_an_address_suggestion_and_merge_a_duplicate(console, live_api, shots):
    page = console
    label = take_call(page, "streetlight", name="来电人李四", phone="13900001111", text="路灯不亮")
    page.wait_for_selector("#gg-c-status >> text=已登记")
    uid = page.locator("#gg-c-status").inner_text().split()[-1]
    page.wait_for_selector(f'#gg-detail[data-uid="{uid}"]')
    saved = live_api.get(f"/incidents/{uid}").json()
    assert (saved["address"], saved["category"], saved["channel"]) == (label, "streetlight", "12345")
    assert (saved["reporter_name"], saved["reporter_phone"]) == ("来电人李四", "13900001111")
    assert saved["description"] == "路灯不亮" and saved["status"] == "dispatched"
    page.screenshot(path=str(shots / "call-saved.png"))
    # the same place and category again: the open report is offered for merging first
    take_call(page, "streetlight", name="来电人王五", phone="13900002222", text="还是不亮")
    page.wait_for_selector(f'#gg-c-dups .gg-dup[data-uid="{uid}"]')
    assert "可能重复" in page.locator("#gg-c-dups").inner_text()
    page.screenshot(path=str(shots / "call-duplicate.png"))
    page.click(f'#gg-c-dups .gg-dup[data-uid="{uid}"] .gg-dup-merge')
    page.wait_for_selector(f"#gg-c-status >> text=已合并至 {uid}")
    merged = [i for i in live_api.get("/incidents", params={"category": "streetlight"}).json()
              if i["merged_into"] == uid]
    assert len(merged) == 1 and merged[0]["reporter_name"] == "来电人王五"
    assert merged[0]["status"] == "rejected"
    assert page.console_errors == [] and page.external_requests == []


def test_choose_the_second_ranked_responder_and_the_route_follows(console, live_incidents, live_api,
                                                                   shots):
    page = console
    inc = live_incidents[2]
    page.click(f'.gg-inc[data-uid="{inc["uid"]}"]')
    page.wait_for_selector("#gg-responders .gg-resp")
    ranked = live_api.get(f"/incidents/{inc['uid']}/responders").json()
    assert len(ranked) >= 2 and ranked[0]["duration_s"] <= ranked[1]["duration_s"]
    shown = page.locator("#gg-responders .gg-resp").evaluate_all("els => els.map(e => +e.dataset.id)")
    assert shown == [r["id"] for r in ranked]
    page.click("#gg-route-btn")
    page.wait_for_selector("path.gg-route")
    assert ranked[0]["name"] in page.locator("#gg-route-info").inner_text()
    before = page.locator("path.gg-route").get_attribute("d")
    second = ranked[1]
    page.click(f'#gg-responders .gg-resp[data-id="{second["id"]}"] .gg-choose')
    page.wait_for_selector('#gg-timeline li[data-action="assign"]')
    page.wait_for_function("name => document.getElementById('gg-route-info').textContent"
                           ".includes(name)", arg=second["name"])
    assert "指派人员" in page.locator('#gg-timeline li[data-action="assign"]').inner_text()
    page.wait_for_selector(f'#gg-responders .gg-resp.gg-chosen[data-id="{second["id"]}"]')
    assert page.locator("#gg-responders .gg-chosen").count() == 1
    after = page.locator("path.gg-route").get_attribute("d")
    assert after and after != before
    routed = live_api.get(f"/incidents/{inc['uid']}/route").json()
    assert routed["responder"]["id"] == second["id"]
    page.screenshot(path=str(shots / "responder-chosen.png"))
    assert page.console_errors == [] and page.external_requests == []


def test_a_second_dispatcher_sees_a_new_incident_within_two_seconds(console, browser, live_server,
                                                                     live_login, live_api, shots):
    ctx, other = offline_page(browser, live_server, bypass_csp=True)
    try:
        sign_in(other, live_server, live_login)
        take_call(console, "fire_lane", name="来电人赵六", phone="13900003333", text="消防通道堵塞")
        console.wait_for_selector("#gg-c-status >> text=已登记")
        uid = console.locator("#gg-c-status").inner_text().split()[-1]
        t0 = time.monotonic()
        other.wait_for_selector(f'.gg-inc[data-uid="{uid}"]', timeout=2000)
        assert time.monotonic() - t0 < 2.0
        other.wait_for_selector(".gg-toast-new >> text=消防通道占用", timeout=2000)
        other.screenshot(path=str(shots / "live-toast.png"))
        assert other.console_errors == [] and other.external_requests == []
    finally:
        ctx.close()


@pytest.fixture(scope="module")
def scoped_dispatcher(live_store, live_incidents):
    """A dispatcher whose scope is the grid of the first report."""
    db, _ = live_store
    grid = live_incidents[0]["area_chain"]["grid"]["code"]
    store = Store.open(f"sqlite:///{db}", migrate=False)
    try:
        create_user(store, "disp_grid", "dispatcher", scope=grid)
        return issue_token(store, "disp_grid"), grid
    finally:
        store.dispose()


def _listen(url: str, token: str, seen: list, stop: threading.Event):
    with httpx.stream("GET", url + "/events/incidents", timeout=10,
                      headers={"Authorization": f"Bearer {token}"}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("data:"):
                seen.append(json.loads(line[5:]))
            if stop.is_set():
                return


def test_the_event_stream_carries_only_incidents_in_scope(live_server, live_api, live_incidents,
                                                         scoped_dispatcher):
    token, grid = scoped_dispatcher
    outside = next(i for i in live_incidents if i["area_chain"]["grid"]["code"] != grid)
    seen: list = []
    stop = threading.Event()
    th = threading.Thread(target=_listen, args=(live_server, token, seen, stop), daemon=True)
    th.start()
    deadline = time.monotonic() + 5
    while not seen and time.monotonic() < deadline:
        time.sleep(0.05)
    assert seen and "last" in seen[0]  # the hello frame
    made = {}
    for name, src in (("in", live_incidents[0]), ("out", outside)):
        r = live_api.post("/incidents", json={"category": "绿化损坏", "lon": src["lon"],
                                              "lat": src["lat"], "datum": "cgcs2000"})
        assert r.status_code == 201, r.text
        made[name] = r.json()["uid"]
    deadline = time.monotonic() + 5
    while not any(e.get("uid") == made["in"] for e in seen) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.5)  # one more poll: the out-of-scope report was written after
    stop.set()
    uids = {e.get("uid") for e in seen[1:]}
    assert made["in"] in uids and made["out"] not in uids
    # without a token there is no stream
    assert httpx.get(live_server + "/events/incidents", timeout=5).status_code in (401, 403)


def test_manual_command_queue(console, live_api, shots):
    page = console
    take_call(page, "dispute", name="来电人孙七", phone="13900004444", text="邻里纠纷")
    page.wait_for_selector("#gg-c-status >> text=已登记")
    uid = page.locator("#gg-c-status").inner_text().split()[-1]
    item = page.locator(f'#gg-queue-list .gg-q[data-uid="{uid}"]')
    item.wait_for()
    assert "矛盾纠纷" in item.inner_text()
    assert live_api.get(f"/incidents/{uid}").json()["status"] == "accepted"
    page.screenshot(path=str(shots / "command-queue.png"))
    item.locator(".gg-q-command").click()
    page.wait_for_selector('#gg-timeline li[data-action="dispatch"]')
    page.wait_for_selector(f'#gg-queue-list .gg-q[data-uid="{uid}"]', state="detached")
    assert live_api.get(f"/incidents/{uid}").json()["status"] == "dispatched"
    assert page.console_errors == []


def test_heat_radius_is_fixed_on_the_ground_and_the_sheet_prints(console, live_incidents, shots):
    page = console
    target = live_incidents[0]
    radii = {}
    for z in (14, 15, 16, 18):
        page.evaluate("([z, lat, lon]) => window.geogrid.map.setView([lat, lon], z, {animate: false})",
                      [z, target["lat"], target["lon"]])
        page.wait_for_function("z => window.geogrid.map.getZoom() === z", arg=z)
        r, lat, top, full = page.evaluate(
            "[window.geogrid.heatLayer.options.radius, window.geogrid.map.getCenter().lat,"
            " window.geogrid.map.getMaxZoom(), window.geogrid.heatLayer.options.max]")
        radii[z] = (r, r * 40075016.686 * math.cos(math.radians(lat)) / 2 ** (z + 8))
        # Leaflet.heat scales each report by 1/2^(top - z): max follows, so 3 reports in one
        # spot are the darkest colour at every zoom, and the layer stays switchable
        assert full * 2 ** min(top - z, 12) == pytest.approx(3)
        assert not page.locator(".leaflet-control-layers-overlays input").nth(2).is_disabled()
        page.screenshot(path=str(shots / f"heat-z{z}.png"))
    # the same 120 m on the ground from the district to the block; at street level the
    # radius stops at 70 px (Leaflet.heat's blur template breaks up beyond that)
    assert all(abs(radii[z][1] - 120) < 1 for z in (14, 15, 16))
    assert radii[18][0] == 70
    grad = page.evaluate("window.geogrid.heatLayer.options.gradient")
    lum = [0.299 * int(c[1:3], 16) + 0.587 * int(c[3:5], 16) + 0.114 * int(c[5:7], 16)
           for _, c in sorted(grad.items(), key=lambda kv: float(kv[0]))]
    assert lum == sorted(lum, reverse=True)  # one hue ramp, light to dark
    inc = live_incidents[3]
    page.click(f'.gg-inc[data-uid="{inc["uid"]}"]')
    page.wait_for_selector(f'#gg-detail[data-uid="{inc["uid"]}"] #gg-timeline li')
    # the print dialog itself cannot be driven headless: count the calls instead
    page.evaluate("() => { window.print = () => { window.__printed = (window.__printed || 0) + 1 }; }")
    page.click("#gg-print-order")
    assert page.evaluate("window.__printed") == 1
    page.emulate_media(media="print")
    sheet = page.locator("#gg-print-sheet .gg-order")
    assert sheet.is_visible() and not page.locator("#gg-side").is_visible()
    text = sheet.inner_text()
    assert "派单单" in text and inc["uid"] in text and "违法搭建" in text and "居民张3" in text
    page.pdf(path=str(shots / "dispatch-sheet.pdf"))
    page.screenshot(path=str(shots / "dispatch-sheet.png"))
    page.emulate_media(media="screen")
    assert page.console_errors == []
