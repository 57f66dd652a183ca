// Photos in the console: the call form's photo field (a file input with a preview) and the
// photos of an incident in its detail. Photos are served only with the signed-in token, so
// the detail fetches each one and shows it from a blob: URL (an <img src> sends no token).
import { el, fill, session, t } from "./common.js";

const $ = (id) => document.getElementById(id);
let previewUrl = null;
let shown = [];

/** Wire the form's photo field: a preview of the chosen file, and its removal. */
export function initPhotoField() {
  const input = $("gg-c-photo");
  input.addEventListener("change", () => {
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = null;
    const file = input.files && input.files[0];
    if (!file) { fill($("gg-c-photo-preview")); return; }
    previewUrl = URL.createObjectURL(file);
    fill($("gg-c-photo-preview"), el("img", { src: previewUrl, alt: file.name,
      className: "gg-photo-thumb", id: "gg-c-photo-img" }),
    el("button", { type: "button", id: "gg-c-photo-clear", on: { click: clearPhotoField } },
      t("console.photo_remove")));
  });
}

/** The chosen photo (a File) or null. */
export function chosenPhoto() {
  const input = $("gg-c-photo");
  return input && input.files && input.files[0] ? input.files[0] : null;
}

export function clearPhotoField() {
  $("gg-c-photo").value = "";
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = null;
  fill($("gg-c-photo-preview"));
}

async function blobUrl(url) {
  const s = session.get();
  const r = await fetch(url, { headers: s ? { Authorization: `Bearer ${s.token}` } : {},
                               credentials: "same-origin" });
  if (!r.ok) throw new Error(`HTTP ${r.status}`);
  return URL.createObjectURL(await r.blob());
}

/** Show the photos of ``inc`` in the detail (nothing when it has none). */
export async function showPhotos(inc) {
  const box = $("gg-d-photos");
  shown.forEach((u) => URL.revokeObjectURL(u));
  shown = [];
  const photos = inc.photos || [];
  box.hidden = !photos.length;
  fill(box);
  if (!photos.length) return;
  fill(box, el("h3", {}, t("console.photos", { n: photos.length })));
  for (const p of photos) {
    try {
      const url = await blobUrl(p.url);
      if ($("gg-detail").dataset.uid !== inc.uid) { URL.revokeObjectURL(url); return; }
      shown.push(url);
      box.append(el("a", { href: url, target: "_blank", rel: "noopener" },
        el("img", { src: url, className: "gg-photo", alt: t("console.photo"),
          title: `${p.width}×${p.height} · ${Math.round(p.bytes / 1024)} KB`,
          dataset: { id: String(p.id) } })));
    } catch (e) {
      box.append(el("p", { className: "gg-error" }, `${t("console.photo")}: ${e.message}`));
    }
  }
}
