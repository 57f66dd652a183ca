// View state in the URL hash: "#map=zoom/lat/lon&layers=a,b". Restored on load,
// rewritten (replaceState, no history spam) when the view or the visible layers change.

/** Parse the hash into {zoom, lat, lon, layers} (missing parts are undefined). */
export function parseHash(hash) {
  const params = new URLSearchParams(String(hash || "").replace(/^#/, ""));
  const out = {};
  const m = (params.get("map") || "").split("/").map(Number);
  if (m.length === 3 && m.every(Number.isFinite) && m[0] >= 0 && m[0] <= 22
      && Math.abs(m[1]) <= 90 && Math.abs(m[2]) <= 180) {
    [out.zoom, out.lat, out.lon] = m;
  }
  if (params.has("layers")) out.layers = params.get("layers").split(",").filter(Boolean);
  return out;
}

export function formatHash(map, visible) {
  const c = map.getCenter();
  const z = map.getZoom();
  const digits = Math.max(4, Math.ceil(Math.log10(2 ** z)) + 1);
  return `#map=${z}/${c.lat.toFixed(digits)}/${c.lng.toFixed(digits)}&layers=${visible.join(",")}`;
}

/**
 * Keep ``map``'s view and the layers of ``overlays`` ({key: layer}) in the hash.
 * Returns the state that was restored.
 */
export function permalink(map, overlays) {
  const state = parseHash(location.hash);
  if (state.zoom !== undefined) map.setView([state.lat, state.lon], state.zoom, { animate: false });
  if (state.layers) {
    for (const [key, layer] of Object.entries(overlays)) {
      if (state.layers.includes(key)) { if (!map.hasLayer(layer)) layer.addTo(map); }
      else if (map.hasLayer(layer)) map.removeLayer(layer);
    }
  }
  const write = () => {
    const visible = Object.entries(overlays).filter(([, l]) => map.hasLayer(l)).map(([k]) => k);
    history.replaceState(null, "", formatHash(map, visible));
  };
  map.on("moveend overlayadd overlayremove", write);
  window.addEventListener("hashchange", () => {
    const s = parseHash(location.hash);
    if (s.zoom !== undefined) map.setView([s.lat, s.lon], s.zoom);
  });
  write();
  return state;
}
