"""API documentation pages served from vendored assets: ``/docs`` (Swagger UI) and ``/redoc``.

FastAPI's built-in pages load Swagger UI and ReDoc from a CDN, so on an
isolated network they stay blank. These pages load the same libraries from
``/static/vendor`` (``swagger-ui-dist`` and ``redoc`` from npm, with their
licences) and carry no inline script: Swagger UI is started by
``static/js/swagger-init.js``, ReDoc by ``static/js/redoc-init.js``.

The vendor UIs ship English only. ReDoc takes Chinese labels as an option; Swagger UI has
no such option, so ``static/js/swagger-i18n.js`` replaces its known labels on Chinese pages
(both tables are in :mod:`maps.i18n`).
"""

from __future__ import annotations

import json
from html import escape
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from maps.i18n import SWAGGER_LABELS, redoc_labels, t

__all__ = ["router", "swagger_html", "redoc_html"]

router = APIRouter(tags=["docs"], include_in_schema=False)
Lang = Annotated[Literal["zh", "en"], Query(description="UI language")]


def _head(title: str, lang: str, css: str = "") -> str:
    html_lang = "zh-CN" if lang == "zh" else "en"
    link = f'<link rel="stylesheet" href="{escape(css)}">' if css else ""
    return (f'<!doctype html><html lang="{html_lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title>"
            f'<link rel="icon" href="/static/vendor/swagger-ui/favicon-32x32.png">{link}'
            f'<link rel="stylesheet" href="/static/docs.css"></head>')


def _bar(lang: str, here: str) -> str:
    other = "en" if lang == "zh" else "zh"
    links = [("/docs", t("docs.swagger", lang)), ("/redoc", t("docs.redoc", lang)),
             ("/openapi.json", t("docs.openapi", lang)), ("/", t("docs.home", lang))]
    suffix = "?lang=en" if lang == "en" else ""
    items = "".join(
        f'<a href="{p}{suffix if p != "/openapi.json" else ""}"'
        + (' aria-current="page"' if p == here else "") + f">{escape(s)}</a>"
        for p, s in links)
    switch = f'{here}{"?lang=en" if other == "en" else ""}'
    return (f'<header class="gg-docs-bar"><b>{escape(t("docs.title", lang))}</b>'
            f'<nav>{items}<a hreflang="{other}" href="{switch}">{escape(t("lang.switch", lang))}'
            f'</a></nav><p>{escape(t("docs.intro", lang))}</p></header>')


def swagger_html(openapi_url: str, lang: str = "zh") -> str:
    """Swagger UI on ``openapi_url``, all assets local; its labels in Chinese unless ``en``."""
    labels = "" if lang == "en" else \
        f' data-labels="{escape(json.dumps(SWAGGER_LABELS, ensure_ascii=False))}"'
    return (_head(t("docs.swagger", lang) + " · geogrid", lang,
                  "/static/vendor/swagger-ui/swagger-ui.css")
            + f"<body>{_bar(lang, '/docs')}"
            f'<div id="swagger-ui" data-openapi-url="{escape(openapi_url)}"{labels}></div>'
            '<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>'
            '<script src="/static/js/swagger-i18n.js"></script>'
            '<script src="/static/js/swagger-init.js"></script></body></html>')


def redoc_html(openapi_url: str, lang: str = "zh") -> str:
    """ReDoc on ``openapi_url``, all assets local (no web fonts)."""
    return (_head(t("docs.redoc", lang) + " · geogrid", lang)
            + f"<body>{_bar(lang, '/redoc')}"
            f'<div id="redoc" data-spec-url="{escape(openapi_url)}" data-labels="'
            f'{escape(json.dumps(redoc_labels(lang), ensure_ascii=False))}"></div>'
            '<script src="/static/vendor/redoc/redoc.standalone.js"></script>'
            '<script src="/static/js/redoc-init.js"></script></body></html>')


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request, lang: Lang = "zh") -> HTMLResponse:
    return HTMLResponse(swagger_html(request.app.openapi_url or "/openapi.json", lang))


@router.get("/redoc", response_class=HTMLResponse)
def redoc(request: Request, lang: Lang = "zh") -> HTMLResponse:
    return HTMLResponse(redoc_html(request.app.openapi_url or "/openapi.json", lang))
