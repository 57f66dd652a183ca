// The editor's export row and swipe comparison: the plan on screen as GeoJSON or
// GeoPackage (downloaded with the session's token), as a PDF sheet (print.js), and the
// swipe switch: two whole plans side by side with a divider to drag (editor-swipe.js).
import { api, ApiError, el, fill, session, t } from "./common.js";
import { Swipe } from "./editor-swipe.js";

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

/**
 * Wire the export row (``#gg-export``) and the swipe box (``#gg-swipe``); returns
 * ``reset()`` for when another plan opens (the swipe is switched off).
 */
export function initExport(map, datum, plan, failed) {
  exportRow(document.getElementById("gg-export"), plan, failed);
  const swipe = new Swipe(map, datum, failed);
  const box = document.getElementById("gg-swipe");
  box.addEventListener("change", async () => {
    try {
      if (!box.checked) { swipe.stop(); return; }
      // the active plan on the left (else the plan this one was copied from), this one right
      const mine = plan();
      const active = await api("/plans/active").catch(() => null);
      const left = active && active.id !== mine.id ? active.id : (mine.parent_plan_id || mine.id);
      await swipe.start(left, mine.id);
    } catch (e) {
      failed(e);
    }
  });
  return () => { box.checked = false; swipe.stop(); };
}
