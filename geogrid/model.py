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

from enum import Enum

__all__ = ["Level", "Kind", "ObjectType", "PlanStatus", "LEVEL_ORDER", "parse_level"]


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
