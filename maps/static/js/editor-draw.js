// The editor's map gestures: paint objects with a brush, ring them with a lasso, click a
// line across a microgrid, drag the points of a shared boundary. Gestures only collect;
// the tools panel (editor-tools.js) decides what to send. While a gesture tool is on, the
// map does not pan on a drag and clicks do not select (they draw).
import { toStorage } from "./datum.js";

const BRUSH_PX = 6;          // the brush's radius on screen
const SAMPLES = [[0, 0], [1, 0], [-1, 0], [0, 1], [0, -1]];

/** Is the container point ``p`` inside the ring ``ring`` (container points)? */
export function inRing(p, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = [ring[i].x, ring[i].y];
    const [xj, yj] = [ring[j].x, ring[j].y];
    if ((yi > p.y) !== (yj > p.y) && p.x < ((xj - xi) * (p.y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export class MapGestures {
  /**
   * ``on``: paint(ids, adding) while brushing, lasso(ids) when a ring closes, point(n) for
   * each point of a line, boundary(coords) when a boundary point is dropped. ``objects()``
   * gives the Map id → Leaflet layer of the drawn objects.
   */
  constructor(map, datum, objects, on) {
    Object.assign(this, { map, datum, objects, on, mode: "pick", down: false, line: [] });
    this.sketch = L.featureGroup().addTo(map);
    const box = map.getContainer();
    const stop = (ev) => {
      if (this.mode === "pick" || this.mode === "boundary") return false;
      ev.stopPropagation();
      ev.preventDefault();
      return true;
    };
    box.addEventListener("pointerdown", (ev) => stop(ev) && this._start(ev), true);
    box.addEventListener("pointermove", (ev) => this.down && stop(ev) && this._move(ev), true);
    box.addEventListener("pointerup", (ev) => this.down && stop(ev) && this._end(ev), true);
    for (const name of ["mousedown", "click"]) box.addEventListener(name, stop, true);
    box.addEventListener("dblclick", (ev) => stop(ev) && this.mode === "line" && this.on.finish(), true);
  }

  setMode(mode) {
    this.mode = mode;
    this.down = false;
    this.reset();
    const gesture = !["pick", "boundary"].includes(mode);
    this.map.getContainer().classList.toggle("gg-gesture", gesture);
    if (gesture) this.map.dragging.disable(); else this.map.dragging.enable();
    if (mode === "line") this.map.doubleClickZoom.disable(); else this.map.doubleClickZoom.enable();
  }

  reset() {
    this.sketch.clearLayers();
    this.line = [];
    this.ring = null;
  }

  _point(ev) {
    return this.map.mouseEventToContainerPoint(ev);
  }

  _start(ev) {
    if (this.mode === "line") {
      this.line.push(this.map.containerPointToLatLng(this._point(ev)));
      this.sketch.clearLayers();
      L.polyline(this.line, { className: "gg-sketch", color: "#000", weight: 2, dashArray: "6 4" })
        .addTo(this.sketch);
      this.on.point(this.line.length);
      return;
    }
    this.down = true;
    const p = this._point(ev);
    if (this.mode === "lasso") {
      this.ring = [p];
      this.sketch.clearLayers();
      this.lassoLine = L.polyline([this.map.containerPointToLatLng(p)],
        { className: "gg-sketch", color: "#000", weight: 1.5, dashArray: "4 3" }).addTo(this.sketch);
      return;
    }
    const hit = this._hits(ev);
    this.adding = !hit.length || !this.on.has(hit[0]);
    this.on.paint(hit, this.adding);
  }

  _move(ev) {
    if (this.mode === "brush") this.on.paint(this._hits(ev), this.adding);
    if (this.mode === "lasso" && this.ring) {
      const p = this._point(ev);
      this.ring.push(p);
      this.lassoLine.addLatLng(this.map.containerPointToLatLng(p));
    }
  }

  _end() {
    this.down = false;
    if (this.mode !== "lasso" || !this.ring) return;
    const ring = this.ring;
    this.reset();
    if (ring.length < 3) return;
    const ids = [];
    for (const [id, layer] of this.objects()) {
      if (layer.feature.properties.type === "compound") continue;
      const at = layer.getBounds ? layer.getBounds().getCenter() : layer.getLatLng();
      if (inRing(this.map.latLngToContainerPoint(at), ring)) ids.push(id);
    }
    this.on.lasso(ids);
  }

  /** Object ids under the brush (its centre and four points on its rim); no compounds. */
  _hits(ev) {
    const out = new Set();
    for (const [dx, dy] of SAMPLES) {
      for (const node of document.elementsFromPoint(ev.clientX + dx * BRUSH_PX, ev.clientY + dy * BRUSH_PX)) {
        if (node.matches && node.matches("path.gg-obj:not(.gg-obj-compound)") && node.dataset.id) {
          out.add(node.dataset.id);
        }
      }
    }
    return [...out];
  }

  /** The line clicked so far, in storage lon/lat. */
  lineCoords() {
    const out = this.line.map((ll) => toStorage(ll.lng, ll.lat, this.datum));
    return out.filter((c, i) => i === 0 || c[0] !== out[i - 1][0] || c[1] !== out[i - 1][1]);
  }

  /**
   * Draw a shared boundary (storage lon/lat) with a draggable handle on its points; dropping a
   * handle calls ``on.boundary`` with the boundary as now drawn (storage lon/lat).
   */
  showBoundary(coords, toLatLng) {
    this.reset();
    if (!coords || coords.length < 2) return;
    const pts = coords.map(([x, y]) => toLatLng(x, y));
    const line = L.polyline(pts, { className: "gg-shared", color: "#000", weight: 3 }).addTo(this.sketch);
    const every = Math.max(1, Math.floor((pts.length - 2) / 24));
    for (let i = 1; i < pts.length - 1; i += every) {
      const handle = L.marker(pts[i], { draggable: true, keyboard: false,
        icon: L.divIcon({ className: "gg-handle", iconSize: [12, 12] }) }).addTo(this.sketch);
      handle.getElement().dataset.index = String(i);
      handle.on("drag", () => { pts[i] = handle.getLatLng(); line.setLatLngs(pts); });
      handle.on("dragend", () => this.on.boundary(pts.map((ll) => toStorage(ll.lng, ll.lat, this.datum))));
    }
  }
}
