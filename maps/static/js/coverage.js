// The coverage map's behaviour: tooltips, microgrid codes at close zoom, the search box
// and the embed snippet. The map and its layers come from folium (window.geogrid).
import { api, config, el, fill, session, t } from "./common.js";
import { latLng } from "./datum.js";

const gg = window.geogrid;
const map = gg.map;
const layers = gg.layers || {};
const LEVELS = ["street", "grid", "community", "microgrid", "building_group"];
const CODE_ZOOM = 17;

function tooltipNode(p) {
  const box = el("div", { className: "gg-tip" },
    el("b", {}, p.name || ""), " ", el("span", { className: "gg-muted" }, t(`level.${p.level}`)),
    el("div", {}, `${t("field.code")}: ${p.code || "—"}`));
  if (p.workload !== undefined) box.append(el("div", {}, `${t("field.workload")}: ${p.workload}`));
  return box;
}

/** Every drawn feature: {props, layer, level}. */
const features = [];
for (const level of LEVELS) {
  const group = layers[level];
  if (!group) continue;
  group.eachLayer((l) => {
    if (!l.feature) return;
    l.bindTooltip(() => tooltipNode(l.feature.properties), { sticky: true });
    features.push({ props: l.feature.properties, layer: l, level });
  });
}

// -- microgrid codes at close zoom -----------------------------------------------------------
const codeLabels = L.layerGroup();
let codesBuilt = false;
function updateCodes() {
  const want = map.getZoom() >= CODE_ZOOM && layers.microgrid && map.hasLayer(layers.microgrid);
  if (want && !codesBuilt) {
    for (const f of features) {
      if (f.level !== "microgrid" || !f.props.code) continue;
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
    ...chain.map((a) => el("div", {}, `${t(`level.${a.level}`)}: ${a.name} ${a.code || ""}`)));
  addressMarker = L.circleMarker(at, { radius: 8, color: "#000", fillColor: "#ffeb3b",
                                       fillOpacity: 1, className: "gg-address" })
    .bindTooltip(tip, { permanent: true, direction: "top" }).addTo(map);
  map.setView(at, Math.max(map.getZoom(), 17));
}

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
          " ", el("span", { className: "gg-muted" }, t(`level.${f.level}`)))));
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
gg.ready = performance.now();
document.documentElement.dataset.ready = "1";
