"""The vocabulary of the domain: levels, kinds, object types and plan states.

The five-level hierarchy (五级网格圈层)::

    street 街道 → grid 网格 → community 居民区/商务区 → microgrid 微网格 → building_group 楼组/楼宇

GeoDataFrame conventions used throughout the core
-------------------------------------------------
areas    id, level, kind, name, code, parent_id, geometry (Polygon/MultiPolygon)
objects  id, type, name, households, population, floors, business_type,
         address, source, estimated, geometry (Point or Polygon);
         optional compound_id
roads    id, name, kind, kind_detail, oneway, geometry (LineString)

All in EPSG:4490 unless a function says otherwise (see :mod:`geogrid.crs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["Level", "Kind", "ObjectType", "PlanStatus", "LEVEL_ORDER", "parse_level",
           "LevelSpec", "PlanLevels", "DEFAULT_LEVELS", "parse_levels"]


class Level(str, Enum):
    STREET = "street"                  # 街道
    GRID = "grid"                      # 网格
    COMMUNITY = "community"            # 居民区 / 商务区
    MICROGRID = "microgrid"            # 微网格
    BUILDING_GROUP = "building_group"  # 楼组 / 楼宇

    @property
    def zh(self) -> str:
        return _LEVEL_ZH[self]

    @property
    def depth(self) -> int:
        return LEVEL_ORDER.index(self)


LEVEL_ORDER = [Level.STREET, Level.GRID, Level.COMMUNITY, Level.MICROGRID, Level.BUILDING_GROUP]
_LEVEL_ZH = {
    Level.STREET: "街道", Level.GRID: "网格", Level.COMMUNITY: "居民区",
    Level.MICROGRID: "微网格", Level.BUILDING_GROUP: "楼组",
}
_LEVEL_ALIASES = {
    "街道": Level.STREET, "网格": Level.GRID, "居民区": Level.COMMUNITY, "商务区": Level.COMMUNITY,
    "社区": Level.COMMUNITY, "微网格": Level.MICROGRID, "楼组": Level.BUILDING_GROUP,
    "楼宇": Level.BUILDING_GROUP, "subdistrict": Level.STREET,
}


def parse_level(value) -> Level:
    """Return the Level named by ``value`` (English or Chinese); raise InputError otherwise."""
    from ._errors import InputError

    if isinstance(value, Level):
        return value
    key = str(value).strip()
    if key in _LEVEL_ALIASES:
        return _LEVEL_ALIASES[key]
    try:
        return Level(key.lower())
    except ValueError:
        raise InputError(
            f"level {value!r} is not a known level.", field="level", value=value,
            fix="Use one of: street, grid, community, microgrid, building_group "
                "(or 街道, 网格, 居民区, 微网格, 楼组).",
        ) from None


class Kind(str, Enum):
    RESIDENTIAL = "residential"
    BUSINESS = "business"
    MIXED = "mixed"


class ObjectType(str, Enum):
    BUILDING = "building"        # 楼栋 / 商务楼宇
    COMPOUND = "compound"        # 小区
    SHOP = "shop"                # 沿街商铺
    INSTITUTION = "institution"  # 独立单位机构
    PLAZA = "plaza"              # 街角广场
    ADDRESS = "address"          # 门牌地址点


class PlanStatus(str, Enum):
    DRAFT = "draft"
    ACTIVE = "active"
    RETIRED = "retired"


# --------------------------------------------------------------------------- declared levels
@dataclass(frozen=True)
class LevelSpec:
    """One declared level of a plan.

    ``key`` is what the areas' ``level`` column holds; ``zh`` and ``en`` are its
    names; ``kind`` is the role it plays (one of :class:`Level`), which fixes
    where it sits in the point → area chain and which rules apply to it.
    """

    key: str
    zh: str
    en: str
    kind: str

    def to_dict(self) -> dict:
        return {"key": self.key, "zh": self.zh, "en": self.en, "kind": self.kind}


class PlanLevels:
    """A plan's ordered levels, top (the street) first: the hierarchy as data.

    Each level's areas lie inside, and (except 楼组, which need not cover their
    microgrid) tile, their parents of the level above. Lujiazui's five levels are
    :data:`DEFAULT_LEVELS`; Hangzhou-style 街道 → 社区 → 网格 is

    >>> hz = parse_levels("街道=street,社区=community,网格=grid")
    >>> hz.keys, hz.parent_key("grid"), hz.key_of("社区")
    (['street', 'community', 'grid'], 'community', 'community')
    >>> hz.slots()["community"], hz.slots()["grid"]
    ('grid', 'community')
    """

    def __init__(self, levels):
        from ._errors import InputError

        specs = [lv if isinstance(lv, LevelSpec) else LevelSpec(**lv) for lv in levels]
        keys = [lv.key for lv in specs]
        problems = []
        if not specs:
            problems.append("no levels")
        if len(set(keys)) != len(keys):
            problems.append(f"repeated level keys {keys}")
        kinds = [lv.kind for lv in specs]
        bad = [k for k in kinds if k not in {lv.value for lv in Level}]
        if bad:
            problems.append(f"unknown kinds {bad}")
        tiling = [k for k in kinds if k != Level.BUILDING_GROUP.value]
        if len(tiling) > 4 or (Level.BUILDING_GROUP.value in kinds[:-1]):
            problems.append("at most four tiling levels, and 楼组 (building_group) only last")
        if specs and specs[0].kind != Level.STREET.value:
            problems.append("the first level must be the street (kind street)")
        if problems:
            raise InputError(
                f"层级声明无效: {'; '.join(problems)}。invalid level declaration: "
                f"{'; '.join(problems)}.", field="levels", value=keys,
                fix="例如 --levels 街道=street,社区=community,网格=grid (上级在前)。"
                    "e.g. --levels 街道=street,社区=community,网格=grid (top level first).")
        self.specs = tuple(specs)

    def __iter__(self):
        return iter(self.specs)

    def __len__(self) -> int:
        return len(self.specs)

    def __eq__(self, other) -> bool:
        return isinstance(other, PlanLevels) and self.specs == other.specs

    @property
    def keys(self) -> list[str]:
        return [lv.key for lv in self.specs]

    def spec(self, key: str) -> LevelSpec:
        return self.specs[self.keys.index(key)]

    def depth(self, key: str) -> int:
        return self.keys.index(key)

    def parent_key(self, key: str) -> str | None:
        d = self.depth(key)
        return self.specs[d - 1].key if d > 0 else None

    def child_key(self, key: str) -> str | None:
        d = self.depth(key)
        return self.specs[d + 1].key if d + 1 < len(self.specs) else None

    def parts_of(self, key: str) -> str | None:
        """The level that partitioning an area of ``key`` makes: the tiling level right
        below it (None when there is none). In the default declaration a grid is split
        straight into microgrids, as Lujiazui's grids without 居民区 are."""
        if key == Level.GRID.value and self == DEFAULT_LEVELS:
            return Level.MICROGRID.value
        child = self.child_key(key)
        return child if child is not None and self.tiles(child) else None

    def groups_of(self, key: str) -> str | None:
        """The 楼组 level below ``key``, when the plan declares one right below it."""
        child = self.child_key(key)
        return child if child is not None and not self.tiles(child) else None

    def tiles(self, key: str) -> bool:
        """Whether the areas of ``key`` must tile their parent exactly."""
        return self.spec(key).kind != Level.BUILDING_GROUP.value

    def key_of(self, value) -> str:
        """The key of the level named by ``value`` (key, Chinese or English name, or an alias
        of a kind declared once); InputError naming the declared levels otherwise."""
        from ._errors import InputError

        text = str(value.value if isinstance(value, Level) else value).strip()
        for lv in self.specs:
            if text in (lv.key, lv.zh, lv.en) or text.lower() in (lv.key.lower(), lv.en.lower()):
                return lv.key
        kind = _LEVEL_ALIASES.get(text)
        kind = kind.value if kind is not None else text.lower()
        hits = [lv.key for lv in self.specs if lv.kind == kind]
        if len(hits) == 1:
            return hits[0]
        names = ", ".join(f"{lv.zh}={lv.key}" for lv in self.specs)
        raise InputError(
            f"层级 {value!r} 不在本方案的层级中 ({names})。level {value!r} is not one of this "
            f"plan's levels ({names}).", field="level", value=value,
            fix="用本方案已声明的层级 (key 或中文名); 导入文件时可用 --levels 声明层级, 或用 "
                "--layer-level 名称=层级 对应。Use one of the plan's declared levels (key or "
                "Chinese name); when importing files, declare the levels with --levels or map "
                "them with --layer-level NAME=LEVEL.")

    def slots(self) -> dict[str, str]:
        """Declared key → the position it takes in the five-slot chain of the locator:
        tiling levels take street, grid, community, microgrid in declared order; 楼组 take
        building_group. The services map slots back to declared keys."""
        out, i = {}, 0
        for lv in self.specs:
            if lv.kind == Level.BUILDING_GROUP.value:
                out[lv.key] = Level.BUILDING_GROUP.value
            else:
                out[lv.key] = LEVEL_ORDER[i].value
                i += 1
        return out

    def to_list(self) -> list[dict]:
        return [lv.to_dict() for lv in self.specs]

    @classmethod
    def from_list(cls, data) -> "PlanLevels":
        """The declaration stored with a plan; ``None`` (older plans) is the default."""
        return DEFAULT_LEVELS if not data else cls(data)


DEFAULT_LEVELS = PlanLevels([
    LevelSpec("street", "街道", "street", "street"),
    LevelSpec("grid", "网格", "grid", "grid"),
    LevelSpec("community", "居民区/商务区", "community", "community"),
    LevelSpec("microgrid", "微网格", "microgrid", "microgrid"),
    LevelSpec("building_group", "楼组", "building group", "building_group"),
])


def parse_levels(text: str | None) -> PlanLevels:
    """``"街道=street,社区=community,网格=grid"`` → :class:`PlanLevels` (top first).

    Each entry is ``中文名=key`` (key one of the kinds) or ``中文名=key:kind``; the English
    name is the key with ``_`` read as a space. ``None`` or ``""`` is the default.
    """
    from ._errors import InputError

    if not text or not str(text).strip():
        return DEFAULT_LEVELS
    specs = []
    for entry in str(text).replace("，", ",").split(","):
        zh, sep, rest = entry.strip().partition("=")
        key, _, kind = rest.strip().partition(":")
        key, zh = key.strip(), zh.strip()
        if not sep or not zh or not key:
            raise InputError(
                f"层级声明 {entry!r} 应为 中文名=key。level entry {entry!r} is not NAME=key.",
                field="--levels", value=text,
                fix="例如 --levels 街道=street,社区=community,网格=grid。"
                    "e.g. --levels 街道=street,社区=community,网格=grid.")
        specs.append(LevelSpec(key, zh, key.replace("_", " "), (kind or key).strip()))
    return PlanLevels(specs)
