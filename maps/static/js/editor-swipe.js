// Swipe comparison of two whole plans: each drawn in full (microgrids filled in shades of
// their grid's colour, grid boundaries, names on hover) in a pane of its own, the left plan shown left of a
// divider and the right plan right of it (each pane clipped with clip-path, so clicks and
// hover hit only the plan on that side). The divider is dragged with the mouse, a finger or
// the arrow keys, as in leaflet-side-by-side; any two readable plans can be chosen (by
// default the active plan on the left and the plan being edited on the right). While the
// swipe is on, the editor's own layers are hidden so only the two plans show.
import { api, el, fill, gridColors, t } from "./common.js";
import { geoJsonShift } from "./datum.js";
import { colourClasses, neighbours, shade } from "./editor-geo.js";
import { editLevels } from "./levels.js";

const SIDES = ["left", "right"];
const SHADES = 5;
/** the editor's own panes, hidden while two plans are compared */
const EDITOR_PANES = ["overlayPane", "gg-objects", "gg-points", "gg-marks"];

function planLabel(p) {
  return `${p.name} · ${t(`editor.status.${p.status}`)} · #${p.id}`;
}

class Side {
  constructor(map, datum, side) {
    this.map = map;
    this.side = side;
    this.planId = null;
    this.pane = map.createPane(`gg-swipe-${side}`);
    this.pane.style.zIndex = side === "left" ? "455" : "456";
    const shift = geoJsonShift(datum);
    this.colours = new Map();
    this.microgrids = L.geoJSON(null, { ...shift, pane: `gg-swipe-${side}`,
      style: (f) => ({ color: "#fff", weight: 1, opacity: 0.9, fillOpacity: 0.55,
                       fillColor: this.colours.get(f.properties.id) || "#888",
                       className: `gg-swipe-mg gg-swipe-${side}-mg` }),
      onEachFeature: (f, layer) => {
        layer.bindTooltip(() => el("span", {}, `${f.properties.name || ""} ${f.properties.code || ""}`),
          { sticky: true, pane: "tooltipPane" });
        layer.on("add", () => { layer.getElement().dataset.area = f.properties.id; });
      } });
    this.grids = L.geoJSON(null, { ...shift, pane: `gg-swipe-${side}`, interactive: false,
      style: { color: "#222", weight: 3, opacity: 0.9, fill: false,
               className: `gg-swipe-grid gg-swipe-${side}-grid` } });
  }

  /** Draw plan ``planId`` (its grids and microgrids, as the plan declares them); returns
   *  the number of microgrids. */
  async load(planId) {
    this.planId = planId;
    // the plan's own levels: the unit it is divided into (微网格; a Hangzhou plan's 网格) and
    // the level whose colours it takes (网格; Hangzhou's 社区)
    const lv = editLevels((await api(`/plans/${planId}`)).levels);
    const [mgs, grids] = await Promise.all([lv.unit, lv.grid].map((level) =>
      api(`/plans/${planId}/areas`, { params: { level } })));
    if (this.planId !== planId) return null;  // another plan was chosen meanwhile
    // as the editor colours them: shades of the grid's colour, neighbours told apart
    const gridColour = gridColors([...grids.features, ...mgs.features]);
    const classes = colourClasses(mgs.features.map((f) => f.properties.id), neighbours(mgs.features),
      SHADES);
    this.colours = new Map(mgs.features.map((f) => [f.properties.id,
      shade(gridColour.get(f.properties.id) || "#555555", classes.get(f.properties.id), SHADES)]));
    this.microgrids.clearLayers().addData(mgs.features);
    this.grids.clearLayers().addData(grids.features);
    this.pane.dataset.plan = String(planId);
    this.pane.dataset.microgrids = String(mgs.features.length);
    return mgs.features.length;
  }

  show(on) {
    for (const layer of [this.microgrids, this.grids]) {
      if (on) layer.addTo(this.map); else layer.remove();
    }
  }
}

export class Swipe {
  /** Two plans side by side over ``map``; ``failed(e)`` shows errors. */
  constructor(map, datum, failed) {
    this.map = map;
    this.failed = failed;
    this.on = false;
    this.fraction = 0.5;
    this.sides = Object.fromEntries(SIDES.map((s) => [s, new Side(map, datum, s)]));
    this.divider = el("div", { id: "gg-swipe-divider", className: "gg-swipe-divider", tabIndex: 0,
      title: t("editor.swipe_drag") }, el("span", { className: "gg-swipe-grip" }, "⇔"));
    this.divider.setAttribute("role", "slider");
    this.divider.setAttribute("aria-label", t("editor.swipe_drag"));
    this.divider.setAttribute("aria-valuemin", "0");
    this.divider.setAttribute("aria-valuemax", "100");
    this.pickers = Object.fromEntries(SIDES.map((s) => [s, el("select", {
      id: `gg-swipe-${s}-plan`, className: "gg-swipe-plan",
      on: { change: (ev) => this.choose(s, Number(ev.target.value)) } })]));
    this.labels = el("div", { className: "gg-swipe-labels" },
      ...SIDES.map((s) => el("label", { className: `gg-swipe-label gg-swipe-label-${s}` },
        t(`editor.swipe_${s}`), " ", this.pickers[s])));
    L.DomEvent.disableClickPropagation(this.labels);
    L.DomEvent.disableScrollPropagation(this.labels);
    this._wireDrag();
    map.on("move zoom resize zoomend moveend", () => this.clip());
  }

  _wireDrag() {
    const d = this.divider;
    L.DomEvent.disableClickPropagation(d);
    const moveTo = (clientX) => {
      const r = this.map.getContainer().getBoundingClientRect();
      this.setFraction((clientX - r.left) / r.width);
    };
    d.addEventListener("pointerdown", (ev) => {
      ev.preventDefault();
      ev.stopPropagation();
      d.setPointerCapture(ev.pointerId);
      this.map.dragging.disable();
      d.classList.add("gg-dragging");
    });
    d.addEventListener("pointermove", (ev) => {
      if (d.hasPointerCapture(ev.pointerId)) moveTo(ev.clientX);
    });
    const stop = (ev) => {
      if (!d.hasPointerCapture(ev.pointerId)) return;
      d.releasePointerCapture(ev.pointerId);
      this.map.dragging.enable();
      d.classList.remove("gg-dragging");
    };
    d.addEventListener("pointerup", stop);
    d.addEventListener("pointercancel", stop);
    d.addEventListener("keydown", (ev) => {
      const step = ev.shiftKey ? 0.1 : 0.02;
      if (ev.key === "ArrowLeft") this.setFraction(this.fraction - step);
      else if (ev.key === "ArrowRight") this.setFraction(this.fraction + step);
      else return;
      ev.preventDefault();
    });
  }

  setFraction(f) {
    this.fraction = Math.min(1, Math.max(0, f));
    this.clip();
  }

  /** Clip the left pane to the left of the divider and the right pane to its right. */
  clip() {
    if (!this.on) return;
    const size = this.map.getSize();
    const x = Math.round(size.x * this.fraction);
    const nw = this.map.containerPointToLayerPoint([0, 0]);
    const cut = this.map.containerPointToLayerPoint([x, 0]);
    const se = this.map.containerPointToLayerPoint([size.x, size.y]);
    const poly = (x0, x1) => `polygon(${x0}px ${nw.y}px, ${x1}px ${nw.y}px, ${x1}px ${se.y}px, ${x0}px ${se.y}px)`;
    this.sides.left.pane.style.clipPath = poly(nw.x, cut.x);
    this.sides.right.pane.style.clipPath = poly(cut.x, se.x);
    this.divider.style.left = `${x}px`;
    this.divider.dataset.x = String(x);
    this.divider.setAttribute("aria-valuenow", String(Math.round(this.fraction * 100)));
  }

  async choose(side, planId) {
    try {
      await this.sides[side].load(planId);
    } catch (e) {
      this.failed(e);
    }
  }

  /** Switch on with ``left`` and ``right`` plan ids (either side can be changed later). */
  async start(left, right) {
    const plans = await api("/plans");
    for (const s of SIDES) {
      fill(this.pickers[s], plans.map((p) => el("option", { value: String(p.id) }, planLabel(p))));
    }
    this.pickers.left.value = String(left);
    this.pickers.right.value = String(right);
    this.on = true;
    const box = this.map.getContainer();
    box.append(this.divider, this.labels);
    for (const name of EDITOR_PANES) {
      const pane = this.map.getPane(name);
      if (pane) pane.style.visibility = "hidden";
    }
    for (const s of SIDES) this.sides[s].show(true);
    this.clip();
    await Promise.all([this.sides.left.load(left), this.sides.right.load(right)]);
    box.dataset.swipe = "ready";
  }

  stop() {
    this.on = false;
    for (const s of SIDES) {
      this.sides[s].show(false);
      this.sides[s].planId = null;
      this.sides[s].pane.style.clipPath = "";
    }
    for (const name of EDITOR_PANES) {
      const pane = this.map.getPane(name);
      if (pane) pane.style.visibility = "";
    }
    this.divider.remove();
    this.labels.remove();
    delete this.map.getContainer().dataset.swipe;
  }
}
