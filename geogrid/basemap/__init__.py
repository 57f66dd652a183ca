"""An offline basemap from OpenStreetMap layers: vector tiles of roads (by class, with
their Chinese names along the lines), water, green space, land use, buildings and place
names, cut from the data the project ships or from any OSM extract.

* :mod:`.layers` normalises Tilezen-style files or raw OSM tags into six layers;
* :mod:`.labels` places the names once per zoom, without overlaps;
* :mod:`.tiles` cuts Mapbox Vector Tiles (:class:`BasemapTiles`);
* :mod:`.sources` reads a directory of layer files or an ``.osm`` / ``.osm.pbf``
  extract (the only module here that touches files);
* :mod:`.style` is the quiet style the browser draws the tiles with.

All of it is © OpenStreetMap contributors (ODbL): :data:`ATTRIBUTION` goes on every map
that shows it.
"""

from .layers import LAYERS, normalise_osm, normalise_tilezen
from .sources import read_layers
from .style import ATTRIBUTION, STYLE, style_document
from .tiles import EXTENT, MAX_ZOOM, MIN_ZOOM, BasemapTiles, decode, lonlat_to_tile

__all__ = ["ATTRIBUTION", "BasemapTiles", "EXTENT", "LAYERS", "MAX_ZOOM", "MIN_ZOOM", "STYLE",
           "decode", "lonlat_to_tile", "normalise_osm", "normalise_tilezen", "read_layers",
           "style_document"]
