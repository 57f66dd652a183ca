"""/docs and /redoc from vendored Swagger UI and ReDoc, in a browser cut off from the internet."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

VENDOR = ("swagger-ui/swagger-ui-bundle.js", "swagger-ui/swagger-ui.css", "swagger-ui/LICENSE",
          "redoc/redoc.standalone.js", "redoc/LICENSE")


def test_vendored_assets_and_licences_are_served(live_server):
    import httpx

    for path in VENDOR:
        r = httpx.get(f"{live_server}/static/vendor/{path}")
        assert r.status_code == 200 and len(r.content) > 1000, path


def test_swagger_ui_renders_the_api_offline(page, live_server, artifacts):
    page.goto(f"{live_server}/docs")
    # operations of the real OpenAPI document are listed (Swagger UI rendered it)
    expect(page.locator(".opblock-summary-path", has_text="/locate").first).to_be_visible(
        timeout=15000)
    assert page.locator(".opblock").count() > 20
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert "接口文档" in page.inner_text(".gg-docs-bar")
    page.screenshot(path=str(artifacts / "docs-swagger.png"))
    assert page.external_requests == [] and page.console_errors == []


@pytest.mark.parametrize("lang,html_lang,word", [("zh", "zh-CN", "参考文档"),
                                                  ("en", "en", "Reference")])
def test_redoc_renders_the_api_offline(page, live_server, artifacts, lang, html_lang, word):
    page.goto(f"{live_server}/redoc" + ("?lang=en" if lang == "en" else ""))
    expect(page.locator("h1", has_text="geogrid").first).to_be_visible(timeout=20000)
    expect(page.get_by_text("/locate").first).to_be_attached()
    assert page.get_attribute("html", "lang") == html_lang
    assert word in page.inner_text(".gg-docs-bar")
    if lang == "zh":
        page.screenshot(path=str(artifacts / "docs-redoc.png"))
    assert page.external_requests == [] and page.console_errors == []


@pytest.mark.parametrize("lang,labels", [("zh", ("参数", "试一试", "响应")),
                                         ("en", ("Parameters", "Try it out", "Responses"))])
def test_swagger_ui_controls_speak_the_page_language(page, live_server, lang, labels):
    page.goto(f"{live_server}/docs" + ("?lang=en" if lang == "en" else ""))
    op = page.locator(".opblock-summary", has_text="/locate").first
    expect(op).to_be_visible(timeout=15000)
    op.click()
    block = page.locator(".opblock.is-open").first
    for word in labels:
        expect(block.get_by_text(word, exact=True).first).to_be_visible(timeout=5000)
    if lang == "zh":
        assert block.get_by_text("Try it out", exact=True).count() == 0
        assert block.get_by_text("Parameters", exact=True).count() == 0
    assert page.external_requests == [] and page.console_errors == []


def test_redoc_labels_are_chinese_on_the_chinese_page(page, live_server):
    page.goto(f"{live_server}/redoc")
    expect(page.get_by_text("响应示例").first).to_be_attached(timeout=20000)
    assert page.get_by_text("Response samples", exact=True).count() == 0
    page.goto(f"{live_server}/redoc?lang=en")
    expect(page.get_by_text("Response samples").first).to_be_attached(timeout=20000)
    assert page.external_requests == [] and page.console_errors == []
