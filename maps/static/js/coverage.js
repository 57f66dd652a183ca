// The coverage map's behaviour: tooltips, microgrid codes at close zoom, the search box
// and the embed snippet. The map and its layers come from folium (window.geogrid); a large
// plan's areas come from vector tiles instead (config.tiles, see tiles.js).
import { api, config, el, fill, session, t } from "./common.js";
import { latLng } from "./datum.js";
import { declaredLevels, keyOf, levelName } from "./levels.js";
import { lookupItem, lookupOnClick } from "./mygrid.js";
import { tiledLevels } from "./tiles.js";

const gg = window.geogrid;
const map = gg.map;
const layers = gg.layers || {};
// the plan's declared levels, top first, with their names (maps/levels.py)
const DECLARED = declaredLevels();
const LEVELS = DECLARED.map((l) => l.key);
const LEAF = keyOf(DECLARED, "leaf", "microgrid");
const COLOUR = keyOf(DECLARED, "colour", LEAF);
const nameOf = (key) => levelName(DECLARED, key);
const CODE_ZOOM = 17;
const tiled = config.tiles ? tiledLevels(map, config.tiles) : null;

function tooltipNode(p) {
  const box = el("div", { className: "gg-tip" },
    el("b", {}, p.name || ""), " ", el("span", { className: "gg-muted" }, nameOf(p.level)),
    el("div", {}, `${t("field.code")}: ${p.code || "—"}`));
  if (p.workload !== undefined) box.append(el("div", {}, `${t("field.workload")}: ${p.workload}`));
  if (p.derived) box.append(el("div", { className: "gg-derived" }, t("field.derived")));
  return box;
}

/** Every drawn feature: {props, layer, level} (inline) or {props, level, bounds} (tiles). */
const features = [];
for (const level of LEVELS) {
  const group = layers[level];
  if (!group || tiled) continue;
  group.eachLayer((l) => {
    if (!l.feature) return;
    l.bindTooltip(() => tooltipNode(l.feature.properties), { sticky: true });
    features.push({ props: l.feature.properties, layer: l, level });
  });
}

// -- tiles: levels in the layer control, tooltips and clicks, features for the search --------
if (tiled) {
  for (const [id, level, name, code, b] of config.tiles.areas || []) {
    features.push({ props: { id, level, name, code }, level,
                    bounds: L.latLngBounds([b[1], b[0]], [b[3], b[2]]) });
  }
  const known = new Set(features.map((f) => f.props.id));
  tiled.onFeature((f) => { if (!known.has(f.props.id)) { known.add(f.props.id); features.push(f); } });
  const overlays = {};
  for (const { level } of config.tiles.levels) {
    overlays[nameOf(level)] = tiled.layers[level];
    layers[level] = tiled.layers[level];
  }
  if (layers.problems) overlays[t("layer.problems")] = layers.problems;
  L.control.layers(null, overlays, { collapsed: false }).addTo(map);
  const labels = layers.grid_labels;
  const syncLabels = () => {
    if (!labels) return;
    const want = tiled.layers[COLOUR] && map.hasLayer(tiled.layers[COLOUR]);
    if (want && !map.hasLayer(labels)) labels.addTo(map);
    if (!want && map.hasLayer(labels)) map.removeLayer(labels);
  };
  map.on("overlayadd overlayremove", syncLabels);
  syncLabels();
  const tip = L.tooltip({ sticky: true, direction: "top", offset: [0, -8] });
  for (const layer of Object.values(tiled.layers)) {
    layer.on("mouseover mousemove", (e) => {
      if (!e.layer || !e.layer.properties) return;
      tip.setLatLng(e.latlng).setContent(tooltipNode(e.layer.properties));
      if (!map.hasLayer(tip)) tip.addTo(map);
    });
    layer.on("mouseout", () => { if (map.hasLayer(tip)) map.removeLayer(tip); });
    layer.on("click", (e) => {
      if (!e.layer || !e.layer.properties) return;
      L.popup({ className: "gg-tile-popup" }).setLatLng(e.latlng)
        .setContent(tooltipNode(e.layer.properties)).openOn(map);
    });
  }
  gg.tiles = tiled;
}

// -- microgrid codes at close zoom -----------------------------------------------------------
const codeLabels = L.layerGroup();
let codesBuilt = false;
function updateCodes() {
  if (tiled) return; // tiles: codes are in the tooltips (features arrive tile by tile)
  const want = map.getZoom() >= CODE_ZOOM && layers[LEAF] && map.hasLayer(layers[LEAF]);
  if (want && !codesBuilt) {
    for (const f of features) {
      if (f.level !== LEAF || !f.props.code) continue;
      const icon = L.divIcon({ className: "gg-code-label",
                               html: el("span", {}, f.props.code), iconSize: null });
      const at = f.props.label ? L.latLng(f.props.label[1], f.props.label[0])
        : f.layer.getBounds().getCenter();
      L.marker(at, { icon, interactive: false }).addTo(codeLabels);
    }
    codesBuilt = true;
  }
  if (want && !map.hasLayer(codeLabels)) codeLabels.addTo(map);
  if (!want && map.hasLayer(codeLabels)) map.removeLayer(codeLabels);
}
map.on("zoomend overlayadd overlayremove", updateCodes);
updateCodes();

// -- search ------------------------------------------------------------------------------
let highlighted = null;
let addressMarker = null;

function select(f) {
  if (!f.layer) { // from tiles: outline it in every tile it is drawn in, show its name and code
    const level = tiled.layers[f.level];
    if (level && !map.hasLayer(level)) level.addTo(map);
    tiled.highlight(f);
    map.fitBounds(f.bounds, { maxZoom: 17 });
    L.popup({ className: "gg-tile-popup" }).setLatLng(f.bounds.getCenter())
      .setContent(tooltipNode(f.props)).openOn(map);
    return;
  }
  if (highlighted) highlighted.layer.setStyle({ weight: highlighted.weight, color: highlighted.color });
  const opts = f.layer.options || {};
  highlighted = { layer: f.layer, weight: opts.weight, color: opts.color };
  f.layer.setStyle({ weight: 5, color: "#000" });
  f.layer.bringToFront();
  map.fitBounds(f.layer.getBounds(), { maxZoom: 17 });
  f.layer.openTooltip(f.layer.getBounds().getCenter());
}

function localMatches(q) {
  const needle = q.trim().toLowerCase();
  if (!needle) return [];
  const out = [];
  for (const f of features) {
    const name = String(f.props.name || "").toLowerCase();
    const code = String(f.props.code || "");
    if (name.includes(needle) || code.startsWith(needle)) out.push(f);
    if (out.length >= 12) break;
  }
  return out;
}

function showAddress(res) {
  if (addressMarker) map.removeLayer(addressMarker);
  const at = latLng(res.lon, res.lat, config.datum);
  const chain = res.chain ? LEVELS.map((lv) => res.chain[lv]).filter(Boolean) : [];
  const tip = el("div", { className: "gg-tip" }, el("b", {}, res.matched || res.query || ""),
    ...chain.map((a) => el("div", {}, `${nameOf(a.level)}: ${a.name} ${a.code || ""}`)));
  addressMarker = L.circleMarker(at, { radius: 8, color: "#000", fillColor: "#ffeb3b",
                                       fillOpacity: 1, className: "gg-address" })
    .bindTooltip(tip, { permanent: true, direction: "top" }).addTo(map);
  map.setView(at, Math.max(map.getZoom(), 17));
}

/** What an address has that a grid's name or code has not: a road word or a house number. */
const ADDRESS_LIKE = /[路街弄巷道号栋幢]|\d+\s*号|[\u4e00-\u9fff]\d/;

const SearchControl = L.Control.extend({
  options: { position: "topleft" },
  onAdd() {
    const signedIn = Boolean(session.get());
    const input = el("input", { type: "search", id: "gg-search",
      placeholder: t(signedIn ? "search.placeholder" : "search.placeholder_public"),
      autocomplete: "off" });
    input.setAttribute("aria-label", input.placeholder);
    const list = el("ul", { className: "gg-results", id: "gg-results" });
    const box = el("div", { className: "gg-search leaflet-bar" }, input, list);
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    let timer = null;
    let seq = 0;
    const run = async () => {
      const q = input.value;
      const mine = ++seq;
      const items = localMatches(q).map((f) => el("li", {},
        el("button", { type: "button", className: "gg-result", on: { click: () => select(f) } },
          el("b", {}, f.props.name || ""), " ", el("small", {}, f.props.code || ""),
          " ", el("span", { className: "gg-muted" }, nameOf(f.level)))));
      fill(list, items);
      if (session.get() && q.trim().length >= 2) {
        try {
          const res = await api("/geocode", { params: { q: q.trim() } });
          if (mine !== seq) return;
          if (res && res.ok) {
            list.append(el("li", {}, el("button", { type: "button", className: "gg-result gg-result-address",
              on: { click: () => showAddress(res) } },
            el("span", { className: "gg-muted" }, `${t("search.address")}: `), res.matched || q)));
          }
        } catch (e) {
          if (e.status === 401) session.clear();
        }
      }
      if (mine === seq && !session.get() && !list.children.length && ADDRESS_LIKE.test(q)) {
        list.append(lookupItem(q.trim()));  // 我的网格: sent only when chosen
      }
      if (mine === seq && !list.children.length && q.trim()) {
        list.append(el("li", { className: "gg-muted" }, t("search.none")));
      }
    };
    input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(run, 150); });
    input.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") {
        ev.preventDefault();
        clearTimeout(timer);
        run().then(() => { const b = list.querySelector("button"); if (b) b.click(); });
      }
    });
    return box;
  },
});
new SearchControl().addTo(map);
if (!session.get()) lookupOnClick(map);

// -- embed snippet -------------------------------------------------------------------------
const snippet = document.getElementById("gg-embed-snippet");
if (snippet) {
  const src = new URL(config.embed || "/embed/coverage", location.origin);
  if (config.lang === "en") src.searchParams.set("lang", "en");
  const title = String(config.embedTitle || "").replace(/&/g, "&amp;").replace(/"/g, "&quot;")
    .replace(/</g, "&lt;");
  snippet.value = `<iframe src="${src.href}" title="${title}" `
    + 'width="100%" height="480" style="border:0" loading="lazy" referrerpolicy="no-referrer"></iframe>';
  snippet.addEventListener("focus", () => snippet.select());
}

gg.search = localMatches;
gg.levels = DECLARED;
gg.ready = performance.now();
document.documentElement.dataset.ready = "1";
