"""UI strings: Chinese by default, English available (``?lang=en``)."""

from __future__ import annotations

__all__ = ["t", "LANGS", "STRINGS"]

LANGS = ("zh", "en")
STRINGS: dict[str, dict[str, str]] = {
    "level.street": {"zh": "街道", "en": "Sub-district"},
    "level.grid": {"zh": "网格", "en": "Grids"},
    "level.community": {"zh": "居民区/商务区", "en": "Communities"},
    "level.microgrid": {"zh": "微网格", "en": "Microgrids"},
    "level.building_group": {"zh": "楼组/楼宇", "en": "Building groups"},
    "field.name": {"zh": "名称", "en": "Name"},
    "field.code": {"zh": "编码", "en": "Code"},
    "layer.problems": {"zh": "校验问题", "en": "Validation problems"},
    "legend.title": {"zh": "网格覆盖", "en": "Grid coverage"},
    "title.coverage": {"zh": "网格覆盖图", "en": "Coverage map"},
    "title.editor": {"zh": "微网格规划编辑", "en": "Microgrid planner"},
    "title.console": {"zh": "派单指挥台", "en": "Dispatch console"},
    "title.embed": {"zh": "社区网格公示", "en": "Community grid map"},
}


def t(key: str, lang: str = "zh") -> str:
    entry = STRINGS.get(key)
    if entry is None:
        return key
    return entry.get(lang if lang in LANGS else "zh", entry["zh"])
