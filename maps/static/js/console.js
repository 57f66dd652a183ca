// The dispatcher console: sign in, list incidents by status and category (overdue ones
// highlighted), heatmap, details with the chain of areas and the timeline, nearest
// responder and route, and the workflow actions each incident allows.
// Everything from the API is rendered with textContent (see common.js: el, fill).
import { ancestorAt, api, config, el, fill, session, signIn, t, when } from "./common.js";
import { geoJsonShift, latLng } from "./datum.js";
import { actorName, roleName, timerText } from "./texts.js";
import { initIntake, intakeCategories } from "./console-intake.js";
import { showPhotos } from "./console-photos.js";
import { announceOverdue, startLive, stopLive, toast } from "./console-live.js";

const gg = window.geogrid;
const map = gg.map;
const $ = (id) => document.getElementById(id);
const LEVELS = ["street", "grid", "community", "microgrid", "building_group"];
const STATUS_COLORS = { reported: "#9467bd", accepted: "#17becf", dispatched: "#1f77b4",
  handling: "#ff7f0e", verifying: "#2ca02c", evaluating: "#bcbd22", closed: "#7f7f7f",
  rejected: "#8c564b" };
/** Extra inputs each action takes besides the reason. */
const ACTION_FIELDS = { extend: ["extra"], evaluate: ["satisfaction"], recategorise: ["category"],
  raise_hand: ["department"] };
/** Actions the console does not offer (relocating needs a corrected position). */
const HIDDEN_ACTIONS = new Set(["relocate", "report", "assign"]);
/** The heat layer's radius on the ground, the same at every zoom up to HEAT_MAX_PX. */
const HEAT_RADIUS_M = 120;
/** Leaflet.heat draws its blur template 200 px off-canvas: a radius + blur past that shows a
 *  hard-edged block, so at street-level zooms the radius stops growing here. */
const HEAT_MAX_PX = 70;
/** Reports in one spot that reach the darkest colour. */
const HEAT_FULL = 3;
/** A sequential palette (ColorBrewer OrRd): more reports, darker; no rainbow. */
const HEAT_GRADIENT = { 0.25: "#fdd49e", 0.5: "#fc8d59", 0.75: "#d7301f", 1: "#7f0000" };

const state = { incidents: [], categories: new Map(), areas: null, tab: "open",
                selected: null, detail: null, pending: null, timer: null,
                ranked: null };  // {uid, rows}: the responder list on screen

// -- layers ------------------------------------------------------------------------------
const areaLayer = L.geoJSON(null, { ...geoJsonShift(config.datum), interactive: false,
  style: (f) => (f.properties.level === "grid"
    ? { color: "#333", weight: 2, fill: false }
    : { color: "#777", weight: 0.7, fill: false, dashArray: "3 3" }) }).addTo(map);
const incidentLayer = L.featureGroup().addTo(map);
const heatLayer = L.heatLayer([], { ...heatScale(), minOpacity: 0.3, gradient: HEAT_GRADIENT })
  .addTo(map);
gg.heatLayer = heatLayer;
map.on("zoomend", () => heatLayer.setOptions(heatScale()));
const routeLayer = L.featureGroup().addTo(map);
L.control.layers(null, {
  [t("layer.areas")]: areaLayer, [t("layer.incidents")]: incidentLayer,
  [t("layer.heat")]: heatLayer, [t("layer.route")]: routeLayer,
}, { collapsed: false }).addTo(map);

// -- helpers -------------------------------------------------------------------------------
/** Heat options for the map's zoom: HEAT_RADIUS_M in screen pixels (Web Mercator), and a
 *  ``max`` that undoes Leaflet.heat's dimming below the map's top zoom, so HEAT_FULL reports
 *  in one place are the darkest colour at every zoom. */
function heatScale() {
  const metresPerPx = 40075016.686 * Math.cos((map.getCenter().lat * Math.PI) / 180)
    / 2 ** (map.getZoom() + 8);
  const radius = Math.min(HEAT_MAX_PX, Math.max(3, HEAT_RADIUS_M / metresPerPx));
  const dim = 1 / 2 ** Math.max(0, Math.min(map.getMaxZoom() - map.getZoom(), 12));
  return { radius, blur: radius * 0.6, max: HEAT_FULL * dim };
}
const isOverdue = (inc) => Boolean(inc.deadline_at) && config.overdueStatuses.includes(inc.status)
  && new Date(inc.deadline_at).getTime() < Date.now();
const catName = (code) => (state.categories.get(code) || {}).name || code;
const statusName = (s) => t(`status.${s}`);
const areaName = (id) => {
  const f = state.areas && state.areas.features.find((a) => a.properties.id === id);
  return f ? `${f.properties.name} ${f.properties.code || ""}`.trim() : id;
};

function showError(e) {
  if (e && e.status === 401) { signOut(t("console.expired")); return; }
  $("gg-error").textContent = e ? `${e.message}${e.fix ? ` — ${e.fix}` : ""}` : "";
}

// -- session -------------------------------------------------------------------------------
function showSession(s) {
  $("gg-signin").hidden = Boolean(s);
  $("gg-session").hidden = !s;
  $("gg-filters").hidden = !s;
  $("gg-status-tabs").hidden = !s;
  $("gg-queue").hidden = !s;
  $("gg-call-open").hidden = !s;
  if (!s) $("gg-call").hidden = true;
  if (s) {
    $("gg-user").textContent = s.username;
    $("gg-role").textContent = roleName(s.role);
  }
}

function signOut(message) {
  session.clear();
  clearInterval(state.timer);
  stopLive();
  state.incidents = [];
  state.selected = null;
  showSession(null);
  fill($("gg-list"));
  $("gg-count").textContent = "";
  $("gg-detail").hidden = true;
  incidentLayer.clearLayers();
  routeLayer.clearLayers();
  heatLayer.setLatLngs([]);
  $("gg-signin-error").textContent = message || "";
}

$("gg-signin").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("gg-signin-error").textContent = "";
  const username = $("gg-username").value.trim();
  try {
    await signIn(username, $("gg-password").value);
    $("gg-password").value = "";
    await start();
  } catch (e) {
    $("gg-signin-error").textContent = `${t("console.signin_failed")}: ${e.message}`;
  }
});
$("gg-signout").addEventListener("click", () => signOut(""));

// -- reference data (public) ---------------------------------------------------------------
async function loadReference() {
  const [cats, areas] = await Promise.all([api("/categories", { auth: false }),
    api("/areas", { auth: false })]);
  for (const c of cats) state.categories.set(c.code, c);
  fill($("gg-f-category"), el("option", { value: "" }, t("console.all")),
    cats.map((c) => el("option", { value: c.code }, c.name)));
  fill($("gg-af-category"), cats.map((c) => el("option", { value: c.code }, c.name)));
  intakeCategories(cats);
  state.areas = areas;
  areaLayer.addData({ type: "FeatureCollection",
    features: areas.features.filter((f) => ["grid", "microgrid"].includes(f.properties.level)) });
  const grids = areas.features.filter((f) => f.properties.level === "grid");
  // each microgrid under its grid, whatever level lies between (居民区/商务区)
  const byId = new Map(areas.features.map((f) => [f.properties.id, f]));
  const micro = areas.features.filter((f) => f.properties.level === "microgrid")
    .sort((a, b) => String(a.properties.code || "").localeCompare(String(b.properties.code || "")));
  const options = [el("option", { value: "" }, t("console.all"))];
  for (const g of grids) {
    options.push(el("option", { value: `grid:${g.properties.id}` },
      `${g.properties.name} ${g.properties.code || ""}`));
    const kids = micro.filter((m) => ancestorAt(byId, m.properties.id, "grid") === g.properties.id);
    if (kids.length) {
      options.push(el("optgroup", { label: g.properties.name },
        kids.map((m) => el("option", { value: `mg:${m.properties.id}` },
          `${m.properties.name} ${m.properties.code || ""}`))));
    }
  }
  fill($("gg-f-area"), options);
}

// -- incidents -----------------------------------------------------------------------------
function queryParams() {
  const area = $("gg-f-area").value;
  const iso = (v) => (v ? new Date(v).toISOString() : undefined);
  return { limit: 2000, category: $("gg-f-category").value || undefined,
           microgrid: area.startsWith("mg:") ? area.slice(3) : undefined,
           since: iso($("gg-f-since").value), until: iso($("gg-f-until").value),
           overdue: $("gg-f-overdue").checked ? "true" : undefined };
}

async function loadIncidents() {
  try {
    state.incidents = await api("/incidents", { params: queryParams() });
    showError(null);
  } catch (e) {
    showError(e);
    return;
  }
  render();
  announceOverdue(state.incidents, isOverdue, catName);
  await loadQueue();
}

function visible() {
  const area = $("gg-f-area").value;
  let rows = state.incidents;
  if (area.startsWith("grid:")) {
    const gid = area.slice(5);
    rows = rows.filter((i) => ((i.area_chain || {}).grid || {}).id === gid);
  }
  return rows;
}

function renderTabs(rows) {
  const counts = {};
  for (const i of rows) counts[i.status] = (counts[i.status] || 0) + 1;
  const open = rows.filter((i) => config.openStatuses.includes(i.status)).length;
  const overdue = rows.filter(isOverdue).length;
  const tab = (key, label, n) => el("button", { type: "button", className: "gg-tab",
    dataset: { status: key }, on: { click: () => { state.tab = key; render(); } } }, `${label} ${n}`);
  const tabs = [tab("open", t("console.all"), open), tab("overdue", t("console.overdue"), overdue)];
  for (const s of config.statuses) if (counts[s]) tabs.push(tab(s, statusName(s), counts[s]));
  tabs.push(tab("all", `${t("console.all")} + ${statusName("closed")}`, rows.length));
  fill($("gg-status-tabs"), tabs);
  for (const b of $("gg-status-tabs").children) {
    b.setAttribute("aria-pressed", String(b.dataset.status === state.tab));
  }
}

function inTab(i) {
  if (state.tab === "all") return true;
  if (state.tab === "open") return config.openStatuses.includes(i.status);
  if (state.tab === "overdue") return isOverdue(i);
  return i.status === state.tab;
}

function listItem(i) {
  const chain = i.area_chain || {};
  const leaf = chain.microgrid || chain.grid || chain.street || {};
  const overdue = isOverdue(i);
  return el("li", { className: `gg-inc${overdue ? " gg-overdue" : ""}${state.selected === i.uid ? " gg-selected" : ""}`,
    dataset: { uid: i.uid, status: i.status }, tabIndex: 0,
    on: { click: () => select(i.uid), keydown: (ev) => { if (ev.key === "Enter") select(i.uid); } } },
  el("b", {}, catName(i.category)),
  el("span", { className: "gg-badge", style: `background:${STATUS_COLORS[i.status] || "#eee"};color:#fff` },
    statusName(i.status)),
  overdue ? el("span", { className: "gg-badge gg-badge-overdue" }, t("console.overdue")) : null,
  el("div", { className: "gg-muted" }, `${when(i.reported_at)} · ${leaf.name || ""}`),
  i.address ? el("div", {}, i.address) : null);
}

function render() {
  const rows = visible();
  renderTabs(rows);
  const shown = rows.filter(inTab);
  $("gg-count").textContent = t("console.count", { n: shown.length });
  const groups = new Map();
  for (const i of shown) {
    const key = `${i.status}|${i.category}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(i);
  }
  const items = [];
  const order = [...groups.keys()].sort((a, b) => config.statuses.indexOf(a.split("|")[0])
    - config.statuses.indexOf(b.split("|")[0]) || a.localeCompare(b));
  for (const key of order) {
    const [status, cat] = key.split("|");
    const list = groups.get(key);
    items.push(el("li", { className: "gg-group-head" }, `${statusName(status)} · ${catName(cat)} (${list.length})`));
    list.sort((a, b) => Number(isOverdue(b)) - Number(isOverdue(a)));
    items.push(...list.map(listItem));
  }
  if (!items.length) items.push(el("li", { className: "gg-muted" }, t("console.empty")));
  fill($("gg-list"), items);
  incidentLayer.clearLayers();
  const heat = [];
  for (const i of shown) {
    const at = latLng(i.lon, i.lat, config.datum);
    heat.push([at.lat, at.lng, 1]);
    const overdue = isOverdue(i);
    L.circleMarker(at, { radius: overdue ? 9 : 7, weight: overdue ? 3 : 1.5,
      color: overdue ? "#d00" : "#fff", fillColor: STATUS_COLORS[i.status] || "#555", fillOpacity: 0.9,
      className: `gg-inc-marker${overdue ? " gg-overdue" : ""}` })
      .bindTooltip(() => el("span", {}, `${catName(i.category)} · ${statusName(i.status)}`))
      .on("click", () => select(i.uid)).addTo(incidentLayer);
  }
  heatLayer.setLatLngs(heat);
}

// -- one incident --------------------------------------------------------------------------
async function select(uid) {
  state.selected = uid;
  for (const li of $("gg-list").querySelectorAll(".gg-inc")) {
    li.classList.toggle("gg-selected", li.dataset.uid === uid);
  }
  routeLayer.clearLayers();
  $("gg-route-info").textContent = "";
  $("gg-action-form").hidden = true;
  try {
    state.detail = await api(`/incidents/${encodeURIComponent(uid)}`);
  } catch (e) {
    showError(e);
    return;
  }
  renderDetail(state.detail);
  if (!$("gg-responders-box").hidden) loadResponders(uid);
  $("gg-detail").scrollIntoView({ block: "nearest" });
  map.panTo(latLng(state.detail.lon, state.detail.lat, config.datum));
}

/** Re-read the open incident after a live change, keeping the route and the map view. */
async function refreshSelected(uid) {
  let inc;
  try {
    inc = await api(`/incidents/${encodeURIComponent(uid)}`);
  } catch (_e) {
    return;  // gone out of reach: the next list load says so
  }
  if (state.selected !== uid || !$("gg-action-form").hidden) return;
  state.detail = inc;
  renderDetail(inc);
  if (!$("gg-responders-box").hidden) loadResponders(uid);
}

function renderDetail(inc) {
  const same = $("gg-detail").dataset.uid === inc.uid;
  $("gg-detail").hidden = false;
  $("gg-detail").dataset.uid = inc.uid;
  fill($("gg-d-title"), `${catName(inc.category)} `, el("small", { className: "gg-muted" }, inc.uid));
  const rows = [
    ["field.status", statusName(inc.status) + (isOverdue(inc) ? ` · ${t("console.overdue")}` : "")],
    ["field.address", inc.address], ["field.description", inc.description],
    ["field.reporter", [inc.reporter_name, inc.reporter_phone].filter(Boolean).join(" ")],
    ["field.reported_at", when(inc.reported_at)], ["field.deadline_at", when(inc.deadline_at)],
    ["field.handler", inc.handler ? `${areaName(inc.handler)}${inc.assignment && inc.assignment.role ? ` (${inc.assignment.role})` : ""}` : ""],
  ];
  if (inc.timer) {
    rows.push(["field.timer", timerText(inc.timer)]);
  }
  fill($("gg-d-fields"), rows.filter(([, v]) => v).map(([k, v]) => [el("dt", {}, t(k)), el("dd", { className: `gg-f-${k.split(".")[1]}` }, v)]));
  if (!same || (inc.photos || []).length !== $("gg-d-photos").querySelectorAll("img").length) {
    showPhotos(inc);
  }
  const chain = inc.area_chain || {};
  fill($("gg-chain"), LEVELS.filter((lv) => chain[lv]).map((lv) => el("li", { dataset: { level: lv } },
    `${t(`level.${lv}`)}: `, el("b", {}, chain[lv].name || ""), " ", el("small", {}, chain[lv].code || ""))));
  fill($("gg-timeline"), (inc.events || []).map((e) => el("li", { dataset: { action: e.action } },
    el("span", { className: "gg-muted" }, when(e.at)), " ", el("b", {}, t(`action.${e.action}`)),
    e.from_status ? ` ${statusName(e.from_status)} → ${statusName(e.to_status)}` : ` → ${statusName(e.to_status)}`,
    e.actor ? ` · ${actorName(e.actor)}` : "", e.reason ? el("div", { className: "gg-reason" }, e.reason) : null)));
  $("gg-responders-box").hidden = !(inc.allowed_actions || []).includes("assign");
  if (!same) fill($("gg-responders"));  // a refresh keeps the list until the new one is in
  const actions = (inc.allowed_actions || []).filter((a) => !HIDDEN_ACTIONS.has(a));
  fill($("gg-actions"), actions.length
    ? actions.map((a) => el("button", { type: "button", className: "gg-action", dataset: { action: a },
      on: { click: () => startAction(a) } }, t(`action.${a}`)))
    : el("span", { className: "gg-muted" }, t("console.no_actions")));
}

function startAction(action) {
  const fields = ACTION_FIELDS[action] || [];
  const reason = config.needsReason.includes(action);
  if (!reason && !fields.length) { perform(action, {}); return; }
  state.pending = action;
  $("gg-action-name").textContent = t(`action.${action}`);
  $("gg-af-reason-l").hidden = !reason;
  $("gg-af-reason").required = reason;
  $("gg-af-reason").value = "";
  for (const f of ["extra", "satisfaction", "category", "department"]) {
    $(`gg-af-${f}-l`).hidden = !fields.includes(f);
  }
  $("gg-action-form").hidden = false;
  (reason ? $("gg-af-reason") : $(`gg-af-${fields[0]}`)).focus();
}

$("gg-action-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const action = state.pending;
  const fields = ACTION_FIELDS[action] || [];
  const body = {};
  if (config.needsReason.includes(action)) body.reason = $("gg-af-reason").value.trim();
  if (fields.includes("extra")) body.extra = $("gg-af-extra").value.trim();
  if (fields.includes("satisfaction")) body.satisfaction = Number($("gg-af-satisfaction").value);
  if (fields.includes("category")) body.category = $("gg-af-category").value;
  if (fields.includes("department") && $("gg-af-department").value.trim()) {
    body.department = $("gg-af-department").value.trim();
  }
  perform(action, body);
});
$("gg-af-cancel").addEventListener("click", () => { $("gg-action-form").hidden = true; });
$("gg-d-close").addEventListener("click", () => {
  $("gg-detail").hidden = true;
  state.selected = null;
  routeLayer.clearLayers();
});

async function perform(action, body) {
  const inc = state.detail;
  try {
    await api(`/incidents/${encodeURIComponent(inc.uid)}/actions`,
      { json: { action, version: inc.version, ...body } });
    $("gg-action-form").hidden = true;
    showError(null);
  } catch (e) {
    if (e.status === 409 && e.code === "conflict") $("gg-error").textContent = t("console.conflict");
    else showError(e);
  }
  await loadIncidents();
  await select(inc.uid);
}

async function drawRoute() {
  const inc = state.detail;
  if (!inc) return;
  routeLayer.clearLayers();
  // no responder chosen yet: route the first of the list on screen (fastest by road)
  const list = state.ranked && state.ranked.uid === inc.uid ? state.ranked.rows : [];
  const top = inc.responder_id == null && list.length ? list[0].id : undefined;
  try {
    const res = await api(`/incidents/${encodeURIComponent(inc.uid)}/route`,
      { params: { responder_id: top } });
    const line = L.geoJSON(res.route.geometry, { ...geoJsonShift(config.datum),
      style: { color: "#0050d0", weight: 5, opacity: 0.85, className: "gg-route" } }).addTo(routeLayer);
    const who = res.responder || {};
    L.circleMarker(latLng(who.lon, who.lat, config.datum), { radius: 8, color: "#0050d0",
      fillColor: "#fff", fillOpacity: 1, className: "gg-responder" })
      .bindTooltip(() => el("span", {}, `${who.name || ""} (${who.role || ""})`)).addTo(routeLayer);
    map.fitBounds(line.getBounds(), { padding: [40, 40], maxZoom: 17 });
    const km = Math.round((res.route.distance_m || 0) / 100) / 10;
    const min = Math.max(1, Math.round((res.route.duration_s || 0) / 60));
    $("gg-route-info").textContent = t("console.route_info", { name: who.name || "", role: who.role || "", km, min })
      + (res.route.fallback ? ` · ${t("console.route_fallback")}` : "");
  } catch (e) {
    $("gg-route-info").textContent = e.message;
    if (e.status === 401) showError(e);
  }
}
$("gg-route-btn").addEventListener("click", drawRoute);

// -- responders ranked by travel time; the choice is an event and routes that responder ------
async function loadResponders(uid) {
  let rows;
  try {
    rows = await api(`/incidents/${encodeURIComponent(uid)}/responders`);
  } catch (e) {
    fill($("gg-responders"), el("li", { className: "gg-error" }, e.message));
    return;
  }
  if (state.selected !== uid) return;
  state.ranked = { uid, rows };
  fill($("gg-responders"), rows.length ? rows.map((r) => el("li", {
    className: `gg-resp${r.chosen ? " gg-chosen" : ""}`, dataset: { id: r.id, rank: r.rank } },
  el("b", {}, `${r.rank}. ${r.name}`), ` (${r.role}) `,
  el("span", { className: "gg-muted" }, t("console.resp_eta", {
    min: Math.max(1, Math.round(r.duration_s / 60)), km: Math.round(r.distance_m / 100) / 10 })),
  r.chosen ? el("span", { className: "gg-badge gg-badge-chosen" }, t("console.chosen"))
    : el("button", { type: "button", className: "gg-choose", on: { click: () => choose(r.id) } },
      t("console.choose")))) : el("li", { className: "gg-muted" }, t("console.no_responders")));
}

async function choose(rid) {
  const uid = state.detail.uid;
  try {
    await api(`/incidents/${encodeURIComponent(uid)}/responder`, { json: { responder_id: rid } });
  } catch (e) {
    showError(e);
    return;
  }
  await select(uid);
  await drawRoute();
}

// -- 待指挥: incidents whose category is under manual command wait here for a dispatcher -----
async function loadQueue() {
  let rows;
  try {
    rows = await api("/command-queue");
  } catch (e) {
    if (e.status === 403) $("gg-queue").hidden = true;  // a role that does not dispatch
    else fill($("gg-queue-list"), el("li", { className: "gg-error" }, e.message));
    return;
  }
  $("gg-queue-count").textContent = String(rows.length);
  fill($("gg-queue-list"), rows.length ? rows.map((i) => el("li", { className: "gg-q",
    dataset: { uid: i.uid } }, el("b", {}, catName(i.category)), ` ${when(i.reported_at)} `,
  i.address ? el("span", { className: "gg-muted" }, i.address) : null,
  el("button", { type: "button", className: "gg-q-command",
    on: { click: () => command(i.uid) } }, t("console.command"))))
    : el("li", { className: "gg-muted" }, t("console.queue_empty")));
}

async function command(uid) {
  await select(uid);
  if (state.detail && state.detail.uid === uid) startAction("dispatch");
}

// -- live updates -------------------------------------------------------------------------
let reloadTimer = null;
function onChange(row) {
  if (row.action === "report") toast(t("console.toast_new", { cat: catName(row.category) }), "new");
  if (row.action === "escalate") toast(t("console.toast_overdue", { cat: catName(row.category) }), "overdue");
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(async () => {
    await loadIncidents();
    if (state.selected === row.uid && $("gg-action-form").hidden) await refreshSelected(row.uid);
  }, 150);
}

// -- printable 派单 sheet --------------------------------------------------------------------
function printSheet() {
  const inc = state.detail;
  if (!inc) return;
  const chain = inc.area_chain || {};
  const who = ($("gg-responders").querySelector(".gg-chosen b") || {}).textContent || "";
  const rows = [["console.uid", inc.uid], ["field.category", catName(inc.category)],
    ["field.status", statusName(inc.status)], ["field.address", inc.address],
    ["console.area", LEVELS.filter((lv) => chain[lv]).map((lv) => chain[lv].name).join(" / ")],
    ["field.description", inc.description],
    ["field.reporter", [inc.reporter_name, inc.reporter_phone].filter(Boolean).join(" ")],
    ["field.reported_at", when(inc.reported_at)], ["field.deadline_at", when(inc.deadline_at)],
    ["console.responder", who.replace(/^\d+\.\s*/, "")]];
  // the print module's sheet: the only thing geogrid.css shows on paper
  let sheet = $("gg-print-sheet");
  if (!sheet) document.body.append(sheet = el("div", { id: "gg-print-sheet" }));
  let page = $("gg-print-page");
  if (!page) document.head.append(page = el("style", { id: "gg-print-page" }));
  page.textContent = "@page { size: A4 portrait; margin: 15mm; }";
  fill(sheet, el("article", { className: "gg-order", dataset: { uid: inc.uid } },
    el("h1", {}, t("console.sheet_title")),
    el("table", {}, rows.filter(([, v]) => v).map(([k, v]) => el("tr", {}, el("th", {}, t(k)), el("td", {}, v)))),
    el("p", { className: "gg-order-sign" }, t("console.sheet_sign"))));
  window.print();
}
$("gg-print-order").addEventListener("click", printSheet);

for (const id of ["gg-f-category", "gg-f-area", "gg-f-since", "gg-f-until", "gg-f-overdue"]) {
  $(id).addEventListener("change", loadIncidents);
}
$("gg-refresh").addEventListener("click", loadIncidents);

// -- start -----------------------------------------------------------------------------------
async function start() {
  const s = session.get();
  if (!s) { showSession(null); return; }
  try {
    const me = await api("/auth/me");
    session.set({ ...s, username: me.username, role: me.role });
  } catch (e) {
    signOut(e.status === 401 ? t("console.expired") : e.message);
    return;
  }
  showSession(session.get());
  await loadIncidents();
  startLive(onChange);
  clearInterval(state.timer);
  state.timer = setInterval(() => { if (session.get()) loadIncidents(); }, 60000);
}

async function main() {
  try {
    await loadReference();
  } catch (e) {
    showError(e);
  }
  await start();
  gg.ready = performance.now();
  document.documentElement.dataset.ready = "1";
}

initIntake({ map, catName, onSaved: async (uid) => { await loadIncidents(); await select(uid); } });
main();
