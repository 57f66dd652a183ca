// The list of validation findings, shared by the editor and the coverage map's ?check=1:
// the same report (/plans/{id}/validate), the same sentences (with area names), the same list.

import { el, fill, t } from "./common.js";
import { issueText } from "./texts.js";

/** Flatten a validation report into findings with their grid's name and a sentence. */
export function findings(report, nameOf) {
  return (report.grids || []).flatMap((g) => g.issues.map((i) => ({
    ...i, grid: g.grid_name, text: issueText(i, nameOf) })));
}

/** "发现 3 个问题 (1 个错误, 2 个提示)", or plainly that there are none. */
export function summary(issues) {
  if (!issues.length) return t("issue.none");
  const errors = issues.filter((i) => i.severity === "error").length;
  return t("issue.count", { n: issues.length, errors, warnings: issues.length - errors });
}

/** Fill ``list`` (an <ol>/<ul>) with one item per finding; a click goes to it. */
export function renderList(list, issues, onClick) {
  fill(list, issues.map((i) => el("li", { dataset: { kind: i.kind, severity: i.severity },
                                          on: { click: () => onClick(i) } },
    el("span", { className: `gg-sev-${i.severity}` }, t(`editor.severity.${i.severity}`)), " ",
    el("span", { className: "gg-muted" }, i.grid || ""),
    i.location ? "" : el("small", { className: "gg-muted" }, ` (${t("issue.unlocated")})`),
    el("div", {}, i.text))));
}
