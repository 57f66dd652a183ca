// The editor's tools panel: pick (click), brush and lasso (select many objects and move
// them as one edit, to a target the API has checked), a line across a microgrid (cut it
// along the line) and the shared boundary of two neighbours (drag its points). The line and
// the boundary work one level up too (网格, 居民区; a Hangzhou plan's 社区): the level
// select names the plan's levels, and the area redrawn is the picked microgrid's ancestor
// there, whose children move whole with the line. The map gestures are in editor-draw.js;
// the writes go through the page's queue (editor.js).
import { ancestorAt, api, el, fill, t } from "./common.js";
import { latLng } from "./datum.js";
import { neighbours, sharedBoundary } from "./editor-geo.js";
import { MapGestures } from "./editor-draw.js";

const TOOLS = ["pick", "brush", "lasso", "line", "boundary"];
const $ = (id) => document.getElementById(id);

export class ToolsPanel {
  /**
   * ``ctx``: map, datum, view (EditorMap), state (the page state), label(id),
   * move(ids, to) and cut(microgrids, line), both queued writes that resolve when done.
   */
  constructor(ctx) {
    Object.assign(this, { ctx, mode: "pick", brushed: new Set(), targets: null, seq: 0, other: null,
                          level: null, near: null });
    this.gestures = new MapGestures(ctx.map, ctx.datum, () => ctx.view.objLayers, {
      has: (id) => this.brushed.has(id),
      paint: (ids, adding) => this._paint(ids, adding),
      lasso: (ids) => { this.brushed = new Set(ids); this._changed(); },
      point: () => this.render(),
      finish: () => this._cut(),
      boundary: (coords) => this._drag(coords),
    });
    fill($("gg-tool-buttons"), TOOLS.map((tool) => el("button", {
      type: "button", id: `gg-tool-${tool}`, dataset: { tool }, on: { click: () => this.setMode(tool) },
    }, t(`editor.tool.${tool}`))));
    this.setMode("pick");
  }

  setMode(mode) {
    this.mode = mode;
    this.gestures.setMode(mode);
    for (const b of $("gg-tool-buttons").querySelectorAll("button")) {
      b.setAttribute("aria-pressed", String(b.dataset.tool === mode));
    }
    $("gg-tools").dataset.mode = mode;
    $("gg-tool-hint").textContent = mode === "pick" ? "" : t(`editor.tool.${mode}_hint`);
    if (mode !== "boundary") this.other = null;
    this.render();
  }

  /** Forget the brushed objects (after a move, or when another plan opens). */
  clear() {
    this.brushed = new Set();
    this.targets = null;
    this.gestures.reset();
    this.render();
  }

  _paint(ids, adding) {
    let changed = false;
    for (const id of ids) {
      if (adding && !this.brushed.has(id)) { this.brushed.add(id); changed = true; }
      if (!adding && this.brushed.delete(id)) changed = true;
    }
    if (changed) this._changed();
  }

  /** The brushed set changed: mark it, then ask the API where it may go. */
  async _changed() {
    this.mark();
    this.targets = null;
    this.render();
    const mine = ++this.seq;
    const plan = this.ctx.state.plan;
    if (!this.brushed.size || !plan) return;
    await new Promise((r) => setTimeout(r, 120));   // one request per stroke, not per pixel
    if (mine !== this.seq) return;
    try {
      const out = await api(`/plans/${plan.id}/move-targets`, { json: { objects: [...this.brushed] } });
      if (mine === this.seq) this.targets = out.targets;
    } catch (e) {
      if (mine === this.seq) this.targets = { error: e };
    }
    if (mine === this.seq) this.render();
  }

  /** Outline the brushed objects on the map (again after every redraw). */
  mark() {
    for (const [id, layer] of this.ctx.view.objLayers) {
      const e = layer.getElement();
      if (e) e.classList.toggle("gg-brushed", this.brushed.has(id));
    }
  }

  /** After a reload: drop what no longer exists, redraw the panel and the marks. */
  refresh() {
    const objs = this.ctx.state.objById;
    this.brushed = new Set([...this.brushed].filter((id) => objs.has(id)));
    if (this.mode === "boundary") this._showBoundary();
    this.mark();
    this.render();
  }

  render() {
    const box = $("gg-tool-panel");
    const body = { brush: () => this._brushPanel(), lasso: () => this._brushPanel(),
                   line: () => this._linePanel(), boundary: () => this._boundaryPanel() }[this.mode];
    fill(box, body ? body() : []);
  }

  _brushPanel() {
    const n = this.brushed.size;
    const parts = [el("p", { id: "gg-brush-count", dataset: { n: String(n) } }, t("editor.brushed_n", { n }))];
    if (!n) return parts;
    const rows = Array.isArray(this.targets) ? this.targets : [];
    const reason = (r) => (r.reason === "mates" ? t("editor.target_off.mates", { n: (r.value || []).length })
      : r.reason === "locked" ? t("editor.target_off.locked")
        : t("editor.target_off.split", { mg: this.ctx.label(r.value) }));
    const select = el("select", { id: "gg-brush-target" }, el("option", { value: "" }, "—"),
      rows.map((r) => el("option", { value: r.microgrid, disabled: !r.ok, dataset: { reason: r.reason || "" } },
        `${this.ctx.label(r.microgrid)}${r.ok ? "" : ` · ${reason(r)}`}`)));
    const go = el("button", { type: "button", id: "gg-brush-move", className: "gg-primary", disabled: true,
                              on: { click: () => select.value && this.ctx.move([...this.brushed], select.value) } },
    t("editor.move"));
    select.addEventListener("change", () => { go.disabled = !select.value; });
    if (this.targets && this.targets.error) parts.push(el("p", { className: "gg-error" }, this.targets.error.message));
    parts.push(el("label", {}, t("editor.move_selection"), select),
      el("div", { className: "gg-actions" }, go,
        el("button", { type: "button", id: "gg-brush-clear", on: { click: () => this.clear() } },
          t("editor.tool.clear"))));
    return parts;
  }

  /** The level the line or boundary redraws: the chosen one, else the plan's unit level. */
  _levelKey() {
    const lv = this.ctx.state.lv;
    return lv.drawable.some((l) => l.key === this.level) ? this.level : lv.unit;
  }

  /** The area the tools redraw: the picked microgrid, or its ancestor on the chosen level. */
  _selectedMicrogrid() {
    const { selected: sel, lv, byId } = this.ctx.state;
    if (!sel || sel.kind !== "microgrid") return null;
    const key = this._levelKey();
    return key === lv.unit ? sel.id : ancestorAt(byId, sel.id, key);
  }

  /** Neighbours on the chosen level (the page's own for the unit level). */
  _neighbours(id) {
    const { lv, areas, adjacency } = this.ctx.state;
    const key = this._levelKey();
    if (key === lv.unit) return adjacency.get(id) || [];
    if (!this.near || this.near.areas !== areas || this.near.key !== key) {
      this.near = { areas, key, map: neighbours(areas.filter((f) => f.properties.level === key)) };
    }
    return this.near.map.get(id) || [];
  }

  /** Which level to redraw, named as the plan declares them (none when there is one). */
  _levelSelect() {
    const lv = this.ctx.state.lv;
    if (lv.drawable.length < 2) return null;
    return el("label", {}, t("editor.draw_level"), el("select", { id: "gg-line-level", on: { change: (ev) => {
      this.level = ev.target.value;
      this.other = null;
      if (this.mode === "boundary") this._showBoundary();
      this.render();
    } } }, lv.drawable.map((l) => el("option", { value: l.key, selected: l.key === this._levelKey() }, l.name))));
  }

  _linePanel() {
    const mg = this._selectedMicrogrid();
    if (!mg) return [this._levelSelect(), el("p", { className: "gg-muted" }, t("editor.tool.line_hint"))];
    const n = this.gestures.line.length;
    return [this._levelSelect(),
      el("p", { id: "gg-line-area", dataset: { id: mg } }, this.ctx.label(mg), " · ",
        el("span", { id: "gg-line-points" }, t("editor.line_points", { n }))),
      el("div", { className: "gg-actions" },
        el("button", { type: "button", id: "gg-line-finish", className: "gg-primary", disabled: n < 2,
                       on: { click: () => this._cut() } }, t("editor.tool.finish")),
        el("button", { type: "button", on: { click: () => { this.gestures.reset(); this.render(); } } },
          t("editor.tool.clear")))];
  }

  async _cut() {
    const mg = this._selectedMicrogrid();
    const line = this.gestures.lineCoords();
    if (!mg || line.length < 2) return;
    const res = await this.ctx.cut([mg], line);
    if (res) { this.gestures.reset(); this.render(); }
  }

  _boundaryPanel() {
    const mg = this._selectedMicrogrid();
    if (!mg) return [this._levelSelect(), el("p", { className: "gg-muted" }, t("editor.tool.boundary_hint"))];
    const near = [...this._neighbours(mg)].sort();
    const select = el("select", { id: "gg-boundary-with", on: { change: (ev) => {
      this.other = ev.target.value || null;
      this._showBoundary();
    } } }, el("option", { value: "" }, "—"),
    near.map((id) => el("option", { value: id, selected: id === this.other }, this.ctx.label(id))));
    return [this._levelSelect(), el("label", {}, `${this.ctx.label(mg)} · ${t("editor.boundary_with")}`, select)];
  }

  _showBoundary() {
    const mg = this._selectedMicrogrid();
    const { byId } = this.ctx.state;
    if (!mg || !this.other || !byId.has(mg) || !byId.has(this.other)) { this.gestures.reset(); return; }
    const coords = sharedBoundary(byId.get(mg), byId.get(this.other));
    this.gestures.showBoundary(coords, (x, y) => latLng(x, y, this.ctx.datum));
  }

  async _drag(coords) {
    const mg = this._selectedMicrogrid();
    if (!mg || !this.other) return;
    const res = await this.ctx.cut([mg, this.other], coords);
    if (!res) this._showBoundary();   // refused: the boundary springs back
  }
}
