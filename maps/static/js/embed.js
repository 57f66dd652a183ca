// The public embed: coverage, each area's public contact point and incident counts per area
// (small counts arrive suppressed as "<3"). Reads only /public/*; no token is ever sent.
import { api, config, el, fill, gridColors, t } from "./common.js";
import { geoJsonShift, latLng } from "./datum.js";
import { declaredLevels, keyOf, levelName } from "./levels.js";
import { lookupForm } from "./mygrid.js";
import { permalink } from "./permalink.js";

const gg = window.geogrid;
const map = gg.map;
const info = document.getElementById("gg-info");
// the plan's declared levels: the colour level (网格; a Hangzhou plan's 社区) and the leaf
const DECLARED = declaredLevels();
const LEAF = keyOf(DECLARED, "leaf", "microgrid");
const COLOUR = keyOf(DECLARED, "colour", LEAF);
const STREET = keyOf(DECLARED, "street", "street");
const COUNT_COLORS = ["#f7f7f7", "#fde0c5", "#facba6", "#f59e72", "#e4572e", "#a4161a"];

function countValue(v) { return typeof v === "number" ? v : 0; }

function countColor(v, max) {
  if (typeof v !== "number") return COUNT_COLORS[0];
  const x = max > 0 ? v / max : 0;
  return COUNT_COLORS[Math.min(COUNT_COLORS.length - 1, 1 + Math.floor(x * (COUNT_COLORS.length - 2)))];
}

function categoryName(code, stats) {
  if (code === "other") return t("field.other");
  return (stats.categories && stats.categories[code]) || code;
}

function showInfo(p, s, stats) {
  const c = p.contact;
  const rows = [
    [t("field.code"), p.code || "—"],
  ];
  if (c) {
    if (c.team) rows.push([t("field.team"), c.team]);
    if (c.role) rows.push([t("field.role"), c.role]);
    if (c.office_phone) rows.push([t("field.office_phone"), c.office_phone]);
    if (c.hours) rows.push([t("field.hours"), c.hours]);
  }
  const dl = el("dl", {}, rows.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  const parts = [el("h2", {}, p.name || "", " ", el("small", { className: "gg-muted" }, levelName(DECLARED, p.level))), dl];
  if (!c) parts.push(el("p", { className: "gg-muted" }, t("embed.no_contact")));
  else if (c.inherited) parts.push(el("p", { className: "gg-muted" }, `${t("embed.inherited")}: ${c.from || ""}`));
  if (s) {
    const cats = Object.entries(s.by_category || {});
    parts.push(el("p", { className: "gg-counts" },
      `${t("field.incidents")} (${t("field.days", { days: stats.days })}): `, el("b", { className: "gg-total" }, String(s.total))));
    if (cats.length) {
      parts.push(el("dl", { className: "gg-by-category" },
        cats.map(([k, v]) => [el("dt", {}, categoryName(k, stats)), el("dd", {}, String(v))])));
    }
  }
  fill(info, parts);
  info.hidden = false;
}

function legend(max) {
  const box = document.getElementById("gg-counts-legend");
  const steps = [["<3", COUNT_COLORS[0]]];
  if (max >= 3) steps.push([max > 3 ? `3–${max}` : "3", COUNT_COLORS[COUNT_COLORS.length - 1]]);
  fill(box, el("div", {}, `${t("legend.counts")} · ${t("field.days", { days: config.days })}`),
    steps.map(([label, color]) => el("div", { className: "gg-count-row" },
      el("span", { style: `background:${color}` }), label)));
}

async function main() {
  let areas;
  let stats;
  try {
    [areas, stats] = await Promise.all([api(config.areas, { auth: false }),
                                        api(config.stats, { auth: false })]);
  } catch (_e) {
    fill(info, el("p", { className: "gg-error" }, t("error.load")));
    info.hidden = false;
    return;
  }
  const byId = new Map(stats.areas.map((a) => [a.id, a]));
  const feats = areas.features;
  const colors = gridColors(feats, COLOUR);
  const hasMicro = LEAF !== COLOUR && feats.some((f) => f.properties.level === LEAF);
  const leaf = hasMicro ? LEAF : COLOUR;
  const max = Math.max(0, ...stats.areas.filter((a) => a.level === leaf).map((a) => countValue(a.total)));
  const shift = geoJsonShift(config.datum);
  const onEach = (f, layer) => {
    layer.on("click", () => showInfo(f.properties, byId.get(f.properties.id), stats));
    layer.bindTooltip(() => el("span", {}, f.properties.name || ""), { sticky: true });
  };
  const of = (level) => ({ type: "FeatureCollection",
                           features: feats.filter((f) => f.properties.level === level) });
  const street = L.geoJSON(of(STREET), { ...shift, interactive: false,
    style: { color: "#222", weight: 3, dashArray: "6 4", fill: false } });
  const grid = L.geoJSON(of(COLOUR), { ...shift, onEachFeature: onEach,
    style: (f) => ({ color: colors.get(f.properties.id), weight: 2.5, fillOpacity: hasMicro ? 0 : 0.15 }) });
  const micro = L.geoJSON(of(LEAF), { ...shift, onEachFeature: onEach,
    style: (f) => ({ color: colors.get(f.properties.id), weight: 1, fillOpacity: 0.25 }) });
  const counts = L.geoJSON(of(leaf), { ...shift, onEachFeature: onEach,
    style: (f) => ({ color: "#666", weight: 0.5, fillOpacity: 0.7,
                     fillColor: countColor((byId.get(f.properties.id) || {}).total, max) }) });
  const labels = L.layerGroup();
  grid.eachLayer((l) => {
    const p = l.feature.properties;
    const icon = L.divIcon({ className: "gg-label gg-embed-label", iconSize: null,
                             html: el("span", {}, p.name || "") });
    const at = p.label ? latLng(p.label[0], p.label[1], config.datum) : l.getBounds().getCenter();
    L.marker(at, { icon, interactive: false }).addTo(labels);
  });
  street.addTo(map);
  const gridGroup = L.layerGroup([grid, labels]).addTo(map);
  const overlays = { grid: gridGroup };
  const names = { [levelName(DECLARED, COLOUR)]: gridGroup };
  if (hasMicro) {
    micro.addTo(map);
    overlays.microgrid = micro;
    names[levelName(DECLARED, LEAF)] = micro;
  }
  overlays.stats = counts;
  names[t("layer.stats")] = counts;
  L.control.layers(null, names, { collapsed: false }).addTo(map);
  legend(max);
  permalink(map, overlays);
  gg.overlays = overlays;
  gg.ready = performance.now();
  document.documentElement.dataset.ready = "1";
}

main();

// 我的网格: find the grid of an address (clicking an area shows its contact already)
const MyGridControl = L.Control.extend({
  options: { position: "topleft" },
  onAdd() {
    const box = el("div", { className: "gg-search leaflet-bar" }, lookupForm());
    L.DomEvent.disableClickPropagation(box);
    return box;
  },
});
new MyGridControl().addTo(map);
