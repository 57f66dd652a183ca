// A plan's declared levels as the pages see them: [{key, name, role, kind}] top first, from
// the page config (maps/levels.py) or from the plan (GET /plans/{id}: levels with zh/en).
// Roles: street, colour (the first level below the street: 网格, or a Hangzhou plan's 社区),
// middle, leaf (微网格, or Hangzhou's 网格), group (楼组).
import { config, t } from "./common.js";

const DEFAULT = ["street", "grid", "community", "microgrid", "building_group"];

/** Roles of ``keys`` (top first; ``groups``: the keys that are 楼组). */
function roles(keys, groups) {
  const tiling = keys.filter((k) => !groups.has(k));
  return keys.map((k, i) => {
    if (groups.has(k)) return "group";
    if (i === 0) return "street";
    if (k === tiling[tiling.length - 1]) return "leaf";
    return k === tiling[1] ? "colour" : "middle";
  });
}

/**
 * The declared levels: from ``declared`` (a plan's stored levels {key, zh, en, kind}), else
 * from the page config, else the default five with the page's own names.
 */
export function declaredLevels(declared) {
  if (declared && declared.length) {
    const keys = declared.map((l) => l.key);
    const groups = new Set(declared.filter((l) => l.kind === "building_group").map((l) => l.key));
    const isDefault = keys.join() === DEFAULT.join();
    const rs = roles(keys, groups);
    return declared.map((l, i) => ({
      key: l.key, kind: l.kind, role: rs[i],
      name: isDefault ? t(`level.${l.key}`) : (config.lang === "en" ? l.en : l.zh) || l.key,
    }));
  }
  if (config.levels && config.levels.length) return config.levels;
  const rs = roles(DEFAULT, new Set(["building_group"]));
  return DEFAULT.map((key, i) => ({ key, kind: key, role: rs[i], name: t(`level.${key}`) }));
}

/** ``levels``' key of ``role`` (the first), or ``fallback``. */
export function keyOf(levels, role, fallback = null) {
  const hit = levels.find((l) => l.role === role);
  return hit ? hit.key : fallback;
}

/** The display name of the level ``key`` (its declared name; the key when unknown). */
export function levelName(levels, key) {
  const hit = levels.find((l) => l.key === key);
  return hit ? hit.name : t(`level.${key}`);
}

/**
 * What the editor edits in a plan: ``unit`` the lowest tiling level (微网格; a Hangzhou
 * plan's 网格, which holds the objects), ``grid`` the level its balance is read against
 * (网格; Hangzhou's 社区), ``list`` every level and ``drawable`` the levels a line may
 * redraw (every tiling level below the street, lowest first); ``standard``: the default five.
 */
export function editLevels(declared) {
  const list = declaredLevels(declared);
  const unit = keyOf(list, "leaf", "microgrid");
  const drawable = list.filter((l) => ["leaf", "middle", "colour"].includes(l.role)).reverse();
  const standard = list.map((l) => l.key).join() === DEFAULT.join();
  return { list, unit, grid: keyOf(list, "colour", unit), drawable, standard };
}
