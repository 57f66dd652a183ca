"""A plan name with no break opportunity (a long code, a pasted id) stays inside the
editor's side panel: it wraps, and each draft's 继续编辑 button stays on screen and
clickable. A 150-digit draft name once pushed the button out of the panel."""

from __future__ import annotations

import httpx
import pytest

from tests.maps.conftest import sign_in_editor

pytestmark = pytest.mark.browser

LONG = "0" * 150


@pytest.fixture
def long_draft(live_server, live_planner):
    tok = httpx.post(f"{live_server}/auth/token", timeout=30,
                     data={"username": live_planner[0], "password": live_planner[1]}).json()
    with httpx.Client(base_url=live_server, timeout=30,
                      headers={"Authorization": f"Bearer {tok['access_token']}"}) as api:
        active = api.get("/plans/active").json()["id"]
        draft = api.post(f"/plans/{active}/copy", json={"name": LONG})
        assert draft.status_code == 201, draft.text
        yield draft.json()
        api.delete(f"/plans/{draft.json()['id']}", params={"version": draft.json()["version"]})


def test_a_long_unbroken_draft_name_keeps_its_button_in_the_panel(page, live_server,
                                                                  live_planner, long_draft):
    sign_in_editor(page, live_server, live_planner)
    item = page.locator(f'#gg-drafts li[data-plan="{long_draft["id"]}"]')
    item.wait_for()
    side = page.locator("#gg-drafts").bounding_box()
    row = item.bounding_box()
    button = item.locator("button.gg-open").bounding_box()
    assert LONG in item.inner_text()
    assert row["x"] + row["width"] <= side["x"] + side["width"] + 1
    right = side["x"] + side["width"] + 1
    assert side["x"] <= button["x"] and button["x"] + button["width"] <= right
    # the name wraps rather than overflowing its row
    overflow = item.evaluate("li => li.scrollWidth - li.clientWidth")
    assert overflow <= 1
    item.locator("button.gg-open").click()
    page.wait_for_selector(f'#gg-workspace[data-plan="{long_draft["id"]}"]')
    head = page.locator("#gg-workspace").evaluate("w => w.scrollWidth - w.clientWidth")
    assert head <= 1
