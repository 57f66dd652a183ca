// Phones (≤ 600 px wide): panels start folded, the layer list is a button that opens on tap
// and closes when the map is tapped, so the map itself stays usable at 390 px.

const phone = window.matchMedia("(max-width: 600px)");
const PANELS = "details.gg-legend, details.gg-embed-legend, details.gg-check";
const LAYERS = ".leaflet-control-layers";

function fold() {
  if (!phone.matches) return;
  for (const d of document.querySelectorAll(PANELS)) d.open = false;
  for (const c of document.querySelectorAll(LAYERS)) {
    c.classList.remove("leaflet-control-layers-expanded");
    c.dataset.ggFolded = "1";
  }
}

// page modules add their layer list later (after their data loads): fold it when it appears
new MutationObserver(() => {
  if (!phone.matches) return;
  for (const c of document.querySelectorAll(`${LAYERS}:not([data-gg-folded])`)) {
    c.classList.remove("leaflet-control-layers-expanded");
    c.dataset.ggFolded = "1";
  }
}).observe(document.body, { childList: true, subtree: true });

// a tap on the map while the layer list is open only closes the list (the map does not see it)
document.addEventListener("click", (ev) => {
  if (!phone.matches || !ev.target.closest(".leaflet-container")) return;
  if (ev.target.closest(".leaflet-control")) return;
  const open = document.querySelectorAll(`${LAYERS}.leaflet-control-layers-expanded`);
  if (!open.length) return;
  for (const c of open) c.classList.remove("leaflet-control-layers-expanded");
  ev.stopPropagation();
}, true);
phone.addEventListener("change", fold);
fold();
