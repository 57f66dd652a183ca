"""Maps: folium builders and the pages of the web UI, with Leaflet served locally."""

from pathlib import Path

from .coverage import OSM_ATTRIBUTION, coverage_map

STATIC_DIR = Path(__file__).resolve().parent / "static"

__all__ = ["coverage_map", "OSM_ATTRIBUTION", "STATIC_DIR"]
