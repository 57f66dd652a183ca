// Print and export any map view: one composed sheet with the title, the date, the map as shown
// (offline basemap tiles, the overlays, labels), a north arrow, the scale bar, the legend and the
// attribution. "打印" puts the sheet on an A4/A3 page through the browser's print dialog (print
// CSS: only the sheet is printed); "PNG" downloads the sheet; "PDF" puts it on an A4/A3 page
// with the vendored jsPDF, loaded only when asked for.

import { config, el, t } from "./common.js";

const SCALE = 2;
const HEAD = 64;
const FOOT = 40;
const PAPER = { A4: [297, 210], A3: [420, 297] }; // millimetres, landscape
const FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif';
const map = window.geogrid && window.geogrid.map;

function relRect(node, origin) {
  const r = node.getBoundingClientRect();
  return { x: r.left - origin.left, y: r.top - origin.top, w: r.width, h: r.height };
}

function visible(node) {
  const r = node.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && getComputedStyle(node).visibility !== "hidden";
}

async function svgImage(svg, rect) {
  const copy = svg.cloneNode(true);
  copy.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  copy.setAttribute("width", rect.w);
  copy.setAttribute("height", rect.h);
  copy.style.transform = "";
  const url = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(new XMLSerializer().serializeToString(copy))}`;
  const img = new Image();
  img.src = url;
  await img.decode();
  return img;
}

function haloText(ctx, text, x, y, size, weight = "600") {
  ctx.font = `${weight} ${size}px ${FONT}`;
  ctx.lineWidth = 3;
  ctx.strokeStyle = "rgba(255,255,255,.9)";
  ctx.strokeText(text, x, y);
  ctx.fillStyle = "#222";
  ctx.fillText(text, x, y);
}

async function drawMap(ctx, box, origin) {
  const sameOrigin = (src) => src.startsWith(location.origin) || src.startsWith("data:");
  for (const node of box.querySelectorAll("canvas, img.leaflet-tile")) {
    if (!visible(node) || (node.tagName === "IMG" && !sameOrigin(node.src))) continue;
    const r = relRect(node, origin);
    ctx.drawImage(node, r.x, r.y, r.w, r.h);
  }
  for (const svg of box.querySelectorAll(".leaflet-overlay-pane svg, .leaflet-marker-pane svg")) {
    if (!visible(svg)) continue;
    const r = relRect(svg, origin);
    ctx.drawImage(await svgImage(svg, r), r.x, r.y, r.w, r.h);
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  for (const label of box.querySelectorAll(".leaflet-marker-icon, .leaflet-tooltip-permanent")) {
    if (!visible(label) || !label.textContent.trim()) continue;
    const r = relRect(label, origin);
    const lines = label.innerText.split("\n").filter(Boolean);
    lines.forEach((line, i) => haloText(ctx, line, r.x + r.w / 2,
      r.y + r.h / 2 + (i - (lines.length - 1) / 2) * 14, i ? 10 : 13, i ? "400" : "600"));
  }
}

function drawNorth(ctx, x, y) {
  ctx.save();
  ctx.fillStyle = "#222";
  ctx.beginPath();
  ctx.moveTo(x, y - 18); ctx.lineTo(x + 9, y + 10); ctx.lineTo(x, y + 4); ctx.lineTo(x - 9, y + 10);
  ctx.closePath();
  ctx.fill();
  haloText(ctx, t("print.north"), x, y + 22, 13);
  ctx.restore();
}

function drawScale(ctx, container, x, y) {
  const line = container.querySelector(".leaflet-control-scale-line");
  if (!line) return;
  const w = line.getBoundingClientRect().width;
  ctx.fillStyle = "#222";
  ctx.fillRect(x, y, w, 3);
  ctx.fillRect(x, y - 6, 2, 9);
  ctx.fillRect(x + w - 2, y - 6, 2, 9);
  ctx.textAlign = "left";
  haloText(ctx, line.textContent.trim(), x, y - 12, 12, "400");
}

function legendRows() {
  const rows = [];
  for (const row of document.querySelectorAll(".gg-legend-row, .gg-count-row")) {
    const swatch = row.querySelector("span");
    const colour = swatch ? getComputedStyle(swatch).backgroundColor : "transparent";
    rows.push([colour, row.textContent.trim()]);
  }
  return rows.slice(0, 24);
}

function drawLegend(ctx, right, bottom) {
  const rows = legendRows();
  if (!rows.length) return;
  ctx.font = `12px ${FONT}`;
  const w = Math.min(300, 36 + Math.max(...rows.map(([, s]) => ctx.measureText(s).width)));
  const h = 26 + rows.length * 18;
  const x = right - w - 10;
  const y = bottom - h - 10;
  ctx.fillStyle = "rgba(255,255,255,.92)";
  ctx.fillRect(x, y, w, h);
  ctx.strokeStyle = "#999";
  ctx.strokeRect(x, y, w, h);
  ctx.textAlign = "left";
  ctx.textBaseline = "middle";
  haloText(ctx, t("legend.legend"), x + 8, y + 13, 12);
  rows.forEach(([colour, text], i) => {
    const ry = y + 30 + i * 18;
    ctx.fillStyle = colour;
    ctx.fillRect(x + 8, ry - 6, 14, 12);
    ctx.strokeStyle = "#333";
    ctx.strokeRect(x + 8, ry - 6, 14, 12);
    ctx.fillStyle = "#222";
    ctx.font = `12px ${FONT}`;
    ctx.fillText(text, x + 28, ry, w - 34);
  });
}

/** The sheet: a canvas with header, map, north arrow, scale, legend and footer. */
export async function compose() {
  const container = map.getContainer();
  const origin = container.getBoundingClientRect();
  const W = origin.width;
  const H = origin.height;
  const canvas = document.createElement("canvas");
  canvas.width = W * SCALE;
  canvas.height = (HEAD + H + FOOT) * SCALE;
  const ctx = canvas.getContext("2d");
  ctx.scale(SCALE, SCALE);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, W, HEAD + H + FOOT);
  ctx.textBaseline = "middle";
  ctx.textAlign = "left";
  haloText(ctx, document.title, 12, 24, 18, "700");
  const date = new Date().toLocaleDateString(config.lang === "en" ? "en-GB" : "zh-CN",
                                             { timeZone: "Asia/Shanghai" });
  haloText(ctx, `${t("print.date")}: ${date}`, 12, 48, 12, "400");
  ctx.save();
  ctx.translate(0, HEAD);
  ctx.beginPath();
  ctx.rect(0, 0, W, H);
  ctx.clip();
  ctx.fillStyle = "#e8e8e8";
  ctx.fillRect(0, 0, W, H);
  await drawMap(ctx, container, origin);
  drawNorth(ctx, W - 30, 34);
  drawScale(ctx, container, 14, H - 14);
  drawLegend(ctx, W, H);
  ctx.restore();
  ctx.strokeStyle = "#333";
  ctx.strokeRect(0.5, HEAD + 0.5, W - 1, H - 1);
  const attribution = container.querySelector(".leaflet-control-attribution");
  ctx.textAlign = "left";
  haloText(ctx, attribution ? attribution.textContent.replace(/\s+/g, " ").trim() : "",
           12, HEAD + H + FOOT / 2, 11, "400");
  return canvas;
}

function download(href, name) {
  const a = el("a", { href, download: name });
  document.body.append(a);
  a.click();
  a.remove();
}

const stamp = () => new Date().toISOString().slice(0, 10).replaceAll("-", "");

function loadJsPdf() {
  if (window.jspdf) return Promise.resolve(window.jspdf);
  return new Promise((resolve, reject) => {
    const s = el("script", { src: `${config.static || "/static"}/vendor/jspdf/jspdf.umd.min.js` });
    s.onload = () => resolve(window.jspdf);
    s.onerror = () => reject(new Error(t("error.load")));
    document.head.append(s);
  });
}

/** Fit the sheet on ``paper`` (A4/A3), landscape or portrait as the sheet is shaped. */
function placement(canvas, paper) {
  const [long, short] = PAPER[paper] || PAPER.A4;
  const landscape = canvas.width >= canvas.height;
  const [pw, ph] = landscape ? [long, short] : [short, long];
  const m = 10;
  const k = Math.min((pw - 2 * m) / canvas.width, (ph - 2 * m) / canvas.height);
  const w = canvas.width * k;
  const h = canvas.height * k;
  return { landscape, pw, ph, x: (pw - w) / 2, y: (ph - h) / 2, w, h };
}

export async function exportPng() {
  const canvas = await compose();
  download(canvas.toDataURL("image/png"), `geogrid-${stamp()}.png`);
  return canvas;
}

export async function exportPdf(paper = "A4") {
  const [canvas, lib] = await Promise.all([compose(), loadJsPdf()]);
  const p = placement(canvas, paper);
  const doc = new lib.jsPDF({ orientation: p.landscape ? "landscape" : "portrait", unit: "mm",
                              format: paper.toLowerCase() });
  doc.addImage(canvas.toDataURL("image/png"), "PNG", p.x, p.y, p.w, p.h);
  doc.save(`geogrid-${stamp()}.pdf`);
  return doc;
}

/** Put the sheet on the page for printing on ``paper``; returns once it is laid out. */
export async function prepare(paper = "A4") {
  const canvas = await compose();
  const p = placement(canvas, paper);
  let sheet = document.getElementById("gg-print-sheet");
  if (!sheet) {
    sheet = el("div", { id: "gg-print-sheet" });
    document.body.append(sheet);
  }
  let page = document.getElementById("gg-print-page");
  if (!page) {
    page = el("style", { id: "gg-print-page" });
    document.head.append(page);
  }
  page.textContent = `@page { size: ${paper} ${p.landscape ? "landscape" : "portrait"}; margin: 0; }`;
  const img = el("img", { alt: document.title, src: canvas.toDataURL("image/png") });
  img.style.cssText = `position:absolute;left:${p.x}mm;top:${p.y}mm;width:${p.w}mm;height:${p.h}mm`;
  sheet.replaceChildren(img);
  await img.decode();
  return sheet;
}

export async function printMap(paper) {
  await prepare(paper);
  window.print();
}

const PrintControl = L.Control.extend({
  options: { position: "topright" },
  onAdd() {
    const paper = el("select", { id: "gg-print-paper" },
      el("option", { value: "A4" }, "A4"), el("option", { value: "A3" }, "A3"));
    paper.setAttribute("aria-label", t("print.paper"));
    const button = (id, key, fn) => el("button", { type: "button", id, on: { click: () => fn(paper.value) } },
      t(key));
    const menu = el("div", { className: "gg-print-menu" }, paper,
      button("gg-print", "print.print", printMap), button("gg-export-png", "print.png", exportPng),
      button("gg-export-pdf", "print.pdf", exportPdf));
    const box = el("details", { className: "gg-print leaflet-bar" },
      el("summary", {}, t("print.title")), menu);
    L.DomEvent.disableClickPropagation(box);
    return box;
  },
});

if (map) {
  new PrintControl().addTo(map);
  window.geogrid.print = { compose, prepare, exportPng, exportPdf, printMap };
}
