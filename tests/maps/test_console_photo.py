"""The call form's photo, in headless Chromium: a real PNG (Leaflet's marker icon, a file
made outside this project) chosen in the form, previewed, saved with the call and shown
in the incident's detail; a file that is not an image is refused in Chinese and stores
nothing."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from maps import STATIC_DIR
from tests.maps.test_console_dispatch import console, take_call  # noqa: F401

#: screenshots of this module go to ``artifacts/console`` (the ``shots`` fixture)
SHOTS = "console"

pytestmark = pytest.mark.browser

PNG = STATIC_DIR / "vendor" / "leaflet" / "images" / "marker-icon.png"


def _natural_size(page, selector: str) -> tuple[int, int]:
    page.wait_for_function(
        "s => { const i = document.querySelector(s); return i && i.complete && i.naturalWidth > 0; }",
        arg=selector)
    return tuple(page.eval_on_selector(selector, "i => [i.naturalWidth, i.naturalHeight]"))


def test_a_photo_from_the_form_is_shown_in_the_detail(console, live_api, shots):
    page = console
    original = Image.open(PNG)
    page.click("#gg-call-open")
    page.set_input_files("#gg-c-photo", str(PNG))
    assert _natural_size(page, "#gg-c-photo-img") == original.size
    page.screenshot(path=str(shots / "call-photo-preview.png"))
    take_call(page, "greenery_damage", name="来电人赵六", phone="13900003333", text="路灯杆倾斜, 附照片")
    page.wait_for_selector("#gg-c-status >> text=已登记")
    uid = page.locator("#gg-c-status").inner_text().split()[-1]
    page.wait_for_selector(f'#gg-detail[data-uid="{uid}"]')
    assert _natural_size(page, "#gg-d-photos img.gg-photo") == original.size
    assert "照片 (1)" in page.locator("#gg-d-photos h3").inner_text()
    assert page.locator("#gg-c-photo-preview img").count() == 0  # the form is cleared
    page.screenshot(path=str(shots / "call-photo-detail.png"))
    [meta] = live_api.get(f"/incidents/{uid}/photos").json()
    assert (meta["content_type"], meta["width"], meta["height"]) == ("image/png", 25, 41)
    stored = Image.open(io.BytesIO(live_api.get(meta["url"]).content)).convert("RGBA")
    assert stored.tobytes() == original.convert("RGBA").tobytes()
    assert page.console_errors == [] and page.external_requests == []


def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_stored(console, live_api,  # noqa: F811
                                                                      tmp_path):
    page = console
    fake = tmp_path / "现场.png"
    fake.write_bytes(b"this is a text file, not a photo\n")
    before = len(live_api.get("/incidents", params={"category": "unlicensed_business"}).json())
    page.click("#gg-call-open")
    page.set_input_files("#gg-c-photo", str(fake))
    take_call(page, "unlicensed_business", name="来电人钱七", phone="13900004444", text="附件不是照片")
    page.wait_for_selector("#gg-c-status >> text=不是可读的图像文件")
    status = page.locator("#gg-c-status").inner_text()
    assert "photo" in status and "JPEG" in status
    after = len(live_api.get("/incidents", params={"category": "unlicensed_business"}).json())
    assert after == before
