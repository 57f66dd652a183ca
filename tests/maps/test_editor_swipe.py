"""Swipe between two whole plans in headless Chromium: the active plan left of a divider and a
draft in which one microgrid was split right of it. The divider is dragged with the mouse
both ways over a point of the split microgrid; at that point only the plan on the
divider's side is hit, with that plan's own microgrid there (the original left, a piece of
the split right). The plans' areas come from the API, independently of the page."""

from __future__ import annotations

import pytest
import shapely

from test_editor import editor, new_draft, planner_api, version, wait_version  # noqa: F401
from test_editor_tools import fit, screen  # noqa: F401

#: screenshots of this module go to ``artifacts/editor`` (the ``shots`` fixture)
SHOTS = "editor"

pytestmark = pytest.mark.browser


def microgrids(api, plan) -> dict[str, shapely.Geometry]:
    fc = api.get(f"/plans/{plan}/areas", params={"level": "microgrid"}).json()["features"]
    return {f["id"]: shapely.geometry.shape(f["geometry"]) for f in fc}


def hit(page, x: float, y: float) -> list[tuple[str, str]]:
    """(side, area id) of every swipe path under the client point (x, y), top first."""
    return [tuple(v) for v in page.evaluate("""([x, y]) => document.elementsFromPoint(x, y)
        .filter((e) => e.classList && e.classList.contains("gg-swipe-mg"))
        .map((e) => [e.classList.contains("gg-swipe-left-mg") ? "left" : "right", e.dataset.area])""",
        [x, y])]


def drag_divider(page, to_x: float) -> None:
    box = page.locator("#gg-swipe-divider .gg-swipe-grip").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(to_x, box["y"] + box["height"] / 2, steps=12)
    page.mouse.up()


def test_drag_the_divider_between_two_whole_plans(editor, planner_api, shots):
    page = editor
    plan_id = new_draft(page, "卷帘草稿")
    before = microgrids(planner_api, plan_id)
    stats = planner_api.get(f"/plans/{plan_id}/stats").json()["microgrids"]
    big = max(stats, key=lambda m: m["objects"])["id"]
    v = version(planner_api, plan_id)
    r = planner_api.post(f"/plans/{plan_id}/edits", json={"op": "split", "microgrid": big, "version": v})
    assert r.status_code == 200, r.text
    page.click("#gg-switch-plan")
    page.click(f'#gg-drafts li[data-plan="{plan_id}"] button')
    wait_version(page, v + 1)
    active_id = planner_api.get("/plans/active").json()["id"]
    active, draft = microgrids(planner_api, active_id), microgrids(planner_api, plan_id)
    assert set(active) == set(before) and len(draft) == len(active) + 1
    # a piece of the split (under another id than the unsplit microgrid) and a point in it
    piece = next(k for k, g in draft.items() if k != big
                 and g.intersection(active[big]).area > 0.2 * g.area
                 and g.area < 0.95 * active[big].area)
    probe = draft[piece].intersection(active[big]).representative_point()
    fit(page, active[big].bounds, max_zoom=18)

    page.check("#gg-swipe")
    page.wait_for_selector('.leaflet-container[data-swipe="ready"]')
    assert page.get_attribute(".leaflet-gg-swipe-left-pane", "data-plan") == str(active_id)
    assert page.get_attribute(".leaflet-gg-swipe-right-pane", "data-plan") == str(plan_id)
    assert page.locator("path.gg-swipe-left-mg").count() == len(active)
    assert page.locator("path.gg-swipe-right-mg").count() == len(draft)
    assert page.locator("path.gg-mg").first.is_hidden()  # the editor's own layer steps aside
    x, y = screen(page, probe.x, probe.y)

    drag_divider(page, x - 80)          # the probe is right of the divider: the draft there
    divider = page.locator("#gg-swipe-divider").bounding_box()
    assert abs(divider["x"] + divider["width"] / 2 - (x - 80)) <= 3
    under = hit(page, x, y)
    assert under == [("right", piece)]
    page.screenshot(path=str(shots / "swipe-draft-right.png"))

    drag_divider(page, x + 80)          # now left of it: the active plan's unsplit microgrid
    under = hit(page, x, y)
    assert under == [("left", big)]
    assert int(page.get_attribute("#gg-swipe-divider", "aria-valuenow")) > 0
    page.screenshot(path=str(shots / "swipe-active-left.png"))

    # any two plans: the draft on both sides shows the split on both sides
    page.select_option("#gg-swipe-left-plan", str(plan_id))
    page.wait_for_selector(f'.leaflet-gg-swipe-left-pane[data-plan="{plan_id}"]', state="attached")
    page.wait_for_function("n => document.querySelectorAll('path.gg-swipe-left-mg').length === n",
                           arg=len(draft))
    assert hit(page, x, y) == [("left", piece)]

    page.uncheck("#gg-swipe")
    assert page.locator("#gg-swipe-divider").count() == 0
    assert page.locator("path.gg-swipe-mg").count() == 0
    assert page.locator("path.gg-mg").first.is_visible()
    assert page.console_errors == [] and page.external_requests == []
