"""Maps: folium builders and the pages of the web UI, with Leaflet served locally.

* :func:`coverage_map` — the coverage map at ``/``;
* :func:`console_page` — the dispatcher console at ``/console``;
* :func:`embed_page` — the public embed at ``/embed/coverage``, and
  :func:`snippet_page` with the ``<iframe>`` snippet for community websites.

The browser side lives in ``static/js`` (plain ES modules, no build step).
"""

from geogrid._lazy import lazy_names
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"

__all__ = ["coverage_map", "console_page", "embed_page", "embed_snippet", "snippet_page",
           "offline_map", "get_basemap", "OSM_ATTRIBUTION", "STATIC_DIR"]

#: where each name is defined, imported on first use: the API's error strings
#: (``maps.i18n``) and ``STATIC_DIR`` do not need folium
_HOME = {"OSM_ATTRIBUTION": "basemaps", "get_basemap": "basemaps", "offline_map": "basemaps",
         "console_page": "console", "coverage_map": "coverage", "embed_page": "embed",
         "embed_snippet": "embed", "snippet_page": "embed"}


__getattr__, __dir__ = lazy_names(__name__, _HOME)
