// Live updates for the console: the server's event stream (GET /events/incidents, read with
// fetch so the token goes in the Authorization header), toasts for new and overdue
// incidents, and the minute-by-minute polling as the fallback when the stream drops.
import { el, session, t } from "./common.js";

const $ = (id) => document.getElementById(id);
const live = { ctrl: null, last: null, retry: 1000, overdueSeen: new Set(), primed: false };

/** A short message in the corner that goes away by itself. */
export function toast(text, kind) {
  const box = el("div", { className: `gg-toast gg-toast-${kind}`, role: "status" }, text);
  $("gg-toasts").append(box);
  setTimeout(() => box.remove(), 8000);
}

function parse(chunk, onEvent) {
  let event = "message";
  let data = "";
  let id = null;
  for (const line of chunk.split("\n")) {
    if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data += line.slice(5).trim();
    else if (line.startsWith("id:")) id = Number(line.slice(3).trim());
  }
  if (id !== null) live.last = id;
  if (data) onEvent(event, JSON.parse(data));
}

async function connect(onEvent) {
  const s = session.get();
  if (!s) return;
  live.ctrl = new AbortController();
  const url = new URL("/events/incidents", location.origin);
  if (live.last !== null) url.searchParams.set("after", live.last);
  const r = await fetch(url, { headers: { Authorization: `Bearer ${s.token}`,
    Accept: "text/event-stream" }, signal: live.ctrl.signal });
  if (!r.ok) throw new Error(`HTTP ${r.status}`);
  $("gg-live").textContent = t("console.live");
  $("gg-live").dataset.live = "1";
  const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    let cut;
    while ((cut = buf.indexOf("\n\n")) >= 0) {
      parse(buf.slice(0, cut), onEvent);
      buf = buf.slice(cut + 2);
    }
    live.retry = 1000;
  }
}

/** Listen until ``stop``; ``onChange(row)`` gets every change in the caller's scope. */
export function startLive(onChange) {
  stopLive();
  const run = async () => {
    try {
      await connect((event, row) => { if (event === "incident") onChange(row); });
    } catch (e) {
      if (e.name === "AbortError") return;
    }
    if (!session.get() || !live.ctrl || live.ctrl.signal.aborted) return;
    $("gg-live").textContent = t("console.live_off");
    $("gg-live").dataset.live = "0";
    setTimeout(run, live.retry);
    live.retry = Math.min(live.retry * 2, 30000);
  };
  run();
}

export function stopLive() {
  if (live.ctrl) live.ctrl.abort();
  live.ctrl = null;
  live.last = null;
}

/** Toast the incidents that became overdue since the last look (once each); the ones
 *  overdue at sign-in are already marked in the list and are not announced. */
export function announceOverdue(rows, isOverdue, catName) {
  for (const i of rows) {
    if (!isOverdue(i) || live.overdueSeen.has(i.uid)) continue;
    if (live.primed) toast(t("console.toast_overdue", { cat: catName(i.category) }), "overdue");
    live.overdueSeen.add(i.uid);
  }
  live.primed = true;
}
