// 我的网格: an address (or, on the coverage map, a tap on the map) → the microgrid that covers
// it, its chain of areas and its team's public contact, from GET /public/mygrid (anonymous,
// rate-limited; the answer carries no coordinates). The card is text only (textContent).

import { api, config, el, fill, t } from "./common.js";
import { declaredLevels, levelName } from "./levels.js";

// the page's plan levels (named as the plan declares them), and the default five
const DECLARED = declaredLevels();
const LEVELS = new Set(["street", "grid", "community", "microgrid", "building_group",
  ...DECLARED.map((l) => l.key)]);
let card = null;

function ensureCard() {
  if (card) return card;
  card = el("section", { id: "gg-mygrid", className: "gg-mygrid", hidden: true });
  card.setAttribute("aria-live", "polite");
  document.body.append(card);
  return card;
}

function render(res) {
  const box = ensureCard();
  const close = el("button", { type: "button", className: "gg-mygrid-close",
    on: { click: () => { box.hidden = true; } } }, "×");
  close.setAttribute("aria-label", t("mygrid.close"));
  const head = el("h2", {}, t("mygrid.title"));
  if (!res.found) {
    const why = { address_not_found: "mygrid.not_found", address_too_vague: "mygrid.too_vague" };
    fill(box, close, head, el("p", { className: "gg-muted" },
      t(why[res.reason] || "mygrid.outside", { matched: res.matched || "" })));
  } else {
    const chain = el("ol", { className: "gg-mygrid-chain" },
      (res.chain || []).filter((c) => LEVELS.has(c.level)).map((c) => el("li", {},
        el("span", { className: "gg-muted" }, `${levelName(DECLARED, c.level)} `), el("b", {}, c.name || ""))));
    const c = res.contact;
    const rows = c ? [[t("field.team"), c.team], [t("field.role"), c.role],
      [t("field.office_phone"), c.office_phone], [t("field.hours"), c.hours]].filter(([, v]) => v) : [];
    fill(box, close, head,
      res.matched ? el("p", {}, el("span", { className: "gg-muted" }, `${t("mygrid.matched")}: `), res.matched,
        res.estimated ? el("small", { className: "gg-muted" }, ` (${t("mygrid.estimated")})`) : "") : "",
      chain,
      rows.length ? el("dl", {}, rows.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]))
        : el("p", { className: "gg-muted" }, t("embed.no_contact")),
      c && c.inherited ? el("p", { className: "gg-muted" }, `${t("embed.inherited")}: ${c.from || ""}`) : "");
  }
  box.hidden = false;
}

/** Look up ``params`` ({q} or {lon, lat, datum}) and show the card; errors show in it too. */
export async function lookup(params) {
  try {
    render(await api("/public/mygrid", { params, auth: false }));
  } catch (e) {
    const box = ensureCard();
    fill(box, el("h2", {}, t("mygrid.title")), el("p", { className: "gg-error" }, e.message));
    box.hidden = false;
  }
}

/** A search-result item offering the 我的网格 lookup of ``q``. */
export function lookupItem(q) {
  return el("li", {}, el("button", { type: "button", className: "gg-result gg-result-mygrid",
    on: { click: () => lookup({ q }) } }, t("mygrid.lookup", { q })));
}

/** A small form (for the embed): address in, card out. */
export function lookupForm() {
  const input = el("input", { type: "search", id: "gg-mygrid-q", placeholder: t("mygrid.placeholder"),
    autocomplete: "street-address" });
  input.setAttribute("aria-label", t("mygrid.placeholder"));
  const form = el("form", { className: "gg-mygrid-form", on: { submit: (ev) => {
    ev.preventDefault();
    if (input.value.trim().length >= 2) lookup({ q: input.value.trim() });
  } } }, input, el("button", { type: "submit" }, t("mygrid.find")));
  return form;
}

/** Tapping the map (outside any control) looks up that point, in the page's datum. */
export function lookupOnClick(map) {
  map.on("click", (ev) => lookup({ lon: ev.latlng.lng.toFixed(6), lat: ev.latlng.lat.toFixed(6),
                                   datum: config.datum }));
}
