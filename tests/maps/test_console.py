"""The dispatcher console in headless Chromium, on incidents created through the API."""

from __future__ import annotations

import pytest

from tests.maps.conftest import sign_in_console

pytestmark = pytest.mark.browser


@pytest.fixture
def console(page, live_server, live_incidents, live_login):
    """The console, signed in through its form."""
    return sign_in_console(page, live_server, live_login)


def open_incident(page, uid):
    page.click(f'.gg-inc[data-uid="{uid}"]')
    page.wait_for_selector(f'#gg-detail[data-uid="{uid}"] #gg-timeline li')


def test_sign_in_lists_incidents_and_keeps_the_token_in_session_storage(console, live_incidents,
                                                                        live_login, artifacts):
    page = console
    uids = set(page.locator(".gg-inc").evaluate_all("els => els.map(e => e.dataset.uid)"))
    assert {i["uid"] for i in live_incidents} <= uids
    stored = page.evaluate("JSON.parse(sessionStorage.getItem('geogrid.session'))")
    assert stored["token"].count(".") == 2 and stored["role"] == "dispatcher"
    assert page.evaluate("localStorage.length") == 0 and "geogrid" not in page.evaluate("document.cookie")
    assert page.locator("#gg-user").inner_text() == live_login[0]
    # grouped by status and category, with a tab per status
    heads = page.locator(".gg-group-head").all_inner_texts()
    assert any("积水" in h for h in heads) and any("井盖" in h for h in heads)
    assert page.locator('.gg-tab[data-status="dispatched"]').count() == 1
    # the overdue 井盖 report (reported 12 days ago, still dispatched) is highlighted
    overdue = next(i for i in live_incidents if i["category"] == "manhole_cover")
    item = page.locator(f'.gg-inc[data-uid="{overdue["uid"]}"]')
    assert "gg-overdue" in item.get_attribute("class") and "超时" in item.inner_text()
    assert page.locator("path.gg-inc-marker.gg-overdue").count() >= 1
    page.click('.gg-tab[data-status="overdue"]')
    assert page.locator(".gg-inc").count() >= 1 and all(
        "gg-overdue" in c for c in page.locator(".gg-inc").evaluate_all(
            "els => els.map(e => e.className)"))
    # the heatmap is drawn on its own canvas
    assert page.locator("canvas.leaflet-heatmap-layer").count() == 1
    page.screenshot(path=str(artifacts / "console-list.png"))
    # still signed in after a reload (same tab)
    page.reload()  # the live event stream stays open: the network is never idle once signed in
    page.wait_for_selector(".gg-inc")
    assert page.console_errors == [] and page.external_requests == []


def test_open_incident_shows_chain_timeline_and_route(console, live_incidents, live_api,
                                                     artifacts):
    page = console
    inc = live_incidents[0]
    open_incident(page, inc["uid"])
    chain = page.locator("#gg-chain li").all_inner_texts()
    # the 楼组 level shows when the incident's point lies in one (楼组 tile their microgrid)
    group = inc["area_chain"].get("building_group")
    assert [c.split(":")[0] for c in chain] == ["街道", "网格", "居民区/商务区", "微网格"] + (
        ["楼组/楼宇"] if group else [])
    assert "崂山住区" in chain[1] and inc["area_chain"]["community"]["code"] in chain[2]
    assert inc["area_chain"]["microgrid"]["code"] in chain[3]
    if group:
        named = [str(group[k]) for k in ("code", "name", "id") if group.get(k)]
        assert named and any(v in chain[4] for v in named), (group, chain[4])
    actions = page.locator("#gg-timeline li").evaluate_all("els => els.map(e => e.dataset.action)")
    assert actions[:3] == ["report", "accept", "dispatch"]
    # personal data is shown to the dispatcher, as text
    assert "居民张0" in page.locator("#gg-d-fields").inner_text()
    # the description is text, never markup
    assert "<img src=x onerror=alert(1)>楼道积水" in page.locator("#gg-d-fields").inner_text()
    assert page.locator("#gg-side img").count() == 0
    page.click("#gg-route-btn")
    page.wait_for_selector("path.gg-route")
    assert page.locator("path.gg-responder").count() == 1
    info = page.locator("#gg-route-info").inner_text()
    # with no responder chosen the route goes to the first of the ranked list (fastest by
    # road); the demo places one 网格员 in the incident's own microgrid, and ranks it too
    code = inc["area_chain"]["microgrid"]["code"]
    placed = [r["name"] for r in live_api.get("/responders").json() if r.get("area_code") == code]
    assert len(placed) == 1 and placed[0].startswith("演示网格员")
    ranked = live_api.get(f"/incidents/{inc['uid']}/responders").json()
    assert placed[0] in [r["name"] for r in ranked]
    assert ranked[0]["name"] in info and "公里" in info
    d = page.locator("path.gg-route").get_attribute("d")
    assert d and d.count("L") >= 2          # a polyline, not a dot
    page.screenshot(path=str(artifacts / "console-route.png"))
    assert page.console_errors == [] and page.external_requests == []


def test_actions_move_the_incident_and_ask_for_reasons(console, live_incidents):
    page = console
    inc = live_incidents[1]
    open_incident(page, inc["uid"])
    page.click('#gg-actions button[data-action="start"]')
    page.wait_for_selector('#gg-timeline li[data-action="start"]')
    assert "处置中" in page.locator("#gg-d-fields").inner_text()
    # returning needs a reason: an inline form asks for it
    page.click('#gg-actions button[data-action="return"]')
    assert page.locator("#gg-action-form").is_visible()
    page.fill("#gg-af-reason", "非本网格事项 <script>")
    page.click("#gg-action-form button[type=submit]")
    page.wait_for_selector('#gg-timeline li[data-action="return"]')
    assert "非本网格事项 <script>" in page.locator('#gg-timeline li[data-action="return"]').inner_text()
    assert page.locator('.gg-inc[data-uid="%s"][data-status="accepted"]' % inc["uid"]).count() == 1
    assert page.console_errors == []


def test_filter_by_microgrid_and_time(console, live_incidents, live_api):
    page = console
    target = live_incidents[3]
    mg = target["area_chain"]["microgrid"]["id"]
    # other tests of the session may report in the same microgrid: all of them, and no other
    page.click('.gg-tab[data-status="all"]')
    inside = sorted(i["uid"] for i in live_api.get("/incidents", params={"limit": 2000}).json()
                    if (i["area_chain"].get("microgrid") or {}).get("id") == mg)
    assert target["uid"] in inside and len(inside) < len(live_incidents)
    page.select_option("#gg-f-area", f"mg:{mg}")
    page.wait_for_function(
        "uids => [...document.querySelectorAll('.gg-inc')].map(e => e.dataset.uid).sort().join() === uids",
        arg=",".join(inside))
    page.select_option("#gg-f-area", "")
    page.wait_for_function("n => document.querySelectorAll('.gg-inc').length >= n",
                           arg=len(live_incidents) - 1)
    # a window that ends before the overdue report was filed hides everything else
    page.click('.gg-tab[data-status="all"]')
    page.fill("#gg-f-until", "2000-01-01T00:00")
    page.dispatch_event("#gg-f-until", "change")
    page.wait_for_selector("#gg-list >> text=没有符合条件的事件")
    assert page.console_errors == []


def test_sign_in_failure_is_reported(page, live_server, live_login):
    page.goto(live_server + "/console?lang=en", wait_until="networkidle")
    page.fill("#gg-username", live_login[0])
    page.fill("#gg-password", "wrong password")
    page.click("#gg-signin button[type=submit]")
    page.wait_for_selector("#gg-signin-error >> text=Sign-in failed")
    assert page.evaluate("sessionStorage.getItem('geogrid.session')") is None
    # the 401 of the failed sign-in is the only console message
    assert all("401" in e for e in page.console_errors)
