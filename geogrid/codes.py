"""Codes of grids and places: unit-grid codes, community codes, Beidou grid codes.

Unit-grid code (CJ/T 213, GB/T 30428.1) — 15 digits
    ``AAAAAA SSS CCC NNN``: 6-digit administrative division (GB/T 2260, e.g.
    浦东新区 ``310115``), 3-digit street (GB/T 10114, 陆家嘴街道 is
    ``310115005`` so ``005``), 3-digit community, 3-digit grid serial.

Serial order (reading order)
    The standard says serials run west→east, then north→south. We make that
    exact as follows (:func:`reading_order`): take each unit's centroid in a
    local metric CRS; cut the plane into horizontal *row bands* of height
    ``band_height`` metres counted down from the northernmost centroid
    (default: the square root of the median unit area, i.e. one typical unit
    tall); number band by band from north to south, and inside a band from
    west to east by centroid x (ties: by centroid y from north, then by input
    position). The same geometries always get the same serials, whatever
    their input order, so re-running an unchanged plan reproduces its codes.

Community code (CJ/T 349-2010, 数字社区) — 20 digits
    ``OOOOOO AAAAAA SSS CCC NN``: 6-digit service-object code, 6-digit county,
    3-digit street, 3-digit community, 2-digit serial (``00`` when the
    community is not subdivided).

Beidou grid location code (GB/T 39409-2020, 北斗网格位置码) — 2-D, 10 levels
    Level 1 is a 6°×4° cell: hemisphere letter ``N``/``S``, the 2-digit
    longitude zone ``floor(lon/6) + 31`` (01–60) and the latitude band letter
    ``A``… for ``floor(|lat|/4)``. Each further level splits its parent cell
    (lon × lat divisions, size of the new cell, characters):

    ====== ========== =================== =========================================
    level  divisions  cell                characters
    ====== ========== =================== =========================================
    2      12 × 8     30′ × 30′           lon hex 0–B, lat 0–7
    3      2 × 3      15′ × 10′           one digit 0–5 = 2·lat + lon (Z order)
    4      15 × 10    1′ × 1′             lon hex 0–E, lat 0–9
    5      15 × 15    4″ × 4″             lon hex 0–E, lat hex 0–E
    6      2 × 2      2″ × 2″             one digit 0–3 = 2·lat + lon (Z order)
    7–10   8 × 8      ¼″, ⅟₃₂″, ⅟₂₅₆″, ⅟₂₀₄₈″  lon 0–7, lat 0–7
    ====== ========== =================== =========================================

    A level-10 code has 20 characters (4+2+1+2+2+1+2+2+2+2). Arithmetic is
    done in integer units of 1/2048″, so cells nest exactly. Indices count
    from the cell corner nearest the equator and the prime meridian; this
    module implements the northern-eastern quadrant (all of China) and
    refuses coordinates elsewhere rather than guess the standard's mirroring.

>>> unit_grid_code("310115", "005", "003", 7)
'310115005003007'
>>> beidou_encode(116.31260278, 39.99316111, level=3)
'N50J475'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._errors import InputError
from .crs import metric_crs, require_crs

__all__ = [
    "parse_street_code",
    "UnitGridCode",
    "CommunityCode",
    "unit_grid_code",
    "parse_unit_grid_code",
    "reading_order",
    "assign_unit_grid_codes",
    "allocate_serials",
    "community_code",
    "parse_community_code",
    "beidou_encode",
    "beidou_decode",
    "beidou_level",
    "BEIDOU_CODE_LENGTH",
]

#: GB/T 2260 province-level prefixes
_PROVINCES = {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36",
              "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62",
              "63", "64", "65", "71", "81", "82"}


# --------------------------------------------------------------------------- digit codes
def _digits(value, n: int, part: str, *, allow_zero: bool = False) -> str:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        text = f"{int(value):0{n}d}"
    else:
        text = str(value).strip() if value is not None else ""
    if len(text) != n or not text.isascii() or not text.isdigit():
        raise InputError(f"{part} 须为 {n} 位数字, 收到 {value!r}。{part} must be {n} digits, got "
                         f"{value!r}.", field=part, value=value,
                         fix=f"请给出 {n} 位 {part} 代码, 不足位数前补 0。Pass the {n}-digit {part} "
                             "code, zero-padded.")
    if not allow_zero and int(text) == 0:
        raise InputError(f"{part} {text!r} 全为 0, 不是有效代码。{part} {text!r} is all zeros, "
                         f"which is not a valid {part} code.",
                         field=part, value=value)
    return text


def _admin(value) -> str:
    text = _digits(value, 6, "admin")
    if text[:2] not in _PROVINCES:
        raise InputError(f"admin {text!r} 不以 GB/T 2260 省级代码开头。admin {text!r} does not start "
                         "with a GB/T 2260 province code.", field="admin", value=value,
                         fix="请用 6 位区县代码, 如浦东新区 310115。Use the 6-digit county-level "
                             "code, e.g. 310115 for 浦东新区.")
    return text


def _admin_county(value) -> str:
    try:
        return _admin(value)
    except InputError as exc:
        raise InputError(exc.message.replace("admin", "county"), field="county",
                         value=value, fix=exc.fix) from None


def _part(name: str, n: int, *, allow_zero: bool = False) -> tuple:
    return name, n, lambda value: _digits(value, n, name, allow_zero=allow_zero)


class _LaidOut:
    """A code made of fixed-width digit parts: the dataclass fields in order, the last an int."""

    #: (name, digits, check) of each part; ``check(value)`` returns the part's digits
    LAYOUT: ClassVar[tuple] = ()
    #: the message and fix when a code has the wrong length or a non-digit
    WRONG_LENGTH: ClassVar[str] = ""
    LENGTH_FIX: ClassVar[str] = ""

    @property
    def code(self) -> str:
        *head, (_, n, _) = self.LAYOUT
        return "".join(f"{getattr(self, name)}" for name, _, _ in head) + f"{self.serial:0{n}d}"

    @classmethod
    def _compose(cls, *values) -> str:
        return "".join(check(v) for (_, _, check), v in zip(cls.LAYOUT, values, strict=True))

    @classmethod
    def parse(cls, code):
        """Parse and check a code; raise InputError naming the bad part."""
        text = str(code).strip() if code is not None else ""
        length = sum(n for _, n, _ in cls.LAYOUT)
        if len(text) != length or not text.isascii() or not text.isdigit():
            raise InputError(cls.WRONG_LENGTH.format(code=code, n=len(text)), field="code",
                             value=code, fix=cls.LENGTH_FIX)
        parts, at = [], 0
        for _, n, check in cls.LAYOUT:
            parts.append(check(text[at:at + n]))
            at += n
        return cls(*parts[:-1], int(parts[-1]))


@dataclass(frozen=True)
class UnitGridCode(_LaidOut):
    """A parsed 15-digit unit-grid code."""

    LAYOUT: ClassVar[tuple] = (("admin", 6, _admin), _part("street", 3), _part("community", 3),
                               _part("serial", 3))
    WRONG_LENGTH = ("单元网格代码为 15 位数字, 收到 {code!r} ({n} 个字符)。"
                    "a unit-grid code has 15 digits, got {code!r} ({n} characters).")
    LENGTH_FIX = "6 admin + 3 street + 3 community + 3 serial digits."

    admin: str
    street: str
    community: str
    serial: int

    @property
    def community_prefix(self) -> str:
        """The first 12 digits: the community the grid belongs to."""
        return f"{self.admin}{self.street}{self.community}"


@dataclass(frozen=True)
class CommunityCode(_LaidOut):
    """A parsed 20-digit CJ/T 349 community code."""

    LAYOUT: ClassVar[tuple] = (_part("service_object", 6), ("county", 6, _admin_county),
                               _part("street", 3), _part("community", 3),
                               _part("serial", 2, allow_zero=True))
    WRONG_LENGTH = ("CJ/T 349 社区代码为 20 位数字, 收到 {code!r}。"
                    "a CJ/T 349 community code has 20 digits, got {code!r}.")
    LENGTH_FIX = "6 service-object + 6 county + 3 street + 3 community + 2 serial."

    service_object: str
    county: str
    street: str
    community: str
    serial: int

    @property
    def subdivided(self) -> bool:
        """Whether the community is split into parts (serial other than ``00``)."""
        return self.serial != 0


def parse_street_code(value) -> str:
    """A 9-digit street code: 6-digit GB/T 2260 county + 3-digit GB/T 10114 street.

    >>> parse_street_code("330106001")
    '330106001'
    """
    text = str(value).strip() if value is not None else ""
    if len(text) != 9 or not text.isascii() or not text.isdigit():
        raise InputError(f"街道代码须为 9 位数字 (6 位区县 GB/T 2260 + 3 位街道), 收到 {value!r}。"
                 f"a street code has 9 digits (6 county GB/T 2260 + 3 street), got {value!r}.",
                 field="--street-code", value=value,
                 fix="例如 310115005 (浦东新区 陆家嘴街道) 或 330106001。"
                     "e.g. 310115005 (陆家嘴街道, 浦东新区) or 330106001.")
    return _admin(text[:6]) + _digits(text[6:], 3, "street")


def unit_grid_code(admin, street, community, serial) -> str:
    """Compose a 15-digit unit-grid code; each part is checked and zero-padded.

    >>> unit_grid_code(310115, 5, 3, 12)
    '310115005003012'
    """
    return UnitGridCode._compose(admin, street, community, serial)


def parse_unit_grid_code(code) -> UnitGridCode:
    """Parse and check a 15-digit unit-grid code; raise InputError naming the bad part.

    >>> parse_unit_grid_code("310115005003007").serial
    7
    """
    return UnitGridCode.parse(code)


def reading_order(geoms: gpd.GeoSeries | gpd.GeoDataFrame, band_height: float | None = None
                  ) -> np.ndarray:
    """1-based serial of each geometry in reading order (see the module docstring).

    Row bands ``floor((y_top − y) / band_height + ½)`` below the northernmost
    centroid, north to south; west to east inside a band.
    """
    require_crs(geoms, "geoms")
    series = geoms.geometry if isinstance(geoms, gpd.GeoDataFrame) else geoms
    n = len(series)
    if n == 0:
        return np.empty(0, dtype=int)
    m = series.to_crs(metric_crs(series))
    g = np.asarray(m.values, dtype=object)
    c = shapely.centroid(g)
    x, y = shapely.get_x(c), shapely.get_y(c)
    if band_height is None:
        areas = shapely.area(g)
        med = float(np.median(areas[areas > 0])) if (areas > 0).any() else 0.0
        band_height = max(np.sqrt(med), 1.0)
    if band_height <= 0:
        raise InputError(f"band_height 须为正数, 收到 {band_height!r}。band_height must be positive, "
                         f"got {band_height!r}.",
                         field="band_height", value=band_height)
    band = np.floor((y.max() - y) / band_height + 0.5).astype(np.int64)
    order = np.lexsort((np.arange(n), -np.round(y, 3), np.round(x, 3), band))
    serial = np.empty(n, dtype=int)
    serial[order] = np.arange(1, n + 1)
    return serial


def assign_unit_grid_codes(frame: gpd.GeoDataFrame | gpd.GeoSeries, prefix: str,
                           band_height: float | None = None) -> pd.Series:
    """Unit-grid codes for the polygons of ``frame`` under a 12-digit community prefix.

    ``prefix`` is admin + street + community (e.g. ``310115005003``). Serials
    follow :func:`reading_order`; at most 999 units.
    """
    text = str(prefix).strip()
    if len(text) != 12:
        raise InputError(f"前缀须为 12 位数字 (区县+街道+社区), 收到 {prefix!r}。prefix must be 12 "
                         f"digits (admin+street+community), got {prefix!r}.",
                         field="prefix", value=prefix,
                         fix="如陆家嘴街道 003 社区为 '310115005003'。e.g. '310115005003' for "
                             "community 003 of 陆家嘴街道.")
    _admin(text[:6])
    _digits(text[6:9], 3, "street")
    _digits(text[9:], 3, "community")
    serial = reading_order(frame, band_height)
    if len(serial) and serial.max() > 999:
        raise InputError(f"{len(serial)} 个单元超出 3 位序号 (最多 999)。{len(serial)} units do not fit "
                         "the 3-digit serial (max 999).", field="frame", value=len(serial),
                         fix="请先把上级拆成几个社区。Split the parent into several communities "
                             "first.")
    return pd.Series([f"{text}{s:03d}" for s in serial], index=frame.index, name="code")


def allocate_serials(parts, kept: dict[int, int], taken, limit: int = 999) -> dict[int, int] | None:
    """Unit-grid serials for ``parts`` that share one 3-digit serial space with others.

    A grid's microgrids are cut in each of its 居民区/商务区 separately, yet their
    serials run across the grid (its code + 3 digits, 15 in all). ``kept`` maps the
    part ids that already had a serial to it: they keep it, so an edit renames only
    the parts it makes. The other parts, in id order, take the smallest serials that
    neither ``taken`` (the other communities' microgrids) nor ``kept`` hold. None when
    more than ``limit`` would be needed.

    >>> allocate_serials([1, 2, 4], {1: 7, 2: 8, 3: 9}, taken={1, 2})
    {1: 7, 2: 8, 4: 3}
    """
    parts = sorted(int(p) for p in parts)
    busy = set(map(int, taken))
    out = {}
    for p in parts:   # in id order: of two parts kept on one serial, the first keeps it
        if p in kept and int(kept[p]) not in busy:
            out[p] = int(kept[p])
            busy.add(out[p])
    free = (s for s in range(1, limit + 1) if s not in busy)
    for p in parts:
        if p not in out:
            nxt = next(free, None)
            if nxt is None:
                return None
            out[p] = nxt
    return out


# --------------------------------------------------------------------------- CJ/T 349
def community_code(service_object, county, street, community, serial=0) -> str:
    """Compose a 20-digit CJ/T 349 code; ``serial`` 0 (``00``) = not subdivided.

    >>> community_code("100000", "310115", "005", "003")
    '10000031011500500300'
    """
    return CommunityCode._compose(service_object, county, street, community, serial)


def parse_community_code(code) -> CommunityCode:
    """Parse and check a 20-digit CJ/T 349 code; raise InputError naming the bad part."""
    return CommunityCode.parse(code)


# --------------------------------------------------------------------------- Beidou
_UNIT_PER_DEG = 3600 * 2048  # integer units of 1/2048 arc-second
# (lon divisions, lat divisions) and cell size in units, levels 1..10
_DIV = [None, (60, 22), (12, 8), (2, 3), (15, 10), (15, 15), (2, 2), (8, 8), (8, 8), (8, 8),
        (8, 8)]
_SIZE = [None, (6 * _UNIT_PER_DEG, 4 * _UNIT_PER_DEG), (1800 * 2048, 1800 * 2048),
         (900 * 2048, 600 * 2048), (60 * 2048, 60 * 2048), (4 * 2048, 4 * 2048),
         (2 * 2048, 2 * 2048), (512, 512), (64, 64), (8, 8), (1, 1)]
_CHARS = [None, 3, 2, 1, 2, 2, 1, 2, 2, 2, 2]  # characters after the hemisphere letter
BEIDOU_CODE_LENGTH = {lvl: 1 + sum(_CHARS[1:lvl + 1]) for lvl in range(1, 11)}
_HEX = "0123456789ABCDEF"


def beidou_encode(lon: float, lat: float, level: int = 10) -> str:
    """GB/T 39409-2020 two-dimensional grid code of a lon/lat point at ``level`` (1–10).

    >>> beidou_encode(121.5055, 31.2352, level=1)
    'N51H'
    """
    if not isinstance(level, (int, np.integer)) or not 1 <= level <= 10:
        raise InputError(f"级别须为 1–10 的整数, 收到 {level!r}。level must be an integer 1–10, got "
                         f"{level!r}.", field="level",
                         value=level)
    lon, lat = float(lon), float(lat)
    if not (np.isfinite(lon) and np.isfinite(lat)):
        raise InputError("经纬度须为有限数值。lon/lat must be finite numbers.", field="lon/lat",
                         value=(lon, lat))
    if not (0.0 <= lon < 180.0 and 0.0 <= lat < 88.0):
        raise InputError(f"({lon}, {lat}) 不在本编码器实现的东北象限内。({lon}, {lat}) is outside the "
                         "northern-eastern quadrant "
                         "(0 ≤ lon < 180, 0 ≤ lat < 88) that this encoder implements.",
                         field="lon/lat", value=(lon, lat),
                         fix="中国全境都在其中; 极地与西半球格网未实现。All of China lies inside it; "
                             "polar and western cells are not implemented.")
    u = int(np.floor(lon * _UNIT_PER_DEG))
    v = int(np.floor(lat * _UNIT_PER_DEG))
    zone, band = u // _SIZE[1][0], v // _SIZE[1][1]
    out = ["N", f"{zone + 31:02d}", chr(ord("A") + band)]
    u -= zone * _SIZE[1][0]
    v -= band * _SIZE[1][1]
    for lvl in range(2, level + 1):
        su, sv = _SIZE[lvl]
        i, j = u // su, v // sv
        u -= i * su
        v -= j * sv
        if _CHARS[lvl] == 1:
            out.append(str(2 * j + i))
        else:
            out.append(_HEX[i] + _HEX[j])
    return "".join(out)


def beidou_level(code: str) -> int:
    """Level (1–10) of a Beidou grid code, from its length."""
    text = str(code).strip().upper()
    for lvl, n in BEIDOU_CODE_LENGTH.items():
        if len(text) == n:
            return lvl
    raise InputError(f"北斗网格位置码的长度为 {sorted(BEIDOU_CODE_LENGTH.values())} 个字符, 收到 "
                     f"{code!r} ({len(text)})。a Beidou grid code has "
                     f"{sorted(BEIDOU_CODE_LENGTH.values())} characters, "
                     f"got {code!r} ({len(text)}).", field="code", value=code)


def beidou_decode(code: str) -> tuple[float, float, float, float]:
    """Bounds ``(west, south, east, north)`` in degrees of a Beidou grid cell.

    >>> w, s, e, n = beidou_decode("N51H")
    >>> (w, s, e, n)
    (120.0, 28.0, 126.0, 32.0)
    """
    text = str(code).strip().upper()
    level = beidou_level(text)
    if text[0] != "N":
        raise InputError(f"{code!r} 第 1 级: 只实现了北半球 ('N')。level 1 of {code!r}: only the "
                         "northern hemisphere ('N') is implemented.",
                         field="level1", value=text[:4])
    zone_txt, band_txt = text[1:3], text[3]
    if not zone_txt.isdigit() or not 31 <= int(zone_txt) <= 60:
        raise InputError(f"{code!r} 第 1 级: 经度带 {zone_txt!r} 不在 31–60 (东半球)。level 1 of "
                         f"{code!r}: longitude zone {zone_txt!r} is not 31–60 "
                         "(eastern hemisphere).", field="level1", value=text[:4])
    if not ("A" <= band_txt <= "V"):
        raise InputError(f"{code!r} 第 1 级: 纬度带 {band_txt!r} 不在 A–V。level 1 of {code!r}: "
                         f"latitude band {band_txt!r} is not A–V.",
                         field="level1", value=text[:4])
    u = (int(zone_txt) - 31) * _SIZE[1][0]
    v = (ord(band_txt) - ord("A")) * _SIZE[1][1]
    pos = 4
    for lvl in range(2, level + 1):
        ndiv_u, ndiv_v = _DIV[lvl]
        chunk = text[pos:pos + _CHARS[lvl]]
        pos += _CHARS[lvl]
        if _CHARS[lvl] == 1:
            if not chunk.isdigit() or int(chunk) >= ndiv_u * ndiv_v:
                raise InputError(f"{code!r} 第 {lvl} 级: {chunk!r} 不在 0–{ndiv_u * ndiv_v - 1}。"
                                 f"level {lvl} of {code!r}: {chunk!r} is not 0–"
                                 f"{ndiv_u * ndiv_v - 1}.", field=f"level{lvl}", value=chunk)
            j, i = divmod(int(chunk), 2)
        else:
            i, j = _HEX.find(chunk[0]), _HEX.find(chunk[1])
            if not (0 <= i < ndiv_u and 0 <= j < ndiv_v):
                raise InputError(f"{code!r} 第 {lvl} 级: {chunk!r} 超出范围。"
                                 f"level {lvl} of {code!r}: {chunk!r} is out of range "
                                 f"(lon 0–{_HEX[ndiv_u - 1]}, lat 0–{_HEX[ndiv_v - 1]}).",
                                 field=f"level{lvl}", value=chunk)
        u += i * _SIZE[lvl][0]
        v += j * _SIZE[lvl][1]
    su, sv = _SIZE[level]
    return (u / _UNIT_PER_DEG, v / _UNIT_PER_DEG, (u + su) / _UNIT_PER_DEG,
            (v + sv) / _UNIT_PER_DEG)
