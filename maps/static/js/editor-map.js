// The planner editor's map: grids, microgrids in shades of their grid's colour (locked ones
// hatched and greyed), 楼组 outlines, management objects coloured by their microgrid,
// moved objects, validation problems and the selection. Clicks go to the page module.
// The levels are the plan's (levels.js editLevels): in a Hangzhou plan the "grids" are its
// 社区 and the "microgrids" its 网格, and the layer list says so.
import { el, t } from "./common.js";
import { geoJsonShift, latLng } from "./datum.js";
import { editLevels, levelName } from "./levels.js";

const PANES = [["gg-objects", 440], ["gg-points", 450], ["gg-marks", 460]];
const LOCKED = { fillColor: "url(#gg-hatch)", fillOpacity: 0.8, color: "#666", weight: 1.5 };
const LEVEL_ORDER = { compound: 0 };   // compounds first: buildings are drawn over them

function objectLabel(p) {
  return p.name || p.address || t(`editor.type.${p.type}`);
}

export class EditorMap {
  /**
   * ``handlers``: onObject(id) and onMicrogrid(id), called on clicks; ``label(id)``
   * gives a microgrid's display name.
   */
  constructor(map, datum, handlers) {
    this.map = map;
    this.datum = datum;
    this.handlers = handlers;
    this.look = { gridColour: new Map(), mgColour: new Map(), locked: new Set(), moved: new Set() };
    this.mgLayers = new Map();
    this.objLayers = new Map();
    this.marked = [];
    for (const [name, z] of PANES) map.createPane(name).style.zIndex = String(z);
    const shift = geoJsonShift(datum);

    this.grids = L.geoJSON(null, { ...shift, interactive: false,
      style: (f) => ({ color: this.look.gridColour.get(f.properties.id) || "#333", weight: 3.5,
                       opacity: 0.9, fill: false }) });
    this.microgrids = L.geoJSON(null, { ...shift,
      style: (f) => this._mgStyle(f.properties.id),
      onEachFeature: (f, layer) => {
        const id = f.properties.id;
        layer.options.className = `gg-mg${this.look.locked.has(id) ? " gg-locked" : ""}`;
        layer.bindTooltip(() => el("span", {}, this.handlers.label(id)), { sticky: true });
        layer.on("click", () => this.handlers.onMicrogrid(id));
        this.mgLayers.set(id, layer);
      } });
    this.middle = L.geoJSON(null, { ...shift, interactive: false,
      style: (f) => ({ color: this.look.gridColour.get(f.properties.id) || "#333", weight: 2.2,
                       opacity: 0.9, dashArray: "6 4", fill: false, className: "gg-middle" }) });
    this.groups = L.geoJSON(null, { ...shift, interactive: false,
      style: { color: "#444", weight: 0.7, opacity: 0.7, dashArray: "2 3", fill: false } });
    this.objects = L.geoJSON(null, { ...shift, pane: "gg-objects",
      pointToLayer: (f, at) => L.circleMarker(at, { pane: "gg-points", radius: 4.5 }),
      style: (f) => this._objStyle(f.properties),
      onEachFeature: (f, layer) => {
        const p = f.properties;
        layer.options.className = `gg-obj gg-obj-${p.type}${this.look.moved.has(p.id) ? " gg-moved" : ""}`;
        layer.bindTooltip(() => el("span", {}, objectLabel(p), " · ",
          p.microgrid ? this.handlers.label(p.microgrid) : t("editor.unassigned")), { sticky: true });
        layer.on("click", (ev) => {
          L.DomEvent.stopPropagation(ev);
          this.handlers.onObject(p.id);
        });
        this.objLayers.set(p.id, layer);
      } });
    this.problems = L.featureGroup();
    for (const layer of [this.microgrids, this.groups, this.middle, this.grids, this.objects,
      this.problems]) layer.addTo(map);
    this._control(editLevels());
  }

  /** The layer list, named after the plan's levels (rebuilt when they change). */
  _control(lv) {
    const key = lv.list.map((l) => `${l.key}=${l.name}`).join();
    if (this.controlKey === key) return;
    if (this.control) this.control.remove();
    const middle = lv.list.filter((l) => l.role === "middle").map((l) => l.name).join("/");
    const layers = { [levelName(lv.list, lv.grid)]: this.grids };
    if (middle) layers[middle] = this.middle;
    Object.assign(layers, { [levelName(lv.list, lv.unit)]: this.microgrids,
      [t("editor.layer.groups")]: this.groups, [t("editor.layer.objects")]: this.objects,
      [t("layer.problems")]: this.problems });
    this.control = L.control.layers(null, layers, { collapsed: true }).addTo(this.map);
    this.controlKey = key;
  }

  _mgStyle(id) {
    if (this.look.locked.has(id)) return { ...LOCKED };
    const colour = this.look.mgColour.get(id) || "#888";
    return { color: this.look.gridColour.get(id) || "#555", weight: 1.2, opacity: 0.9,
             fillColor: colour, fillOpacity: 0.22 };
  }

  _objStyle(p) {
    const colour = (p.microgrid && this.look.mgColour.get(p.microgrid)) || "#9e9e9e";
    if (p.type === "compound") {
      return { color: colour, weight: 1.5, dashArray: "5 3", fill: false, opacity: 0.9 };
    }
    return { color: "#fff", weight: 0.8, fillColor: colour, fillOpacity: 0.95, opacity: 1 };
  }

  /** Redraw everything: ``areas`` and ``objects`` are GeoJSON features; ``look`` colours. */
  draw(areas, objects, look) {
    this.look = look;
    this.mgLayers.clear();
    this.objLayers.clear();
    this.marked = [];
    const lv = look.lv || editLevels();
    this._control(lv);
    for (const layer of [this.grids, this.middle, this.microgrids, this.groups, this.objects]) layer.clearLayers();
    const of = (role) => {
      const keys = new Set(lv.list.filter((l) => l.role === role).map((l) => l.key));
      return areas.filter((f) => keys.has(f.properties.level));
    };
    this.microgrids.addData(of("leaf"));
    this.groups.addData(of("group"));
    this.middle.addData(of("middle"));
    this.grids.addData(of("colour"));
    const sorted = [...objects].sort((a, b) => (LEVEL_ORDER[a.properties.type] ?? 1)
      - (LEVEL_ORDER[b.properties.type] ?? 1));
    this.objects.addData(sorted);
    for (const [id, layer] of this.mgLayers) {
      const e = layer.getElement();
      if (e) e.dataset.id = id;
    }
    for (const [id, layer] of this.objLayers) {
      const e = layer.getElement();
      if (e) {
        e.dataset.id = id;
        e.dataset.microgrid = layer.feature.properties.microgrid || "";
      }
    }
  }

  /** Bounds of what is drawn (for the first view of a plan). */
  bounds() {
    const b = this.grids.getBounds();
    return b.isValid() ? b : this.microgrids.getBounds();
  }

  /** Mark the selected object or microgrid, the chosen target microgrid and ``mates``
   * (objects that must move with the selected one). */
  select(selected, target, mates = []) {
    for (const [layer, cls] of this.marked) {
      const e = layer.getElement();
      if (e) e.classList.remove(cls);
    }
    this.marked = [];
    const mark = (layer, cls) => {
      const e = layer && layer.getElement();
      if (!e) return;
      e.classList.add(cls);
      layer.bringToFront();
      this.marked.push([layer, cls]);
    };
    if (target) mark(this.mgLayers.get(target), "gg-target");
    for (const id of mates) mark(this.objLayers.get(id), "gg-mate");
    if (selected) {
      const layers = selected.kind === "object" ? this.objLayers : this.mgLayers;
      mark(layers.get(selected.id), "gg-selected");
    }
  }

  focus(kind, id) {
    const layer = (kind === "object" ? this.objLayers : this.mgLayers).get(id);
    if (!layer) return;
    if (layer.getBounds) this.map.fitBounds(layer.getBounds(), { maxZoom: 18, padding: [40, 40] });
    else this.map.setView(layer.getLatLng(), Math.max(this.map.getZoom(), 17));
  }

  /** Validation problems as markers at their locations (none: cleared). */
  showProblems(issues, onClick) {
    this.problems.clearLayers();
    for (const issue of issues || []) {
      if (!issue.location) continue;
      const error = issue.severity === "error";
      L.circleMarker(latLng(issue.location[0], issue.location[1], this.datum), {
        pane: "gg-marks", radius: error ? 10 : 8, color: error ? "#d00" : "#e69500", weight: 3,
        fillOpacity: 0.15, className: `gg-problem gg-problem-${issue.severity}`,
      }).bindTooltip(() => el("span", {}, `${t(`editor.severity.${issue.severity}`)} · ${issue.text || ""}`))
        .on("click", () => onClick && onClick(issue)).addTo(this.problems);
    }
  }
}

export { objectLabel };
