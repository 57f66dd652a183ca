// Pure helpers of the planner editor: which microgrids are neighbours, colours that keep
// neighbours apart, and number formatting. No DOM and no Leaflet here.

/** The vertices of a (Multi)Polygon as "lon,lat" keys (the API rounds to 1e-7°). */
function vertexKeys(geometry) {
  const out = new Set();
  if (!geometry) return out;
  const polys = geometry.type === "MultiPolygon" ? geometry.coordinates
    : geometry.type === "Polygon" ? [geometry.coordinates] : [];
  for (const poly of polys) {
    for (const ring of poly) for (const [x, y] of ring) out.add(`${x.toFixed(7)},${y.toFixed(7)}`);
  }
  return out;
}

/**
 * Neighbours among ``features`` (GeoJSON microgrids): id → Set of ids that share a
 * boundary with it and the same ``group`` (their parent: the grid or 居民区/商务区 they were
 * partitioned in, as one edit stays there). Microgrids are unions of the
 * cells of one tessellation, so neighbours share the vertices of their common edge
 * exactly; two shared vertices make an edge (one is only a corner touch).
 */
export function neighbours(features, group = (f) => f.properties.parent_id) {
  const owners = new Map();
  for (const f of features) {
    for (const k of vertexKeys(f.geometry)) {
      if (!owners.has(k)) owners.set(k, []);
      owners.get(k).push(f.properties.id);
    }
  }
  const shared = new Map();
  for (const ids of owners.values()) {
    for (let i = 0; i < ids.length; i++) {
      for (let j = i + 1; j < ids.length; j++) {
        const key = ids[i] < ids[j] ? `${ids[i]}\u0000${ids[j]}` : `${ids[j]}\u0000${ids[i]}`;
        shared.set(key, (shared.get(key) || 0) + 1);
      }
    }
  }
  const groupOf = new Map(features.map((f) => [f.properties.id, group(f)]));
  const out = new Map(features.map((f) => [f.properties.id, new Set()]));
  for (const [key, n] of shared) {
    if (n < 2) continue;
    const [a, b] = key.split("\u0000");
    if (groupOf.get(a) !== groupOf.get(b)) continue;
    out.get(a).add(b);
    out.get(b).add(a);
  }
  return out;
}

/**
 * The boundary two microgrids share, as the longest run of consecutive vertices of ``a``'s
 * outer rings that are vertices of ``b`` too ([lon, lat] list; empty when they only touch).
 */
export function sharedBoundary(a, b) {
  const keys = vertexKeys(b.geometry);
  const g = a.geometry;
  const polys = g.type === "MultiPolygon" ? g.coordinates : g.type === "Polygon" ? [g.coordinates] : [];
  let best = [];
  for (const poly of polys) {
    const ring = poly[0].slice(0, -1);
    const shared = ring.map(([x, y]) => keys.has(`${x.toFixed(7)},${y.toFixed(7)}`));
    const start = shared.indexOf(false);
    if (start < 0) continue;            // a enclosed by b: no line to drag
    let run = [];
    for (let k = 0; k <= ring.length; k++) {
      const i = (start + k) % ring.length;
      if (k < ring.length && shared[i]) { run.push(ring[i]); continue; }
      if (run.length > best.length) best = run;
      run = [];
    }
  }
  return best.length >= 2 ? best : [];
}

/**
 * A colour class 0..n-1 per id such that neighbours differ where possible (greedy,
 * most-connected first; ids in code order break ties so the colouring is stable).
 */
export function colourClasses(ids, adjacency, n = 5) {
  const order = [...ids].sort((a, b) => (adjacency.get(b) || new Set()).size
    - (adjacency.get(a) || new Set()).size || String(a).localeCompare(String(b)));
  const out = new Map();
  for (const id of order) {
    const used = new Set([...(adjacency.get(id) || [])].map((x) => out.get(x)));
    let k = 0;
    while (used.has(k) && k < n - 1) k++;
    out.set(id, k);
  }
  return out;
}

function hexToHsl(hex) {
  const v = parseInt(hex.slice(1), 16);
  const r = ((v >> 16) & 255) / 255;
  const g = ((v >> 8) & 255) / 255;
  const b = (v & 255) / 255;
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const l = (max + min) / 2;
  if (max === min) return [0, 0, l];
  const d = max - min;
  const s = l > 0.5 ? d / (2 - max - min) : d / (max + min);
  const h = max === r ? (g - b) / d + (g < b ? 6 : 0) : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return [h * 60, s, l];
}

/** Shade ``k`` of ``n`` of a grid colour: the grid's hue, from dark to light. */
export function shade(hex, k, n = 5) {
  const [h, s] = hexToHsl(hex);
  const lightness = 30 + (32 * k) / Math.max(1, n - 1);
  const hue = (h + (k % 2 ? 8 : -8) + 360) % 360;
  const sat = s === 0 ? 0 : 100 * Math.max(0.4, Math.min(0.85, s));
  return `hsl(${hue.toFixed(0)}, ${sat.toFixed(0)}%, ${lightness.toFixed(0)}%)`;
}

/** A number for display: integers as is, others with ``digits`` decimals; "—" when missing. */
export function num(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return "—";
  return Number(value).toFixed(digits);
}
