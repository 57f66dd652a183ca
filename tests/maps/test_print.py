"""Print and export of a map view: the sheet (title, date, map, north arrow, scale, legend,
attribution) as PNG, as PDF on A4/A3, and on the printed page."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.browser

WATER = np.array([185, 211, 232])
#: jsPDF / Chromium page boxes in points: A4 and A3, landscape
MEDIA = {"A4": (841.89, 595.28), "A3": (1190.55, 841.89)}


def open_menu(page, live_server, path="/"):
    page.goto(live_server + path)
    page.wait_for_load_state("networkidle")
    page.click(".gg-print > summary")


def near(img: np.ndarray, rgb, tol=4) -> int:
    return int((np.abs(img[..., :3].astype(int) - np.array(rgb)).max(axis=-1) <= tol).sum())


def media_box(pdf: bytes) -> tuple[float, float]:
    m = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert m, "no MediaBox"
    return float(m.group(1)), float(m.group(2))


def test_png_export_is_the_whole_sheet(page, live_server, artifacts):
    open_menu(page, live_server)
    size = page.evaluate("[window.geogrid.map.getSize().x, window.geogrid.map.getSize().y]")
    with page.expect_download() as dl:
        page.click("#gg-export-png")
    data = open(dl.value.path(), "rb").read()
    assert dl.value.suggested_filename.endswith(".png")
    (artifacts / "export.png").write_bytes(data)
    img = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    assert img.shape[1] == size[0] * 2 and img.shape[0] == (64 + size[1] + 40) * 2
    head, body = img[: 64 * 2], img[64 * 2: -40 * 2]
    assert near(head, (34, 34, 34), 30) > 500           # title and date are written
    assert near(body, WATER) > 5000                      # the basemap's river
    assert near(body, (31, 119, 180), 60) > 2000         # a grid's colour (overlay)
    assert near(img[-40 * 2:], (34, 34, 34), 30) > 200  # attribution line
    assert page.console_errors == [] and page.external_requests == []


@pytest.mark.parametrize("paper", ["A4", "A3"])
def test_pdf_export_on_the_chosen_paper(page, live_server, paper):
    open_menu(page, live_server, "/embed/coverage")
    page.select_option("#gg-print-paper", paper)
    with page.expect_download(timeout=30000) as dl:
        page.click("#gg-export-pdf")
    pdf = open(dl.value.path(), "rb").read()
    assert pdf.startswith(b"%PDF") and b"/Image" in pdf
    w, h = media_box(pdf)
    assert (round(w, 1), round(h, 1)) == tuple(round(v, 1) for v in MEDIA[paper])
    assert page.console_errors == [] and page.external_requests == []


def test_print_puts_only_the_sheet_on_an_a3_page(page, live_server, artifacts):
    open_menu(page, live_server, "/console")
    page.evaluate("window.geogrid.print.prepare('A3')")
    page.emulate_media(media="print")
    assert not page.locator(".leaflet-container").first.is_visible()
    assert page.locator("#gg-print-sheet img").is_visible()
    sheet = page.evaluate("(() => { const i = document.querySelector('#gg-print-sheet img');"
                          " return [i.naturalWidth, i.naturalHeight]; })()")
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    (artifacts / "print-a3.pdf").write_bytes(pdf)
    w, h = media_box(pdf)
    long, short = (round(v) for v in MEDIA["A3"])
    # the page turns with the sheet: landscape for a wide map, portrait for a tall one
    assert (round(w), round(h)) == ((long, short) if sheet[0] >= sheet[1] else (short, long))
