// /?check=1: a click on a finding in the list shows it on the map (maps/check.py builds both).

const map = window.geogrid && window.geogrid.map;
const list = document.getElementById("gg-check-list");
if (map && list) {
  list.addEventListener("click", (ev) => {
    const item = ev.target.closest("li[data-lat]");
    if (!item) return;
    for (const li of list.querySelectorAll("li.gg-current")) li.classList.remove("gg-current");
    item.classList.add("gg-current");
    map.setView([Number(item.dataset.lat), Number(item.dataset.lon)], Math.max(map.getZoom(), 17));
  });
}
