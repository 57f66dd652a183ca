// Vector tiles for the coverage map of a large plan (config.tiles, built by maps/coverage.py).
//
// One Leaflet layer per level (Leaflet.VectorGrid, vendored, SVG renderer), so each level has
// its own entry in the layer control and its own minimum zoom, over ONE request per tile: the
// level layers share the decoded tile. Features are coloured by their grid: the page carries
// the colours of the street, grids and communities; a microgrid takes its parent's, a building
// group its microgrid's (learnt from the tile, where the microgrid always is too).
// Every feature seen in a tile is remembered (properties and bounds) for the search box.

const MAX_DECODED = 256;
const HIGHLIGHT = { weight: 5, color: "#000", fillOpacity: 0.45 };

/** White → dark red for x in [0, 1], as maps.coverage.ramp. */
export function ramp(x) {
  const v = Math.min(Math.max(Number(x) || 0, 0), 1);
  const hex = (n) => n.toString(16).padStart(2, "0");
  return `#${hex(255 - Math.trunc(90 * v))}${hex(Math.trunc(245 - 215 * v))}${hex(Math.trunc(240 - 210 * v))}`;
}

/**
 * Add the tiled levels to ``map``. Returns {layers: {level: layer}, seen: Map(id → feature),
 * highlight(feature | null), onFeature(fn)} where a feature is {props, level, bounds}.
 */
export function tiledLevels(map, cfg) {
  const colors = Object.assign({}, cfg.colors || {});
  const flagged = new Set(cfg.flagged || []);
  const load = cfg.workload || null;
  const [lo, hi] = cfg.range || [0, 0];
  const seen = new Map();
  const decoded = new Map();
  const listeners = [];
  const base = L.VectorGrid.Protobuf.prototype._getVectorTilePromise;

  const colorOf = (p) => colors[p.id] || colors[p.parent_id] || "#555555";

  function learn(coords, tile) {
    const size = 256;
    for (const entry of cfg.levels) {
      const layer = tile.layers[entry.level];
      if (!layer) continue;
      const scale = size / layer.extent;
      for (const feat of layer.features) {
        const p = feat.properties;
        if (!p || !p.id) continue;
        if (!colors[p.id]) colors[p.id] = colorOf(p);
        let minX = Infinity; let minY = Infinity; let maxX = -Infinity; let maxY = -Infinity;
        for (const ring of feat.geometry) {
          for (const pt of ring) {
            minX = Math.min(minX, pt.x); maxX = Math.max(maxX, pt.x);
            minY = Math.min(minY, pt.y); maxY = Math.max(maxY, pt.y);
          }
        }
        if (minX === Infinity) continue;
        const clamp = (v) => Math.min(Math.max(v, 0), layer.extent);
        const nw = map.unproject(L.point(coords.x * size + clamp(minX) * scale,
                                         coords.y * size + clamp(minY) * scale), coords.z);
        const se = map.unproject(L.point(coords.x * size + clamp(maxX) * scale,
                                         coords.y * size + clamp(maxY) * scale), coords.z);
        const known = seen.get(p.id);
        if (known) known.bounds.extend(L.latLngBounds(nw, se));
        else {
          const f = { props: p, level: entry.level, bounds: L.latLngBounds(nw, se) };
          seen.set(p.id, f);
          for (const fn of listeners) fn(f);
        }
      }
    }
    return tile;
  }

  function shared(layer, coords) {
    const key = `${coords.z}/${coords.x}/${coords.y}`;
    let promise = decoded.get(key);
    if (!promise) {
      promise = base.call(layer, coords).then((tile) => learn(coords, tile));
      decoded.set(key, promise);
      if (decoded.size > MAX_DECODED) decoded.delete(decoded.keys().next().value);
    }
    return promise;
  }

  const LevelGrid = L.VectorGrid.Protobuf.extend({
    _getVectorTilePromise(coords) {
      const level = this.options.level;
      return shared(this, coords).then((tile) => (
        { layers: tile.layers[level] ? { [level]: tile.layers[level] } : {} }));
    },
  });

  function styleFor(entry) {
    return (p) => {
      const color = colorOf(p);
      const out = Object.assign({ fill: true }, entry.style);
      if (out.color === undefined) out.color = color;
      out.fillColor = color;
      if (load && (entry.role ? entry.role === "leaf" : entry.level === "microgrid")) {
        const v = load[p.id] || 0;
        out.fillColor = ramp(hi === lo ? 0 : (v - lo) / (hi - lo));
        out.fillOpacity = 0.75;
      }
      if (flagged.has(p.id)) Object.assign(out, cfg.problemStyle || {});
      return out;
    };
  }

  const layers = {};
  cfg.levels.forEach((entry, i) => {
    const layer = new LevelGrid(cfg.url, {
      level: entry.level,
      minZoom: entry.minZoom,
      maxZoom: 22,
      zIndex: 10 + i,
      rendererFactory: L.svg.tile,
      interactive: true,
      getFeatureId: (f) => f.properties.id,
      vectorTileLayerStyles: { [entry.level]: styleFor(entry) },
      fetchOptions: { credentials: "same-origin" },
    });
    layers[entry.level] = layer;
    if (entry.show) layer.addTo(map);
  });

  let current = null;
  function highlight(f) {
    if (current) layers[current.level].resetFeatureStyle(current.props.id);
    current = f;
    if (f && layers[f.level]) {
      const style = Object.assign(styleFor(cfg.levels.find((e) => e.level === f.level))(f.props),
                                  HIGHLIGHT);
      layers[f.level].setFeatureStyle(f.props.id, style);
    }
  }

  return {
    layers,
    seen,
    highlight,
    colorOf,
    decodedTiles: () => decoded.size,
    onFeature(fn) { listeners.push(fn); },
  };
}
