"""Maps: folium builders and the pages of the web UI, with Leaflet served locally.

* :func:`coverage_map` — the coverage map at ``/``;
* :func:`console_page` — the dispatcher console at ``/console``;
* :func:`embed_page` — the public embed at ``/embed/coverage``, and
  :func:`snippet_page` with the ``<iframe>`` snippet for community websites.

The browser side lives in ``static/js`` (plain ES modules, no build step).
"""

from pathlib import Path

from .basemaps import OSM_ATTRIBUTION, get_basemap, offline_map
from .console import console_page
from .coverage import coverage_map
from .embed import embed_page, embed_snippet, snippet_page

STATIC_DIR = Path(__file__).resolve().parent / "static"

__all__ = ["coverage_map", "console_page", "embed_page", "embed_snippet", "snippet_page",
           "offline_map", "get_basemap", "OSM_ATTRIBUTION", "STATIC_DIR"]
