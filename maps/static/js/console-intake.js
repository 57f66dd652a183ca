// The console's call-taking form (接警登记): an address with live suggestions from
// /geocode/suggest (or a click on the map), the category, the caller, a description, a
// photo (sent with the report in one request, so a refused photo stores nothing);
// before saving, open reports of the same category nearby (the intake's duplicate rule,
// GET /incidents/duplicates) are offered for merging.
import { api, config, el, fill, t, when } from "./common.js";
import { latLng, toStorage } from "./datum.js";
import { chosenPhoto, clearPhotoField, initPhotoField } from "./console-photos.js";

const $ = (id) => document.getElementById(id);
const call = { place: null, marker: null, timer: null, seq: 0 };

function setPlace(map, place) {
  call.place = place;
  if (call.marker) call.marker.remove();
  call.marker = place ? L.circleMarker(latLng(place.lon, place.lat, config.datum),
    { radius: 8, color: "#d35400", fillColor: "#f39c12", fillOpacity: 0.9,
      className: "gg-call-marker" }).addTo(map) : null;
}

async function suggest() {
  const q = $("gg-c-address").value.trim();
  const seq = ++call.seq;
  if (!q) { fill($("gg-c-suggest")); return; }
  try {
    const res = await api("/geocode/suggest", { params: { q, limit: 8 } });
    if (seq !== call.seq) return;  // a later keystroke answered first
    fill($("gg-c-suggest"), res.items.map((it) => el("li", { tabIndex: 0, className: "gg-sugg",
      dataset: { kind: it.kind }, on: { click: () => pick(it) } },
    it.label, " ", el("small", { className: "gg-muted" }, it.kind))));
  } catch (e) {
    fill($("gg-c-suggest"), el("li", { className: "gg-error" }, e.message));
  }
}

let pick = () => {};

function body() {
  const p = call.place;
  return { category: $("gg-c-category").value, lon: p.lon, lat: p.lat, datum: "cgcs2000",
    channel: "12345", address: $("gg-c-address").value.trim() || undefined,
    description: $("gg-c-description").value.trim() || undefined,
    reporter: { name: $("gg-c-name").value.trim() || undefined,
                phone: $("gg-c-phone").value.trim() || undefined } };
}

function showDuplicates(rows, catName, save) {
  fill($("gg-c-dups"), el("p", { className: "gg-dup-head" }, t("console.dup_title", { n: rows.length })),
    rows.map((r) => el("div", { className: "gg-dup", dataset: { uid: r.uid } },
      el("b", {}, catName(r.category)), ` ${r.uid} · ${when(r.reported_at)}`,
      r.address ? el("div", {}, r.address) : null,
      el("button", { type: "button", className: "gg-dup-merge",
        on: { click: () => save(r.uid) } }, t("console.dup_merge")))),
    el("button", { type: "button", id: "gg-c-save-new", on: { click: () => save(null) } },
      t("console.dup_new")));
  $("gg-c-dups").hidden = false;
}

/** A typed address that was not picked from the list: the gazetteer's best match. */
async function geocode(map) {
  const res = await api("/geocode", { params: { q: $("gg-c-address").value.trim() } });
  if (res.ok && res.lon !== null && res.lon !== undefined) setPlace(map, { lon: res.lon, lat: res.lat });
}

/** Wire the form. ``onSaved(uid)`` runs after a call is stored (or merged). */
export function initIntake({ map, catName, onSaved }) {
  pick = (it) => {
    $("gg-c-address").value = it.label;
    fill($("gg-c-suggest"));
    if (it.lon === null || it.lat === null) {  // a road: go on to its house numbers
      $("gg-c-address").focus();
      suggest();
      return;
    }
    setPlace(map, { lon: it.lon, lat: it.lat });
    map.panTo(latLng(it.lon, it.lat, config.datum));
  };
  $("gg-c-address").addEventListener("input", () => {
    clearTimeout(call.timer);
    call.timer = setTimeout(suggest, 200);
  });
  map.on("click", (ev) => {
    if ($("gg-call").hidden) return;
    const [lon, lat] = toStorage(ev.latlng.lng, ev.latlng.lat, config.datum);
    setPlace(map, { lon, lat });
    $("gg-c-status").textContent = t("console.picked");
  });
  initPhotoField();
  $("gg-call-open").addEventListener("click", () => { $("gg-call").hidden = !$("gg-call").hidden; });

  async function save(into) {
    try {
      const photo = chosenPhoto();
      let made;
      if (photo) {
        const data = new FormData();
        data.append("incident", JSON.stringify(body()));
        data.append("photo", photo, photo.name);
        made = await api("/incidents/with-photo", { data });
      } else {
        made = await api("/incidents", { json: body() });
      }
      if (into) await api(`/incidents/${encodeURIComponent(made.uid)}/merge`, { json: { into } });
      $("gg-c-status").textContent = into ? t("console.call_merged", { uid: into })
        : t("console.call_saved", { uid: made.uid });
      $("gg-call-form").reset();
      clearPhotoField();
      $("gg-c-dups").hidden = true;
      setPlace(map, null);
      await onSaved(into || made.uid);
    } catch (e) {
      $("gg-c-status").textContent = `${e.message}${e.fix ? ` — ${e.fix}` : ""}`;
    }
  }

  $("gg-call-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      if (!call.place && $("gg-c-address").value.trim()) await geocode(map);
      if (!call.place) { $("gg-c-status").textContent = t("console.call_need_place"); return; }
      const dups = await api("/incidents/duplicates", { params: { category: $("gg-c-category").value,
        lon: call.place.lon, lat: call.place.lat, datum: "cgcs2000" } });
      if (dups.length) { showDuplicates(dups, catName, save); return; }
    } catch (e) {
      $("gg-c-status").textContent = e.message;
      return;
    }
    await save(null);
  });
}

/** Fill the category list of the form from the catalogue. */
export function intakeCategories(cats) {
  fill($("gg-c-category"), cats.map((c) => el("option", { value: c.code },
    c.command === "manual" ? `${c.name} · ${t("console.manual")}` : c.name)));
}
