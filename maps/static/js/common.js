// What the page modules share: the page config, strings, safe DOM building,
// the signed-in session (a JWT in sessionStorage) and API calls.
// Data from the API is only ever rendered as text (textContent), never as HTML.

const node = document.getElementById("gg-config");
export const config = node ? JSON.parse(node.textContent) : { strings: {}, datum: "wgs84" };

/** The UI string ``key`` with ``{name}`` placeholders filled from ``values``. */
export function t(key, values) {
  let text = (config.strings && config.strings[key]) || key;
  if (values) {
    for (const [k, v] of Object.entries(values)) text = text.split(`{${k}}`).join(String(v));
  }
  return text;
}

/**
 * Build an element. ``props`` sets properties (className, type, value, hidden, title,
 * dataset: {...}, on: {event: fn}); children are nodes or strings (added as text).
 */
export function el(tag, props, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null) continue;
    if (k === "dataset") Object.assign(e.dataset, v);
    else if (k === "on") for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
    else if (k === "style") e.style.cssText = v;
    else e[k] = v;
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

/** Replace the children of ``parent`` with ``children``. */
export function fill(parent, ...children) {
  parent.replaceChildren();
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    parent.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return parent;
}

const SESSION_KEY = "geogrid.session";

/** The signed-in session ({token, role, username, expires}) or null. */
export const session = {
  get() {
    try {
      const s = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
      if (s && s.token && (!s.expires || s.expires > Date.now())) return s;
    } catch (_e) { /* a damaged entry counts as signed out */ }
    return null;
  },
  set(value) { sessionStorage.setItem(SESSION_KEY, JSON.stringify(value)); },
  clear() { sessionStorage.removeItem(SESSION_KEY); },
};

const CJK = /[\u3400-\u9fff]/;
const STATUS_CODES = { 401: "unauthenticated", 403: "forbidden", 404: "not_found", 409: "conflict",
  413: "limit_exceeded", 422: "invalid_input", 429: "limit_exceeded", 503: "store_unavailable" };

/** An API error. In Chinese pages the message is the sentence for its error code and an
 *  English-only fix is left out; the API's own text stays in ``detail``. */
export class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {};
    const detail = err.message || (body && typeof body.detail === "string" && body.detail) || `HTTP ${status}`;
    const code = err.code || STATUS_CODES[status] || "http_error";
    const zh = config.lang !== "en";
    const known = config.strings && config.strings[`error.code.${code}`];
    super(zh && known && !CJK.test(detail) ? known : detail);
    this.detail = detail;
    this.status = status;
    this.code = code;
    this.fix = zh && err.fix && !CJK.test(err.fix) ? "" : err.fix;
    this.field = err.field;
    this.value = err.value;
  }
}

/**
 * Call the API. ``opts``: method, params (query object), json (body), form (urlencoded
 * body), data (a FormData: multipart, e.g. with files), auth (default true: send the
 * session's token when there is one).
 */
export async function api(path, opts = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(opts.params || {})) {
    if (v === undefined || v === null || v === "") continue;
    if (Array.isArray(v)) v.forEach((x) => url.searchParams.append(k, x));
    else url.searchParams.set(k, v);
  }
  const headers = { Accept: "application/json" };
  const s = opts.auth === false ? null : session.get();
  if (s) headers.Authorization = `Bearer ${s.token}`;
  let body;
  if (opts.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.json);
  } else if (opts.form) {
    body = new URLSearchParams(opts.form);
  } else if (opts.data) {
    body = opts.data;  // the browser sets the multipart boundary
  }
  const r = await fetch(url, { method: opts.method || (body ? "POST" : "GET"), headers, body,
                               credentials: "same-origin" });
  const data = r.status === 204 ? null : await r.json().catch(() => null);
  if (!r.ok) throw new ApiError(r.status, data);
  return data;
}

/**
 * Sign in with a username and password (POST /auth/token) and keep the JWT in
 * sessionStorage (this tab only, gone when it closes). Returns the session.
 */
export async function signIn(username, password) {
  const tok = await api("/auth/token", { auth: false, form: { username, password } });
  const s = { token: tok.access_token, role: tok.role, scope: tok.scope || null, username,
              expires: Date.now() + (tok.expires_in || 3600) * 1000 };
  session.set(s);
  return s;
}

/** Colours for grids in code order; other areas take their grid's colour. */
export const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
  "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

export function gridColors(features, level = "grid") {
  const colors = new Map();
  const parent = new Map(features.map((f) => [f.properties.id, f.properties.parent_id]));
  features.filter((f) => f.properties.level === level)
    .sort((a, b) => String(a.properties.code || "~").localeCompare(String(b.properties.code || "~")))
    .forEach((f, i) => colors.set(f.properties.id, PALETTE[i % PALETTE.length]));
  for (const f of features) {
    let cur = f.properties.id;
    for (let i = 0; i < 8 && cur && !colors.has(cur); i++) cur = parent.get(cur);
    if (!colors.has(f.properties.id)) colors.set(f.properties.id, colors.get(cur) || "#555555");
  }
  return colors;
}

/**
 * ``id`` itself or its nearest ancestor at ``level`` (``byId``: id → GeoJSON area), else
 * null: a microgrid's grid may sit one or more levels up (网格 → 居民区/商务区 → 微网格).
 */
export function ancestorAt(byId, id, level) {
  let cur = id;
  for (let i = 0; i < 16 && cur != null; i++) {
    const f = byId.get(cur);
    if (!f) return null;
    if (f.properties.level === level) return cur;
    cur = f.properties.parent_id;
  }
  return null;
}

/** Format an ISO time for display in Beijing time. */
export function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString(config.lang === "en" ? "en-GB" : "zh-CN",
                          { timeZone: "Asia/Shanghai", hour12: false });
}
