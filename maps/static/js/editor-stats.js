// The editor's statistics: the balance table of the grids, the table of one grid's
// microgrids and its balance chart (one bar per microgrid against the grid's target and
// tolerance band). Table and chart show the same workload, the one the API computes with
// the formula printed under the chart (households + a weight per object type).
import { el, fill, gridColors, t } from "./common.js";
import { num } from "./editor-geo.js";
import { levelName } from "./levels.js";

const SVG = "http://www.w3.org/2000/svg";
const W = 370;
const H = 150;
const PAD = { left: 34, right: 6, top: 8, bottom: 16 };

function svg(tag, attrs, ...children) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "dataset") Object.assign(e.dataset, v);
    else if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

/** The workload formula as text: "工作量 = 户数 + 楼栋×2 + …" from the API's weights. */
export function formulaText(workload) {
  const w = (workload && workload.weights) || {};
  const terms = Object.entries(w).filter(([k, v]) => k !== "household" && Number(v) > 0)
    .map(([k, v]) => `${t(`editor.type.${k}`)}×${num(v, Number.isInteger(v) ? 0 : 1)}`);
  return `${t("editor.workload")} = ${t("editor.formula_households")}${terms.map((x) => ` + ${x}`).join("")}`;
}

/**
 * One bar per microgrid (``rows``: id, code, workload), the grid's ``target`` as a dashed
 * line and the ±``tolerance`` band shaded; bars outside the band are drawn in orange.
 */
export function balanceChart(rows, target, tolerance, current, onPick) {
  const lo = target * (1 - tolerance);
  const hi = target * (1 + tolerance);
  const top = Math.max(hi, ...rows.map((r) => r.workload || 0)) * 1.08 || 1;
  const y = (v) => PAD.top + (H - PAD.top - PAD.bottom) * (1 - v / top);
  const step = (W - PAD.left - PAD.right) / Math.max(1, rows.length);
  const chart = svg("svg", { id: "gg-balance-chart", class: "gg-chart", viewBox: `0 0 ${W} ${H}`,
                             role: "img", "aria-label": t("editor.chart") });
  chart.append(svg("rect", { class: "gg-band", x: PAD.left, width: W - PAD.left - PAD.right,
                             y: y(hi), height: Math.max(0, y(lo) - y(hi)) }));
  rows.forEach((r, i) => {
    const v = r.workload || 0;
    const out = v < lo || v > hi;
    const bar = svg("rect", {
      class: `gg-bar${out ? " gg-out" : ""}${r.id === current ? " gg-current" : ""}`,
      x: (PAD.left + i * step + step * 0.1).toFixed(2), width: Math.max(1, step * 0.8).toFixed(2),
      y: y(v).toFixed(2), height: Math.max(0, y(0) - y(v)).toFixed(2),
      dataset: { id: r.id, workload: v.toFixed(1) } },
    svg("title", {}, `${r.code || r.id}: ${num(v, 1)}${out ? ` · ${t("editor.out_of_band")}` : ""}`));
    bar.addEventListener("click", () => onPick(r.id));
    chart.append(bar);
  });
  chart.append(svg("line", { class: "gg-target-line", x1: PAD.left, x2: W - PAD.right,
                             y1: y(target), y2: y(target), dataset: { target: target.toFixed(1) } }));
  for (const v of [0, target]) {
    chart.append(svg("text", { x: PAD.left - 3, y: y(v) + 3, "text-anchor": "end" }, num(v)));
  }
  chart.append(svg("line", { class: "gg-axis", x1: PAD.left, x2: W - PAD.right, y1: y(0), y2: y(0) }));
  return chart;
}

/**
 * Fill the grid table, the microgrid table and the chart of ``state.statsGrid``.
 * ``before`` (id → old row) flashes the rows that changed; ``pick(id)`` selects a microgrid.
 */
export function renderStats(state, before, { pick, pickGrid, byCode }) {
  const stats = state.stats;
  if (!stats) return;
  const top = state.lv ? state.lv.grid : "grid";   // the plan's level above the units
  const grids = state.areas.filter((f) => f.properties.level === top).sort(byCode);
  const balance = new Map(stats.grids.map((g) => [g.grid_id, g]));
  const colours = gridColors(state.areas, top);
  if (!state.statsGrid || !balance.has(state.statsGrid)) {
    const first = grids.find((g) => balance.has(g.properties.id));
    state.statsGrid = first ? first.properties.id : null;
  }
  fill(document.getElementById("gg-grid-stats").tBodies[0],
    grids.filter((g) => balance.has(g.properties.id)).map((g) => {
      const id = g.properties.id;
      const b = balance.get(id);
      return el("tr", { dataset: { grid: id }, className: id === state.statsGrid ? "gg-current" : "",
                        on: { click: () => pickGrid(id) } },
      el("td", {}, el("span", { className: "gg-swatch", style: `background:${colours.get(id)}` }), g.properties.name),
      el("td", { dataset: { field: "microgrids" } }, num(b.microgrids)),
      el("td", { dataset: { field: "cv" } }, num(b.cv, 3)),
      el("td", { dataset: { field: "max_min" } }, num(b.max_min, 2)));
    }));
  const rows = stats.microgrids.filter((m) => m.grid_id === state.statsGrid)
    .sort((a, b) => String(a.code || a.id).localeCompare(String(b.code || b.id)));
  const grid = state.byId.get(state.statsGrid);
  // a declared plan's own names (社区 / 网格) instead of 网格 / 微网格
  const lv = state.lv && !state.lv.standard ? state.lv : null;
  const units = lv ? levelName(lv.list, lv.unit) : t("editor.n_microgrids");
  if (lv) {
    const head = document.querySelectorAll("#gg-grid-stats thead th");
    head[0].textContent = levelName(lv.list, lv.grid);
    head[1].textContent = units;
  }
  document.getElementById("gg-stats-caption").textContent = grid
    ? `${grid.properties.name} · ${units} ${rows.length}` : "";
  const changed = (m) => {
    const old = before && before.get(m.id);
    return Boolean(before && before.size && (!old || old.households !== m.households
      || old.objects !== m.objects || old.building_groups !== m.building_groups));
  };
  const sel = state.selected;
  const current = sel && (sel.kind === "microgrid" ? sel.id
    : (state.objById.get(sel.id) || { properties: {} }).properties.microgrid);
  fill(document.getElementById("gg-stats").tBodies[0], rows.map((m) => el("tr", {
    dataset: { id: m.id, locked: m.locked ? "1" : "" },
    className: `${m.id === current ? "gg-current" : ""}${changed(m) ? " gg-changed" : ""}`,
    on: { click: () => pick(m.id) } },
  el("td", { dataset: { field: "code" } }, m.code || m.id),
  el("td", { dataset: { field: "households" } }, num(m.households)),
  el("td", { dataset: { field: "objects" } }, num(m.objects)),
  el("td", { dataset: { field: "building_groups" } }, num(m.building_groups)),
  el("td", { dataset: { field: "workload" } }, num(m.workload, 1)),
  el("td", { dataset: { field: "locked" } }, m.locked ? t("editor.locked") : ""))));
  renderChart(stats, balance.get(state.statsGrid), rows, current, pick);
}

function renderChart(stats, balance, rows, current, pick) {
  const box = document.getElementById("gg-chart-box");
  if (!box) return;
  if (!balance || !rows.length) { fill(box); return; }
  const tol = (stats.workload && stats.workload.tolerance) || 0.15;
  const target = balance.target ?? rows.reduce((s, r) => s + (r.workload || 0), 0) / rows.length;
  fill(box, el("h3", {}, t("editor.chart")), balanceChart(rows, target, tol, current, pick),
    el("p", { className: "gg-muted gg-legend-line" },
      t("editor.chart_legend", { target: num(target, 1), tol: num(tol * 100) })),
    el("p", { id: "gg-formula", className: "gg-formula" }, formulaText(stats.workload)));
}
