// The editor's export row and swipe comparison: the plan on screen as GeoJSON or
// GeoPackage (downloaded with the session's token), as a PDF sheet (print.js), and the
// active plan's microgrids over the left part of the map, up to a handle the planner drags.
import { api, ApiError, el, fill, session, t } from "./common.js";
import { geoJsonShift } from "./datum.js";
import { editLevels } from "./levels.js";

/** Download ``path`` with the session's token, under the name the server gives. */
async function download(path) {
  const s = session.get();
  const r = await fetch(path, { headers: s ? { Authorization: `Bearer ${s.token}` } : {} });
  if (!r.ok) throw new ApiError(r.status, await r.json().catch(() => null));
  const name = (/filename="([^"]+)"/.exec(r.headers.get("Content-Disposition") || "") || [])[1] || "plan";
  const url = URL.createObjectURL(await r.blob());
  const a = el("a", { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** Fill the export row; ``plan()`` gives the plan on screen, ``failed(e)`` shows errors. */
export function exportRow(box, plan, failed) {
  const button = (id, key, run) => el("button", { type: "button", id, on: { click: () => run().catch(failed) } },
    t(key));
  fill(box, el("span", { className: "gg-muted" }, `${t("editor.export")}: `),
    button("gg-export-geojson", "editor.export.geojson", () => download(`/plans/${plan().id}/export.geojson`)),
    button("gg-export-gpkg", "editor.export.gpkg", () => download(`/plans/${plan().id}/export.gpkg`)),
    button("gg-export-pdf-plan", "editor.export.pdf", async () => {
      const print = window.geogrid.print;
      if (print) await print.exportPdf("A4");
    }));
}

export class Swipe {
  /** The active plan's microgrids in their own pane, shown left of a draggable handle. */
  constructor(map, datum) {
    this.map = map;
    this.pane = map.createPane("gg-swipe");
    this.pane.style.zIndex = "455";
    this.layer = L.geoJSON(null, { ...geoJsonShift(datum), pane: "gg-swipe", interactive: false,
      style: { color: "#000", weight: 2, fillColor: "#fff", fillOpacity: 0.55, className: "gg-swipe-mg" } });
    this.handle = el("input", { type: "range", id: "gg-swipe-handle", className: "gg-swipe-handle",
                                min: "0", max: "100", value: "50", title: t("editor.swipe") });
    this.labels = el("div", { className: "gg-swipe-labels" }, el("span", {}, t("editor.swipe_left")),
      el("span", {}, t("editor.swipe_right")));
    L.DomEvent.disableClickPropagation(this.handle);
    this.handle.addEventListener("input", () => this.clip());
    map.on("move zoom resize", () => this.clip());
  }

  /** Show the swipe with ``areas`` (the active plan's lowest level), or hide it (null). */
  show(areas) {
    this.layer.clearLayers();
    const box = this.map.getContainer();
    if (!areas) {
      this.layer.remove();
      this.handle.remove();
      this.labels.remove();
      return;
    }
    this.layer.addData(areas).addTo(this.map);
    box.append(this.handle, this.labels);
    this.clip();
  }

  /** Clip the pane to the left of the handle (in the pane's own, moving, coordinates). */
  clip() {
    const size = this.map.getSize();
    const x = (size.x * Number(this.handle.value)) / 100;
    const nw = this.map.containerPointToLayerPoint([0, 0]);
    const cut = this.map.containerPointToLayerPoint([x, size.y]);
    this.pane.style.clip = `rect(${nw.y}px, ${cut.x}px, ${cut.y}px, ${nw.x}px)`;
    this.pane.dataset.clipX = String(Math.round(x));
  }
}

/**
 * Wire the export row (``#gg-export``) and the swipe box (``#gg-swipe``); returns
 * ``reset()`` for when another plan opens (the swipe is switched off).
 */
export function initExport(map, datum, plan, failed) {
  exportRow(document.getElementById("gg-export"), plan, failed);
  const swipe = new Swipe(map, datum);
  const box = document.getElementById("gg-swipe");
  box.addEventListener("change", async () => {
    try {
      // the active plan's own lowest level (微网格; a Hangzhou plan's 网格)
      const unit = box.checked ? editLevels((await api("/plans/active")).levels).unit : null;
      swipe.show(unit ? (await api("/plans/active/areas", { params: { level: unit } })).features : null);
    } catch (e) {
      failed(e);
    }
  });
  return () => { box.checked = false; swipe.show(null); };
}
