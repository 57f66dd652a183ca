"""The maps' view of a plan's declared levels: their order, names and how each is drawn.

A plan declares its ordered levels (:class:`geogrid.model.PlanLevels`): Lujiazui's five
by default, 街道 → 社区 → 网格 in Hangzhou. The maps list one layer per declared level
with its own names, and give each a *role* that fixes how it is drawn:

* ``street``: the top level, dashed outline;
* ``colour``: the first level below it; its areas get the palette colours and labels,
  the levels below take their colour (网格 in Lujiazui, 社区 in Hangzhou);
* ``middle``: tiling levels between that and the leaf (居民区 in Lujiazui);
* ``leaf``: the lowest tiling level (微网格; 网格 in Hangzhou), filled and coloured by
  workload on the choropleth;
* ``group``: 楼组, drawn faintly and off by default.

>>> from geogrid.model import parse_levels
>>> [(lv.key, lv.role, lv.name("zh")) for lv in map_levels(parse_levels(
...     "街道=street,社区=community,网格=grid"))]
[('street', 'street', '街道'), ('community', 'colour', '社区'), ('grid', 'leaf', '网格')]
"""

from __future__ import annotations

from dataclasses import dataclass

from geogrid.model import DEFAULT_LEVELS, Level, PlanLevels

from .i18n import t

__all__ = ["MapLevel", "map_levels", "role_key", "ROLE_STYLE"]

#: how each role is drawn (Leaflet path options; colours come from the areas)
ROLE_STYLE = {
    "street": {"weight": 3, "color": "#222", "fillOpacity": 0.0, "dashArray": "6 4"},
    "colour": {"weight": 2.5, "fillOpacity": 0.12},
    "middle": {"weight": 1.5, "fillOpacity": 0.0, "dashArray": "4 3"},
    "leaf": {"weight": 1, "fillOpacity": 0.3},
    "group": {"weight": 0.5, "fillOpacity": 0.15},
}


@dataclass(frozen=True)
class MapLevel:
    key: str
    zh: str
    en: str
    kind: str
    role: str

    def name(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def to_dict(self, lang: str) -> dict:
        return {"key": self.key, "name": self.name(lang), "role": self.role, "kind": self.kind}


def map_levels(levels: PlanLevels | list | None = None) -> list[MapLevel]:
    """The declared levels (``None``: the default five) in order, with names and roles.

    The default declaration keeps the maps' own wording (``level.*`` strings, such as
    居民区/商务区 and "Microgrids"); a declared plan shows the names it declares.
    """
    if not isinstance(levels, PlanLevels):
        levels = PlanLevels.from_list(levels)
    tiling = [lv.key for lv in levels if levels.tiles(lv.key)]
    out = []
    for i, lv in enumerate(levels):
        if lv.kind == Level.BUILDING_GROUP.value:
            role = "group"
        elif i == 0:
            role = "street"
        elif lv.key == tiling[-1]:
            role = "leaf"
        elif lv.key == tiling[1]:
            role = "colour"
        else:
            role = "middle"
        zh, en = lv.zh, lv.en
        if levels == DEFAULT_LEVELS:
            zh, en = t(f"level.{lv.key}", "zh"), t(f"level.{lv.key}", "en")
        out.append(MapLevel(lv.key, zh, en, lv.kind, role))
    return out


def role_key(levels: list[MapLevel], role: str) -> str | None:
    """The key of the level playing ``role`` (the first one), or None."""
    return next((lv.key for lv in levels if lv.role == role), None)
