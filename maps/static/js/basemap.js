// The offline basemap: vector tiles from /basemap/{z}/{x}/{y}.pbf drawn on canvas tiles.
//
// The tiles are decoded by the vendored Leaflet.VectorGrid (pbf + vector-tile) and drawn here,
// in passes, so road casings sit under every road fill and names sit on top: land use, water,
// buildings, road casings, road fills, road names (one character per step along the stretch the
// server chose, upright on steep roads, as printed Chinese maps do), place names. Text is drawn
// with the system's CJK fonts, so no glyph files are needed. The style (colours, widths) comes
// from the page (<script type="application/json" id="gg-basemap">), the same document as
// /basemap/style.json.

const TILE = 256;
const CHAR_PX = 13;

function readConfig() {
  const el = document.getElementById("gg-basemap");
  return el ? JSON.parse(el.textContent) : null;
}

function widthAt(w, z) {
  return w * Math.pow(2, (z - 16) / 2);
}

function tracePolygon(ctx, geometry, k) {
  ctx.beginPath();
  for (const ring of geometry) {
    ring.forEach((p, i) => (i ? ctx.lineTo(p.x * k, p.y * k) : ctx.moveTo(p.x * k, p.y * k)));
    ctx.closePath();
  }
}

function traceLine(ctx, geometry, k) {
  ctx.beginPath();
  for (const line of geometry) {
    line.forEach((p, i) => (i ? ctx.lineTo(p.x * k, p.y * k) : ctx.moveTo(p.x * k, p.y * k)));
  }
}

function fillLayer(ctx, layer, colorOf, stroke) {
  if (!layer) return;
  const k = TILE / layer.extent;
  for (const f of layer.features) {
    const color = colorOf(f.properties);
    if (!color) continue;
    tracePolygon(ctx, f.geometry, k);
    ctx.fillStyle = color;
    ctx.fill("evenodd");
    if (stroke) {
      ctx.strokeStyle = stroke;
      ctx.lineWidth = 0.5;
      ctx.stroke();
    }
  }
}

function drawRoads(ctx, layer, style, z) {
  if (!layer) return;
  const k = TILE / layer.extent;
  const feats = layer.features;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  for (const pass of ["casing", "color"]) {
    for (const f of feats) {
      const s = style.roads[f.properties.cls];
      if (!s || (pass === "casing" && !s.casing)) continue;
      const tunnel = Boolean(f.properties.tunnel);  // drawn faint and dashed, under the rest
      if (tunnel && pass === "color") continue;
      const w = widthAt(s.width, z);
      traceLine(ctx, f.geometry, k);
      ctx.setLineDash(tunnel ? [3, 3] : s.dash && pass === "color" ? s.dash : []);
      ctx.strokeStyle = s[pass];
      ctx.lineWidth = tunnel ? Math.max(1, w / 3) : pass === "casing" ? w + 1.5 : w;
      ctx.globalAlpha = tunnel ? 0.6 : 1;
      ctx.stroke();
      ctx.globalAlpha = 1;
    }
  }
  ctx.setLineDash([]);
}

function halo(ctx, text, x, y, s) {
  ctx.strokeStyle = s.halo;
  ctx.lineWidth = 3;
  ctx.strokeText(text, x, y);
  ctx.fillStyle = s.color;
  ctx.fillText(text, x, y);
}

/** Points every CHAR_PX along a polyline (tile pixels), with the direction there. */
function stepsAlong(points, n) {
  const out = [];
  let seg = 0;
  let done = 0;
  for (let i = 0; i < n; i++) {
    const target = (i + 0.5) * CHAR_PX;
    while (seg < points.length - 2) {
      const len = Math.hypot(points[seg + 1].x - points[seg].x, points[seg + 1].y - points[seg].y);
      if (done + len >= target) break;
      done += len;
      seg += 1;
    }
    const a = points[seg];
    const b = points[seg + 1] || a;
    const len = Math.hypot(b.x - a.x, b.y - a.y) || 1;
    const t = Math.min(Math.max((target - done) / len, 0), 1.5);
    out.push({ x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t,
               angle: Math.atan2(b.y - a.y, b.x - a.x) });
  }
  return out;
}

function drawRoadNames(ctx, layer, s, font) {
  if (!layer) return;
  const k = TILE / layer.extent;
  ctx.font = `${s.size}px ${font}`;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  for (const f of layer.features) {
    const name = String(f.properties.name || "");
    const points = (f.geometry[0] || []).map((p) => ({ x: p.x * k, y: p.y * k }));
    if (points.length < 2 || !name) continue;
    const chars = Array.from(name);
    stepsAlong(points, chars.length).forEach((p, i) => {
      const steep = Math.abs(Math.sin(p.angle)) > 0.87;
      ctx.save();
      ctx.translate(p.x, p.y);
      if (!steep) ctx.rotate(p.angle);
      halo(ctx, chars[i], 0, 0, s);
      ctx.restore();
    });
  }
}

function drawPlaceNames(ctx, layer, styles, font) {
  if (!layer) return;
  const k = TILE / layer.extent;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  for (const f of layer.features) {
    const s = styles[f.properties.kind] || styles.place;
    const p = f.geometry[0] && f.geometry[0][0];
    if (!p) continue;
    ctx.font = `${f.properties.kind === "water" ? "italic " : ""}${s.size}px ${font}`;
    halo(ctx, String(f.properties.name || ""), p.x * k, p.y * k, s);
  }
}

function drawTile(canvas, tile, style, z) {
  const ctx = canvas.getContext("2d");
  const L_ = tile.layers;
  if (!Object.keys(L_).length) return;
  const dpr = canvas.width / TILE;
  ctx.scale(dpr, dpr);
  ctx.fillStyle = style.background;
  ctx.fillRect(0, 0, TILE, TILE);
  fillLayer(ctx, L_.landuse, (p) => style.landuse[p.cls]);
  fillLayer(ctx, L_.water, () => style.water);
  if (L_.waterways) {
    const k = TILE / L_.waterways.extent;
    for (const f of L_.waterways.features) {
      traceLine(ctx, f.geometry, k);
      ctx.strokeStyle = style.waterway.color;
      ctx.lineWidth = widthAt(style.waterway.width, z);
      ctx.stroke();
    }
  }
  fillLayer(ctx, L_.buildings, () => style.buildings.fill, style.buildings.stroke);
  drawRoads(ctx, L_.roads, style, z);
  drawRoadNames(ctx, L_.road_labels, style.labels.road, style.labels.font);
  drawPlaceNames(ctx, L_.labels, style.labels, style.labels.font);
}

/** The basemap as a Leaflet layer (a canvas GridLayer over the decoded vector tiles). */
export function basemapLayer(doc) {
  const decoder = L.vectorGrid.protobuf(doc.tiles, {});
  const Basemap = L.GridLayer.extend({
    createTile(coords, done) {
      const canvas = L.DomUtil.create("canvas", "gg-basemap-tile");
      const dpr = Math.min(window.devicePixelRatio || 1, 2);
      const size = this.getTileSize();
      canvas.width = size.x * dpr;
      canvas.height = size.y * dpr;
      decoder._getVectorTilePromise(coords)
        .then((tile) => { drawTile(canvas, tile, doc.style, coords.z); done(null, canvas); })
        .catch((err) => done(err, canvas));
      return canvas;
    },
  });
  return new Basemap({
    minZoom: doc.minzoom, maxZoom: 20, minNativeZoom: doc.minzoom, maxNativeZoom: doc.maxzoom,
    attribution: doc.attribution, className: "gg-basemap", updateWhenZooming: false,
  });
}

const doc = readConfig();
if (doc && window.geogrid && window.geogrid.map) {
  const layer = basemapLayer(doc).addTo(window.geogrid.map);
  layer.bringToBack();
  window.geogrid.basemap = layer;
}
