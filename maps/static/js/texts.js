// Sentences for what the API returns as codes: timers, roles, actors and validation findings.
// The words come from the page's strings (maps/i18n), so Chinese and English stay in one place.

import { config, t } from "./common.js";

const has = (key) => Boolean(config.strings && config.strings[key]);
const round = (x, d = 1) => Math.round(Number(x) * 10 ** d) / 10 ** d;

/** "正常 · 剩余 5 个工作日" for an incident timer ({stage, remaining, unit}). */
export function timerText(timer) {
  if (!timer) return "";
  const stage = has(`timer.stage.${timer.stage}`) ? t(`timer.stage.${timer.stage}`) : t("timer.stage.ok");
  const unit = has(`unit.${timer.unit}`) ? t(`unit.${timer.unit}`) : "";
  const left = Number(timer.remaining || 0);
  const amount = left >= 0 ? t("timer.remaining", { n: round(left), unit })
    : t("timer.over", { n: round(-left), unit });
  return `${stage} · ${amount}`;
}

/** A user role (planner, dispatcher, …) in the page's language. */
export function roleName(role) {
  return has(`role.${role}`) ? t(`role.${role}`) : String(role || "");
}

/** Who did it: a user name, or the system's own steps. */
export function actorName(actor) {
  return actor === "system" ? t("common.system") : String(actor || "");
}

/** Why an incident went where it went, from its assignment's rule. */
export function ruleText(assignment, categoryName, areaName) {
  if (!assignment || !has(`rule.${assignment.rule}`)) return "";
  const handler = assignment.handler_kind === "department" ? assignment.handler
    : `${areaName(assignment.unit)}${assignment.role ? ` ${assignment.role}` : ""}`;
  return t(`rule.${assignment.rule}`, { category: categoryName, handler });
}

/**
 * A validation finding as a sentence with the areas' NAMES: ``issue`` is one item of
 * /plans/{id}/validate (kind, ids, value), ``nameOf(id)`` the display name of an id.
 */
export function issueText(issue, nameOf) {
  const names = (issue.ids || []).map((i) => nameOf(i) || String(i));
  const value = issue.value === undefined || issue.value === null ? "" : round(issue.value, 2);
  const key = has(`issue.${issue.kind}`) ? `issue.${issue.kind}` : "issue.kind.other";
  return t(key, { names: names.join("、"), first: names[0] || "", second: names[1] || "",
                  rest: names.slice(1).join("、"), value });
}
