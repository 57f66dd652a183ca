// The planner editor: sign in, pick a plan (view the active one, copy it into a draft or
// continue a draft), move objects between neighbouring microgrids, split, merge, lock,
// undo and redo, with live statistics, a comparison with the active plan, validation and
// activation. Every write sends the plan version it was made on; a 409 conflict reloads
// the plan and says that someone else changed it. Saving is implicit: every edit is stored.
// Everything from the API is rendered as text (common.js: el, fill).
import { ancestorAt, api, config, el, fill, gridColors, session, signIn, t } from "./common.js";
import { latLng } from "./datum.js";
import { findings, renderList, summary } from "./problems.js";
import { roleName } from "./texts.js";
import { colourClasses, neighbours, num, shade } from "./editor-geo.js";
import { EditorMap, objectLabel } from "./editor-map.js";
import { renderStats as renderStatsPanel } from "./editor-stats.js";
import { ToolsPanel } from "./editor-tools.js";
import { initExport } from "./editor-export.js";
import { editLevels } from "./levels.js";

const gg = window.geogrid;
const map = gg.map;
const $ = (id) => document.getElementById(id);
const PLAN_KEY = "geogrid.editor.plan";
const SHADES = 5;

const state = {
  active: null,          // the active plan (PlanPublic)
  plan: null,            // the plan on screen
  areas: [], byId: new Map(), adjacency: new Map(),
  objects: [], objById: new Map(),
  stats: null, statById: new Map(), history: [], diff: null,
  problems: null, problemsStale: false,
  selected: null,        // {kind: "object" | "microgrid", id}
  target: null,          // the microgrid an object is to move to
  cellmates: null,       // {objects, to, mates}: a move the API asked to widen
  statsGrid: null, confirming: false, busy: false, seq: 0, fitted: null,
  lv: editLevels(),      // the plan's declared levels: the unit edited, the grid above it
};
const isUnit = (f) => f.properties.level === state.lv.unit;

const label = (id) => {
  const f = state.byId.get(id);
  if (!f) return id ? String(id) : "";
  const p = f.properties;
  return `${p.name || ""} ${p.code || ""}`.trim() || p.id;
};
const nameOf = (id) => (state.byId.has(id) ? label(id)
  : state.objById.has(id) ? objectLabel(state.objById.get(id).properties) : String(id));
// the grid a microgrid's statistics belong to, through any level between (居民区/商务区)
const gridOf = (mgId) => ancestorAt(state.byId, mgId, state.lv.grid);
// the area a microgrid was partitioned in: one edit stays within it
const unitOf = (mgId) => (state.byId.get(mgId) || { properties: {} }).properties.parent_id;
const byCode = (a, b) => String(a.properties.code || a.properties.id)
  .localeCompare(String(b.properties.code || b.properties.id));

const view = new EditorMap(map, config.datum, {
  label, onObject: (id) => selectObject(id), onMicrogrid: (id) => clickMicrogrid(id) });
const tools = new ToolsPanel({
  map, datum: config.datum, view, state, label,
  move: (ids, to) => moveObjects(ids, to, false),
  cut: (microgrids, line) => edit({ op: "cut", microgrids, line }, (res) => (res.moved_areas
    ? t("editor.cut_up_done", { n: res.moved_areas.length }) : t("editor.cut_done", { n: res.moved_objects }))) });
const resetSwipe = initExport(map, config.datum, () => state.plan, (e) => failed(e));

// -- messages --------------------------------------------------------------------------------
function say(text) {
  $("gg-message").textContent = text || "";
}

function showError(e, conflict = false) {
  const box = $("gg-error");
  box.classList.toggle("gg-conflict", conflict);
  if (!e) { box.textContent = ""; return; }
  box.textContent = typeof e === "string" ? e : `${e.message}${e.fix ? ` — ${e.fix}` : ""}`;
}

function clearMessages() {
  say("");
  showError(null);
}

// -- rights ------------------------------------------------------------------------------------
const isWriter = () => {
  const s = session.get();
  return Boolean(s && config.writers.includes(s.role));
};
const editable = () => isWriter() && state.plan && state.plan.status === "draft";
function inScope(mgId) {
  const s = session.get();
  if (!s || !s.scope || s.role === "admin") return true;
  const f = state.byId.get(mgId);
  return Boolean(f && String(f.properties.code || "").startsWith(s.scope));
}

// -- session -----------------------------------------------------------------------------------
function showSession(s) {
  $("gg-signin").hidden = Boolean(s);
  $("gg-session").hidden = !s;
  if (s) {
    $("gg-user").textContent = s.username;
    $("gg-role").textContent = s.scope ? `${roleName(s.role)} · ${s.scope}` : roleName(s.role);
  } else {
    $("gg-plans").hidden = true;
    $("gg-workspace").hidden = true;
  }
}

function showPicker(on) {
  $("gg-plans").hidden = !on;
  $("gg-workspace").hidden = on || !state.plan;
}

async function signOut(message) {
  session.clear();
  sessionStorage.removeItem(PLAN_KEY);
  state.plan = null;
  state.selected = null;
  showSession(null);
  $("gg-signin-error").textContent = message || "";
  await drawPublic();
}

$("gg-signin").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("gg-signin-error").textContent = "";
  try {
    await signIn($("gg-username").value.trim(), $("gg-password").value);
    $("gg-password").value = "";
    await start();
  } catch (e) {
    $("gg-signin-error").textContent = `${t("console.signin_failed")}: ${e.message}`;
  }
});
$("gg-signout").addEventListener("click", () => signOut(""));

function failed(e) {
  if (e && e.status === 401) { signOut(t("console.expired")); return; }
  showError(e);
}

// -- picking a plan ----------------------------------------------------------------------------
async function renderPlans() {
  const [active, drafts] = await Promise.all([api("/plans/active"),
    api("/plans", { params: { status: "draft" } })]);
  state.active = active;
  fill($("gg-active-plan"),
    el("span", {}, el("b", {}, active.name), " ",
      el("span", { className: "gg-muted" }, `#${active.id} · ${t("editor.version", { v: active.version })}`)),
    el("button", { type: "button", id: "gg-view-active", on: { click: () => guarded(openPlan, active.id) } },
      t("editor.view")));
  $("gg-copy").hidden = !isWriter();
  fill($("gg-drafts"), drafts.length
    ? drafts.slice().reverse().map((d) => el("li", { dataset: { plan: String(d.id) } },
      el("span", {}, el("b", {}, d.name), " ",
        el("span", { className: "gg-muted" }, `#${d.id} · ${t("editor.version", { v: d.version })}`)),
      el("button", { type: "button", className: "gg-open", on: { click: () => guarded(openPlan, d.id) } },
        t("editor.open"))))
    : el("li", { className: "gg-muted" }, t("editor.no_drafts")));
}

$("gg-copy").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  clearMessages();
  const name = $("gg-draft-name").value.trim();
  try {
    const draft = await api(`/plans/${state.active.id}/copy`, { json: name ? { name } : {} });
    $("gg-draft-name").value = "";
    await openPlan(draft.id);
    renderPlans().catch(failed);
  } catch (e) {
    failed(e);
  }
});

$("gg-switch-plan").addEventListener("click", () => {
  const on = $("gg-plans").hidden;
  $("gg-plans").hidden = !on;
  if (on) renderPlans().catch(failed);
});

async function guarded(fn, ...args) {
  try {
    await fn(...args);
  } catch (e) {
    failed(e);
  }
}

async function openPlan(id) {
  const plan = await api(`/plans/${id}`);
  clearMessages();
  Object.assign(state, { plan, selected: null, target: null, cellmates: null, diff: null,
                         problems: null, problemsStale: false, statsGrid: null, confirming: false });
  sessionStorage.setItem(PLAN_KEY, String(id));
  $("gg-compare").checked = false;
  tools.clear();
  resetSwipe();
  view.showProblems([]);
  showPicker(false);
  await reload();
}

// -- loading and drawing -----------------------------------------------------------------------
function compareOn() {
  return $("gg-compare").checked && state.plan && state.plan.status !== "active";
}

/** Fetch the plan, its areas, objects, stats (and history, diff) and redraw everything. */
async function reload() {
  const mine = ++state.seq;
  const id = state.plan.id;
  const draft = state.plan.status === "draft";
  const [plan, areas, objects, stats, history, diff] = await Promise.all([
    api(`/plans/${id}`), api(`/plans/${id}/areas`), api(`/plans/${id}/objects`),
    api(`/plans/${id}/stats`), draft ? api(`/plans/${id}/history`) : [],
    compareOn() ? api(`/plans/${id}/diff`, { params: { against: "active" } }) : null]);
  if (mine !== state.seq) return;
  const before = state.statById;
  Object.assign(state, { plan, history, diff, lv: editLevels(plan.levels) });
  state.areas = areas.features;
  state.byId = new Map(state.areas.map((f) => [f.properties.id, f]));
  state.objects = objects.features;
  state.objById = new Map(state.objects.map((f) => [f.properties.id, f]));
  state.stats = stats;
  state.statById = new Map(stats.microgrids.map((m) => [m.id, m]));
  state.adjacency = neighbours(state.areas.filter(isUnit));
  if (state.selected && !(state.selected.kind === "object" ? state.objById : state.byId).has(state.selected.id)) {
    state.selected = null;
  }
  if (state.target && !state.byId.has(state.target)) state.target = null;
  draw();
  tools.refresh();
  if (state.fitted !== id) {
    const b = view.bounds();
    if (b.isValid()) map.fitBounds(b, { padding: [10, 10] });
    state.fitted = id;
  }
  renderHead();
  renderSelection();
  renderStats(before);
  renderDiff();
  renderProblems();
}

function draw() {
  const gridColour = gridColors(state.areas, state.lv.grid);
  const mgs = state.areas.filter(isUnit);
  const classes = colourClasses(mgs.map((f) => f.properties.id), state.adjacency, SHADES);
  const mgColour = new Map(mgs.map((f) => [f.properties.id,
    shade(gridColour.get(f.properties.id) || "#555555", classes.get(f.properties.id), SHADES)]));
  const locked = new Set((state.stats ? state.stats.microgrids : []).filter((m) => m.locked).map((m) => m.id));
  const moved = new Set(state.diff ? state.diff.changes.map((c) => String(c.object_id)) : []);
  view.draw(state.areas, state.objects, { gridColour, mgColour, locked, moved, lv: state.lv });
  view.select(state.selected, state.target);
}

/** Before sign-in (or without a plan): the active plan's areas, which are public. */
async function drawPublic() {
  try {
    const areas = await api("/plans/active/areas", { auth: false });
    Object.assign(state, { areas: areas.features, objects: [], stats: null, diff: null,
                           byId: new Map(areas.features.map((f) => [f.properties.id, f])) });
    state.adjacency = neighbours(state.areas.filter(isUnit));
    draw();
  } catch (e) {
    showError(e);
  }
}

function renderHead() {
  const p = state.plan;
  $("gg-workspace").dataset.plan = String(p.id);
  $("gg-workspace").dataset.version = String(p.version);
  $("gg-workspace").dataset.status = p.status;
  $("gg-plan-name").textContent = p.name;
  $("gg-plan-status").textContent = t(`editor.status.${p.status}`);
  $("gg-plan-status").dataset.status = p.status;
  $("gg-plan-version").textContent = `#${p.id} · ${t("editor.version", { v: p.version })}`;
  const s = session.get();
  const note = p.status !== "draft" ? t("editor.read_only")
    : !isWriter() ? t("editor.no_rights", { role: s ? s.role : "" }) : "";
  $("gg-readonly").textContent = note;
  $("gg-readonly").hidden = !note;
  renderToolbar();
}

function renderToolbar() {
  const can = editable();
  const steps = state.history || [];
  const undoable = steps.some((h) => !h.undone && h.op !== "base");
  const redoable = steps.some((h) => h.undone);
  for (const b of $("gg-toolbar").querySelectorAll("button[data-write]")) b.hidden = !can;
  $("gg-tools").hidden = !can;
  $("gg-undo").disabled = state.busy || !undoable;
  $("gg-redo").disabled = state.busy || !redoable;
  $("gg-activate").disabled = state.busy;
  $("gg-validate").disabled = state.busy;
  $("gg-compare-l").hidden = state.plan.status === "active";
  $("gg-swipe-l").hidden = state.plan.status === "active";
  $("gg-activate-confirm").hidden = !(can && state.confirming);
}

function setBusy(on) {
  state.busy = on;
  document.documentElement.dataset.busy = on ? "1" : "";
  if (state.plan) renderToolbar();
  for (const b of $("gg-selection").querySelectorAll("button[data-write]")) b.disabled = on || b.dataset.off === "1";
}

// -- selection ---------------------------------------------------------------------------------
function selectObject(id) {
  if (!state.objById.has(id)) return;
  if (!(state.selected && state.selected.kind === "object" && state.selected.id === id)) {
    state.target = null;
    state.cellmates = null;
  }
  state.selected = { kind: "object", id };
  const mg = state.objById.get(id).properties.microgrid;
  if (mg) state.statsGrid = gridOf(mg);
  view.select(state.selected, state.target);
  renderSelection();
  renderStats();
}

function selectMicrogrid(id) {
  state.selected = { kind: "microgrid", id };
  state.target = null;
  state.cellmates = null;
  state.statsGrid = gridOf(id);
  view.select(state.selected, null);
  renderSelection();
  renderStats();
  tools.render();
}

function clearSelection() {
  state.selected = null;
  state.target = null;
  state.cellmates = null;
  view.select(null, null);
  renderSelection();
}

/** A click on a microgrid: the target of the selected object's move, or a new selection. */
function clickMicrogrid(id) {
  const sel = state.selected;
  if (sel && sel.kind === "object" && editable()) {
    const current = state.objById.get(sel.id).properties.microgrid;
    if (current && id !== current) {
      if (unitOf(id) !== unitOf(current)) {
        showError(t("editor.other_grid"));
        return;
      }
      showError(null);
      state.target = id;
      state.cellmates = null;
      view.select(sel, id);
      renderSelection();
      return;
    }
  }
  selectMicrogrid(id);
}

function neighbourOptions(mgId, chosen) {
  const ids = new Set(state.adjacency.get(mgId) || []);
  if (chosen && chosen !== mgId && unitOf(chosen) === unitOf(mgId)) ids.add(chosen);
  return [...ids].map((id) => state.byId.get(id)).filter(Boolean).sort(byCode);
}

function lockedMark(id) {
  const s = state.statById.get(id);
  return s && s.locked ? ` · ${t("editor.locked")}` : "";
}

function writeButton(id, text, onClick, off = false, className = "") {
  return el("button", { type: "button", id, className, disabled: state.busy || off,
                        dataset: { write: "1", off: off ? "1" : "" }, on: { click: onClick } }, text);
}

function fields(rows) {
  return el("dl", { className: "gg-fields" },
    rows.filter(Boolean).map(([k, v, key]) => [el("dt", {}, k), el("dd", { dataset: { field: key || "" } }, v)]));
}

function renderSelection() {
  const box = $("gg-selection");
  const sel = state.selected;
  if (!sel || !state.plan) {
    fill(box, el("p", { className: "gg-muted" }, t("editor.hint")));
    box.dataset.kind = "";
    return;
  }
  box.dataset.kind = sel.kind;
  box.dataset.id = sel.id;
  fill(box, sel.kind === "object" ? objectPanel(sel.id) : microgridPanel(sel.id));
}

function panelHead(title, sub) {
  return el("header", {}, el("h3", {}, title, " ", el("small", { className: "gg-muted" }, sub)),
    el("button", { type: "button", className: "gg-close", title: t("editor.close"),
                   on: { click: clearSelection } }, "×"));
}

function objectPanel(id) {
  const p = state.objById.get(id).properties;
  const mg = p.microgrid;
  const parts = [panelHead(objectLabel(p), p.id), fields([
    [t("editor.type"), t(`editor.type.${p.type}`), "type"],
    [t("editor.households"), `${num(p.households)}${p.estimated ? ` (${t("editor.estimated")})` : ""}`,
      "households"],
    p.business_type ? [t("editor.business_type"), p.business_type, "business_type"] : null,
    [t("editor.microgrid"), mg ? label(mg) + lockedMark(mg) : t("editor.unassigned"), "microgrid"],
  ])];
  if (!editable() || !mg) return parts;
  if (!inScope(mg)) {
    parts.push(el("p", { className: "gg-muted" }, t("editor.out_of_scope", { scope: session.get().scope })));
    return parts;
  }
  const options = neighbourOptions(mg, state.target);
  const select = el("select", { id: "gg-target", on: { change: (ev) => {
    state.target = ev.target.value || null;
    state.cellmates = null;
    view.select(state.selected, state.target);
    renderSelection();
  } } }, el("option", { value: "" }, "—"),
  options.map((f) => el("option", { value: f.properties.id, selected: f.properties.id === state.target },
    label(f.properties.id) + lockedMark(f.properties.id))));
  parts.push(el("label", {}, t("editor.move_to"), select),
    el("p", { className: "gg-muted" }, options.length ? t("editor.pick_hint") : t("editor.no_neighbours")),
    el("div", { className: "gg-actions" },
      writeButton("gg-move", t("editor.move"), () => moveObjects([id], state.target, false), !state.target,
        "gg-primary")));
  const c = state.cellmates;
  if (c && c.objects.includes(id) && c.to === state.target) {
    parts.push(el("div", { className: "gg-cellmates", id: "gg-cellmates" },
      el("p", {}, t("editor.cellmates")),
      el("ul", {}, c.mates.map((m) => {
        const o = state.objById.get(m);
        return el("li", { dataset: { id: m } }, o ? `${objectLabel(o.properties)} (${m})` : m);
      })),
      writeButton("gg-move-together", t("editor.move_together"),
        () => moveObjects(c.objects, c.to, true), false, "gg-primary")));
  }
  return parts;
}

function microgridPanel(id) {
  const f = state.byId.get(id);
  if (!f) return [];
  const p = f.properties;
  const s = state.statById.get(id) || {};
  const parts = [panelHead(`${p.name || ""}${s.locked ? ` · ${t("editor.locked")}` : ""}`, p.code || p.id),
    fields([
      [t("editor.households"), num(s.households), "households"],
      [t("editor.objects"), num(s.objects), "objects"],
      [t("editor.buildings"), num(s.buildings), "buildings"],
      [t("editor.groups"), num(s.building_groups), "building_groups"],
      [t("editor.workload"), num(s.workload), "workload"],
    ])];
  if (!editable()) return parts;
  if (!inScope(id)) {
    parts.push(el("p", { className: "gg-muted" }, t("editor.out_of_scope", { scope: session.get().scope })));
    return parts;
  }
  const locked = Boolean(s.locked);
  if (locked) parts.push(el("p", { className: "gg-muted" }, t("editor.locked_hint")));
  const options = neighbourOptions(id, null).filter((n) => !(state.statById.get(n.properties.id) || {}).locked);
  const merge = el("select", { id: "gg-merge-with", disabled: locked },
    el("option", { value: "" }, "—"),
    options.map((n) => el("option", { value: n.properties.id }, label(n.properties.id))));
  merge.addEventListener("change", () => {
    const b = $("gg-merge");
    b.dataset.off = merge.value ? "" : "1";
    b.disabled = state.busy || !merge.value;
  });
  parts.push(el("div", { className: "gg-actions" },
    writeButton("gg-split", t("editor.split"), () => edit({ op: "split", microgrid: id }), locked),
    writeButton("gg-lock", locked ? t("editor.unlock") : t("editor.lock"),
      () => edit({ op: locked ? "unlock" : "lock", microgrid: id }))),
  el("label", {}, t("editor.merge_with"), merge),
  el("div", { className: "gg-actions" },
    writeButton("gg-merge", t("editor.merge"), () => merge.value && edit({ op: "merge", a: id, b: merge.value }),
      true)));
  return parts;
}

// -- writes ------------------------------------------------------------------------------------
/**
 * POST a write with the plan version; on success reload and return the answer, on a
 * conflict reload and say so, on any other refusal show the API's message and fix.
 */
async function write(path, body, onRefused) {
  if (state.busy || !state.plan) return null;
  clearMessages();
  setBusy(true);
  let res = null;
  try {
    res = await api(`/plans/${state.plan.id}/${path}`, { json: { ...body, version: state.plan.version } });
  } catch (e) {
    setBusy(false);
    if (e.status === 409 && e.code === "conflict") {
      showError(t("editor.conflict"), true);
      state.confirming = false;
      await reload().catch(failed);
      return null;
    }
    if (!(onRefused && onRefused(e))) failed(e);
    return null;
  }
  setBusy(false);
  if (state.problems) state.problemsStale = true;
  return res;
}

let chain = Promise.resolve();
/**
 * Run writes one after another: each waits for the previous write and its reload, so it is
 * sent with the version the previous one produced (a quick Ctrl+Z, Ctrl+Y never conflicts).
 */
function serial(fn) {
  const run = chain.then(fn);
  chain = run.catch(() => {});
  return run;
}

const edit = (body, message) => serial(async () => {
  const res = await write("edits", body);
  if (!res) return null;
  if (body.op === "merge" && state.selected && state.selected.id === body.b) state.selected = { kind: "microgrid", id: body.a };
  await reload().catch(failed);
  say(`${message ? message(res) : ""}${message ? " · " : ""}${t("editor.saved", { v: res.version })}`);
  return res;
});

const moveObjects = (objects, to, withCellmates) => serial(async () => {
  if (!to) return null;
  const res = await write("edits", { op: "move_objects", objects, to, with_cellmates: withCellmates },
    (e) => {
      // the API refuses a move that would split a cell: it names the cellmates to move too
      const mates = e.code === "plan_edit_refused" && e.field === "object_ids" && Array.isArray(e.value)
        ? e.value.map(String).filter((m) => !objects.includes(m)) : [];
      if (withCellmates || !mates.length) return false;
      state.cellmates = { objects, to, mates };
      view.select(state.selected, state.target, mates);
      renderSelection();
      return true;
    });
  if (!res) return null;
  state.cellmates = null;
  state.target = null;
  tools.clear();
  await reload().catch(failed);
  say(`${t("editor.moved_n", { n: res.moved_objects })} · ${t("editor.saved", { v: res.version })}`);
  return res;
});

/** Undo or redo, queued behind any write still on its way; skipped when nothing is left. */
const step = (which) => serial(async () => {
  const steps = state.history || [];
  const can = which === "undo" ? steps.some((h) => !h.undone && h.op !== "base") : steps.some((h) => h.undone);
  if (!can || !editable()) return;
  const res = await write(which, {});
  if (!res) return;
  await reload().catch(failed);
  say(`${t(`editor.${which}`)} · ${t("editor.saved", { v: res.version })}`);
});

$("gg-undo").addEventListener("click", () => step("undo"));
$("gg-redo").addEventListener("click", () => step("redo"));

$("gg-activate").addEventListener("click", () => {
  state.confirming = true;
  $("gg-activate-text").textContent = t("editor.activate_confirm",
    { name: state.plan.name, v: state.plan.version });
  renderToolbar();
  $("gg-activate-yes").focus();
});
$("gg-activate-no").addEventListener("click", () => {
  state.confirming = false;
  renderToolbar();
});
$("gg-activate-yes").addEventListener("click", async () => {
  state.confirming = false;
  renderToolbar();
  const res = await write("activate", {});
  if (!res) return;
  state.active = res;
  await openPlan(res.id).catch(failed);
  say(`${t("editor.activated")} · ${res.name}`);
  renderPlans().catch(failed);
});

// -- statistics --------------------------------------------------------------------------------
function renderStats(before) {
  renderStatsPanel(state, before, {
    byCode, pick: (id) => { selectMicrogrid(id); view.focus("microgrid", id); },
    pickGrid: (id) => { state.statsGrid = id; renderStats(); } });
}

// -- comparison with the active plan -----------------------------------------------------------
$("gg-compare").addEventListener("change", () => guarded(reload));

function renderDiff() {
  const on = compareOn() && state.diff;
  $("gg-diff-panel").hidden = !on;
  if (!on) return;
  const changes = state.diff.changes;
  $("gg-diff-count").textContent = changes.length ? t("editor.diff_n", { n: state.diff.moved })
    : t("editor.diff_none");
  fill($("gg-diff"), changes.slice(0, 500).map((c) => {
    const o = state.objById.get(String(c.object_id));
    return el("li", { dataset: { object: String(c.object_id) },
                      on: { click: () => { selectObject(String(c.object_id)); view.focus("object", String(c.object_id)); } } },
    el("b", {}, o ? objectLabel(o.properties) : String(c.object_id)), " ",
    el("span", { className: "gg-muted" },
      `${c.from_microgrid ? label(c.from_microgrid) : "—"} → ${c.to_microgrid ? label(c.to_microgrid) : "—"}`));
  }));
}

// -- validation --------------------------------------------------------------------------------
$("gg-validate").addEventListener("click", async () => {
  clearMessages();
  setBusy(true);
  try {
    state.problems = await api(`/plans/${state.plan.id}/validate`);
    state.problemsStale = false;
  } catch (e) {
    failed(e);
  }
  setBusy(false);
  renderProblems();
});

function goToIssue(issue) {
  if (issue.location) map.setView(latLng(issue.location[0], issue.location[1], config.datum), 17);
  const mg = (issue.ids || []).find((i) => state.byId.has(i)
    && isUnit(state.byId.get(i)));
  if (mg) selectMicrogrid(mg);
}

function renderProblems() {
  const rep = state.problems;
  $("gg-problems-panel").hidden = !rep;
  if (!rep) { view.showProblems([]); return; }
  const issues = findings(rep, nameOf);
  $("gg-problems-summary").textContent = summary(issues)
    + (state.problemsStale ? ` · ${t("editor.problems_stale")}` : "");
  $("gg-problems-panel").dataset.ok = String(rep.ok);
  view.showProblems(state.problemsStale ? [] : issues, goToIssue);
  renderList($("gg-problems"), issues, goToIssue);
}

// -- keyboard ----------------------------------------------------------------------------------
document.addEventListener("keydown", (ev) => {
  if (["INPUT", "SELECT", "TEXTAREA"].includes(ev.target.tagName) || !state.plan) return;
  if (ev.key === "Escape") clearSelection();
  if (!editable() || !(ev.ctrlKey || ev.metaKey)) return;
  const key = ev.key.toLowerCase();
  if (key === "z" && !ev.shiftKey) { ev.preventDefault(); step("undo"); }
  if ((key === "z" && ev.shiftKey) || key === "y") { ev.preventDefault(); step("redo"); }
});

// -- start -------------------------------------------------------------------------------------
async function start() {
  const s = session.get();
  if (!s) { await signOut(""); return; }
  try {
    const me = await api("/auth/me");
    session.set({ ...s, username: me.username, role: me.role, scope: me.scope || null });
  } catch (e) {
    await signOut(e.status === 401 ? t("console.expired") : e.message);
    return;
  }
  showSession(session.get());
  await renderPlans();
  const last = Number(sessionStorage.getItem(PLAN_KEY));
  if (last) {
    try {
      await openPlan(last);
      return;
    } catch (_e) {
      sessionStorage.removeItem(PLAN_KEY);
    }
  }
  showPicker(true);
  await drawPublic();
}

async function main() {
  try {
    await start();
  } catch (e) {
    failed(e);
  }
  gg.ready = performance.now();
  document.documentElement.dataset.ready = "1";
}

gg.editor = state;
main();
