"""Chinese address normalisation and parsing.

An address reaches a dispatch desk in many spellings of one thing::

    上海市浦东新区陆家嘴街道浦东大道６５０号（近东方路）
    浦东大道六百五十号
    崂山路638弄1号302室        江山弄13-1-302
    陆家嘴西路168号正大广场B1层
    浦东南路与东昌路交叉口东50米

:func:`normalise` maps the spelling to one canonical string; :func:`parse_address`
splits that string into the fields of :class:`ParsedAddress`. Neither looks
anything up: deciding whether 崂山五村 is a compound or a shop is the
gazetteer's job (:mod:`geogrid.geocode.gazetteer`).

Normalisation
-------------
1. Unicode NFKC: full-width digits, letters and punctuation become ASCII
   (``６５０`` → ``650``, ``（`` → ``(``, ``～`` → ``~``).
2. Traditional characters common in addresses become simplified (號 → 号).
3. Dashes, brackets and ``#`` are unified (``3#楼`` → ``3号楼``).
4. Whitespace is dropped except between two Latin words; Latin letters are
   upper-cased (``b1层`` → ``B1层``).
5. Chinese numerals become Arabic **only where they count something**: before
   号 / 弄 / 支弄 / 号楼 / 栋 / 幢 / 座 / 单元 / 室 / 层 / 楼 / 米 / 公里. Numerals
   that are part of a name stay (中山东一路, 崂山五村, 梅园三街坊, 十六铺).

Parsing
-------
Administrative prefixes are peeled from the front (省 → 市 → 区/县 → 街道/镇),
each only when what follows still looks like an address, so 上海大厦 keeps
its 上海 and 三航小区 is not a district. Parenthesised text and 近X路 become
hints. An intersection (``X路与Y路交叉口[东50米]``, also 和 / 路口 / ``X路Y路口``)
is recognised next. The rest is scanned left to right for a road, 弄, 支弄,
house numbers, 号楼/栋/幢/座, 单元, 层 and 室; text that is none of these is the
POI or compound name.

House-number forms, and how the bare dash is read (no 号 after it)::

    45、55号       numbers=(45, 55)               list
    17-19号        numbers=(17, 19), range         号 after a dash: a range
    151-171        range, when 0 < B - A <= 60
    638-1          lane=638, number=1              B < A: 弄-号
    5-302          number=5, room=302              otherwise: 号-室
    13-1-302       lane=13, number=1, room=302     弄-号-室 on a road;
                   number=13, unit=1, room=302     号-单元-室 inside a lane (江山弄)

Example
-------
>>> p = parse_address("上海市浦东新区陆家嘴街道浦东大道６５０号（近东方路）")
>>> (p.city, p.district, p.subdistrict, p.road, p.number, p.near_road)
('上海市', '浦东新区', '陆家嘴街道', '浦东大道', 650, '东方路')
>>> parse_address("浦东南路与东昌路交叉口东50米").intersection
Intersection(road_a='浦东南路', road_b='东昌路', offset=Offset(direction='东', distance_m=50.0))
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, fields, make_dataclass, replace

from .._errors import InputError
from ._forms import (ROAD_NUMBER, branch_of, looks_like_compound, near_place_of, split_parts,
                     take_metro_lines)
from ._numerals import CN_NUMERAL_CHARS, cn_to_int
from .parsed import (FLAT_FIELDS, AdminArea, HouseNumber, Intersection, Offset, ParsedAddress,
                     Premises)

__all__ = [
    "DIRECTIONS",
    "AdminArea",
    "FLAT_FIELDS",
    "HouseNumber",
    "Intersection",
    "Offset",
    "ParsedAddress",
    "Premises",
    "normalise",
    "parse_address",
    "parse_house_number",
    "road_key",
    "with_place_name",
]

#: compass words and their unit vectors (east, north)
DIRECTIONS: dict[str, tuple[float, float]] = {
    "东": (1.0, 0.0), "西": (-1.0, 0.0), "南": (0.0, -1.0), "北": (0.0, 1.0),
    "东北": (0.7071067811865476, 0.7071067811865476),
    "东南": (0.7071067811865476, -0.7071067811865476),
    "西北": (-0.7071067811865476, 0.7071067811865476),
    "西南": (-0.7071067811865476, -0.7071067811865476),
}


# ---------------------------------------------------------------------------
# normalisation

_TRAD = str.maketrans(
    "號區樓棟門東場廣灘橋長園鎮鄉縣單層廈與內舖華陸濱環蘇漢龍寧國際匯豐興黃雲鳳灣莊條館貿藝鐵",
    "号区楼栋门东场广滩桥长园镇乡县单层厦与内铺华陆滨环苏汉龙宁国际汇丰兴黄云凤湾庄条馆贸艺铁",
)
_PUNCT = str.maketrans({
    "—": "-", "–": "-", "―": "-", "‐": "-", "‑": "-", "−": "-", "－": "-", "_": "-",
    "〜": "~", "～": "~",
    "【": "(", "】": ")", "〔": "(", "〕": ")", "[": "(", "]": ")", "{": "(", "}": ")",
    "「": "", "」": "", "『": "", "』": "", '"': "", "'": "", "“": "", "”": "",
    "，": ",", "；": ",", ";": ",", "。": "", "：": ":",
    "#": "号", "＃": "号",
})
_COUNTED = r"号楼|号|支弄|弄|室|栋|幢|座|单元|层|楼|米|公里"
_CN_RUN = re.compile(rf"[{CN_NUMERAL_CHARS}]+(?={_COUNTED})")
_SPACE = re.compile(r"\s+")
_INNER_SPACE = re.compile(r"(?<![A-Z]) | (?![A-Z])")


def normalise(text: str) -> str:
    """Canonical spelling of an address (see the module docstring for the rules).

    >>> normalise(" 浦东大道６５０号（近东方路） ")
    '浦东大道650号(近东方路)'
    >>> normalise("崂山五村三十二号二〇一室")
    '崂山五村32号201室'
    """
    if text is None:
        raise InputError("address is None.", field="text", fix="Pass the address as a string.")
    s = unicodedata.normalize("NFKC", str(text))
    s = s.translate(_TRAD).translate(_PUNCT)
    s = _SPACE.sub(" ", s).strip().upper()
    s = _INNER_SPACE.sub("", s)
    s = s.replace("千米", "公里")
    while "()" in s:  # empty brackets first: 八()室 is one numeral run once they go
        s = s.replace("()", "")
    s = _CN_RUN.sub(_cn_run_to_digits, s)
    s = re.sub(r"第(?=\d)", "", s)
    return s


def _cn_run_to_digits(m: re.Match) -> str:
    value = cn_to_int(m.group(0))
    return m.group(0) if value is None else str(value)


_ROAD_DIGIT = re.compile(r"(?<=[^\d])([1-9])(?=路|大道|街|巷|支路)")
_CN_SINGLE = "零一二三四五六七八九"


def road_key(name: str) -> str:
    """Key under which a road name is indexed: normalised, with ``中山东1路`` → ``中山东一路``."""
    s = normalise(name)
    return _ROAD_DIGIT.sub(lambda m: _CN_SINGLE[int(m.group(1))], s)


# ---------------------------------------------------------------------------
# patterns, built from the word lists below so that each list is written once

#: a displacement: (往)东(侧)(约)50米(左右); each unit with its length in metres
_TOWARD = ("以", "往", "向", "朝")
_SIDE = ("侧", "面", "方向", "边")
_ROUGHLY = ("约", "大约")
_METRES = {"米": 1.0, "M": 1.0, "公里": 1000.0, "KM": 1000.0}
_AROUND = ("处", "左右")
#: a crossing: X路与Y路交叉口; the words joining two roads, and the words for the junction
_CONJ = ("与", "和", "跟", "同", "及", "、", "/", "&", "+", "×")
_JUNCTION = ("交叉路口", "十字路口", "交叉口", "交汇处", "交界处", "交口", "路口", "口")
#: a road given as a hint: (近)东方路(口)
_NEAR = ("靠近", "临近", "邻近", "近")
_BESIDE = ("交叉口", "路口", "口", "附近", "旁")
#: between house numbers: a list (45、55号), a range (17~19号), or a dash, read by context
_LIST_SEPS = ("、", ",", "/", "及", "和")
_RANGE_SEPS = ("~", "至", "到")
#: letters a house number may carry (5甲号, 12A号)
_NUM_LETTERS = "甲乙丙丁戊A-E"


def _any(*words: str) -> str:
    """A group matching any of ``words``, tried in the order given (put longer words first)."""
    return "(?:" + "|".join(re.escape(w) for w in words) + ")"


_NAMECH = r"[^\s\d(),、]"
_ROAD_SUFFIX = r"(?:大道|公路|大街|路|街|巷|胡同)"
_ROAD_CORE = rf"{_NAMECH}{{1,12}}?{_ROAD_SUFFIX}(?![坊道区])"
_ROAD_RE = re.compile(rf"{_ROAD_CORE}|{_NAMECH}{{1,8}}?[^\d\s(),、号支]弄(?!堂)")
_DIR = _any(*sorted(DIRECTIONS, key=len, reverse=True))
_DIST = rf"{_any(*_ROUGHLY)}?(?P<dist>\d+(?:\.\d+)?)(?P<unit>{_any(*_METRES)})"
_TOWARD_DIR = rf"{_any(*_TOWARD)}?(?P<dir>{_DIR})"
#: the characters an offset can start with (a toward word or a direction)
_OFFSET_START = frozenset("".join(_TOWARD) + "".join(DIRECTIONS))
_INTERSECTION_RE = re.compile(
    rf"(?P<a>{_ROAD_CORE})(?P<conj>{_any(*_CONJ)})?(?P<b>{_ROAD_CORE})的?(?P<key>{_any(*_JUNCTION)})?"
    rf"(?:{_TOWARD_DIR}{_any(*_SIDE, '角')}?(?:{_DIST})?)?{_any(*_AROUND, '附近')}?")
_NEAR_RE = re.compile(rf"{_any(*_NEAR)}(?P<road>{_ROAD_CORE}){_any(*_BESIDE)}?")
_NEAR_HINT_RE = re.compile(
    rf"{_any(*_NEAR, '临', '靠')}?(?P<road>{_ROAD_CORE}){_any(*_BESIDE, '一侧', '侧')}?")

_PROVINCE_RE = re.compile(r"[^\s\d()]{2,7}?(?:省|自治区|特别行政区)")
_MUNICIPALITY_RE = re.compile(r"(?P<v>北京|上海|天津|重庆)(?P<shi>市)?")
#: what follows a city's name when the name begins a road's: 天津路, 北京东路, 上海南路
_NAMED_AFTER_RE = re.compile(rf"[东南西北中]?{_ROAD_SUFFIX}")
_CITY_RE = re.compile(r"[^\s\d()路街号弄]{2,6}?(?:市|自治州|地区|盟)")
_DISTRICT_RE = re.compile(r"[^\s\d()路街号弄村]{1,7}?(?:新区|区|县|旗)")
_SUBDISTRICT_RE = re.compile(r"[^\s\d()路号弄]{2,8}?(?:街道办事处|街道|镇|乡)(?!路|街)")
_NOT_CITY = ("超市", "门市", "菜市", "夜市", "集市", "股市", "城市")
_NOT_DISTRICT = ("小区", "社区", "住区", "园区", "景区", "校区", "街区", "片区", "商区", "厂区",
                 "矿区", "营区", "院区", "军区", "城区", "库区", "居住区", "服务区", "停车区")

_T_LANE = re.compile(r"(?P<n>\d+)弄")
_T_SUBLANE = re.compile(r"(?P<n>\d+)支弄")
_T_BUILDING = re.compile(r"(?P<n>\d+|[A-Z]\d{0,2})(?:号楼|栋|幢|座|号馆|号库)")
_T_UNIT = re.compile(r"(?P<n>\d+|[A-Z])单元")
_T_FLOOR = re.compile(
    r"(?P<neg>B|负|地下|-)?(?P<n>\d+)(?:层|楼|F(?!\d))"     # 12层 12楼 12F B1层 负1层
    r"|F(?P<n2>\d+)(?![\d号])"                              # F12
    r"|(?P<mall>[BL])(?P<n3>\d{1,2})(?![\dA-Z号座栋幢单室])"  # mall levels: B2, L3
)
_T_ROOM = re.compile(r"(?P<n>[A-Z]?\d+)(?:室|房|户)")
_T_OFFSET = re.compile(rf"{_TOWARD_DIR}{_any(*_SIDE)}?{_DIST}{_any(*_AROUND)}?")
_NUM_ATOM = rf"\d+[{_NUM_LETTERS}]?"
_NUM_SEP = _any(*_LIST_SEPS, *_RANGE_SEPS, "-")
_T_NUMBER = re.compile(
    rf"(?P<ne>{_NUM_ATOM}(?:{_NUM_SEP}{_NUM_ATOM})*)(?P<hao>号(?!楼))?"
    r"(?P<late>(?<=号)[甲乙丙丁](?![\u4e00-\u9fff]))?"
    r"(?:之(?P<zhi>\d+|[一二三四五六七八九十]+))?"
)
_NUM_SPLIT = re.compile(f"({_NUM_SEP})")
_ATOM_RE = re.compile(rf"(\d+)([{_NUM_LETTERS}]?)")

_FILLER_TAIL = ("附近", "旁边", "门口", "对面", "里面", "周边", "一带", "楼下", "旁", "内", "处", "的")
_FILLER_HEAD = ("位于", "在", "的")


def _strip_filler(text: str) -> str:
    t = text.strip(" -,、:.")
    if t in _FILLER_TAIL or t in _FILLER_HEAD:
        return ""
    changed = True
    while changed and t:
        changed = False
        for w in _FILLER_TAIL:
            if t.endswith(w) and len(t) > len(w):
                t, changed = t[: -len(w)], True
        for w in _FILLER_HEAD:
            if t.startswith(w) and len(t) > len(w):
                t, changed = t[len(w):], True
        t = t.strip(" -,、:.")
    return t


# ---------------------------------------------------------------------------
# parsing

#: the fields of :class:`ParsedAddress` that the parse fills in as it reads the text,
#: besides those of the house number and the premises
_PARTS = ("road", "offset")


def _in_lane(self) -> bool:
    return self.lane is not None or bool(self.road and self.road.endswith("弄"))


def _built(cls) -> property:
    """A property of :data:`_State` that builds a ``cls`` from the state's fields of it."""
    return property(lambda self: cls(**{f.name: getattr(self, f.name) for f in fields(cls)}))


#: the parse's working state: the fields of :class:`HouseNumber`, :class:`Premises` and the
#: :data:`_PARTS` of :class:`ParsedAddress` (same names, types and defaults, but mutable),
#: plus the text not read yet
_State = make_dataclass(
    "_State",
    [(f.name, f.type, field(default=f.default))
     for f in (*fields(HouseNumber), *fields(Premises),
               *(f for f in fields(ParsedAddress) if f.name in _PARTS))]
    + [("residual", "list[str]", field(default_factory=list)),
       ("residual_before_number", "str | None", field(default=None))],
    namespace={"in_lane": property(_in_lane), "number": HouseNumber.number,
               "house": _built(HouseNumber), "premises": _built(Premises),
               "__module__": __name__})


def _offset(m: re.Match) -> Offset | None:
    """The direction and distance a pattern matched (``None`` when it matched no direction)."""
    if m.group("dir") is None:
        return None
    dist = m.group("dist")
    return Offset(m.group("dir"), None if dist is None else float(dist) * _METRES[m.group("unit")])


def _apply_number(st: _State, m: re.Match) -> None:
    ne, hao, zhi = m.group("ne"), m.group("hao"), m.group("zhi")
    parts = _NUM_SPLIT.split(ne)
    atoms = [_ATOM_RE.fullmatch(p) for p in parts[::2]]
    values = [int(a.group(1)) for a in atoms]
    suffixes = [a.group(2) or None for a in atoms]
    seps = parts[1::2]
    if st.number is None and st.floor is not None and st.road is None:
        st.room = ne  # 正大广场7层08A号: a shop number on a floor, not a house number
        return
    if st.number is not None:
        # a second bare number after the house number: room (12号302), or 号 → building
        if hao and st.building is None:
            st.building = ne
        elif st.room is None:
            st.room = ne
        else:
            st.residual.append(ne)
        return
    if not seps:
        st.numbers, st.suffix = (values[0],), suffixes[0]
    elif all(s in _LIST_SEPS for s in seps):
        st.numbers, st.suffix = tuple(values), suffixes[0]
    elif len(seps) == 1:
        a, b = values
        sep = seps[0]
        if sep in _RANGE_SEPS or (sep == "-" and a < b and (hao or b - a <= 60)):
            st.numbers, st.range = (a, b), (a, b)
        elif sep == "-" and hao and b < a and a - b <= 60 and b >= 10:
            st.numbers, st.range = (b, a), (b, a)  # 398-396号
        elif sep == "-" and hao and b < a:
            st.numbers, st.suffix = (a,), f"-{b}"  # 555-1号
        elif sep == "-" and b < a and not st.in_lane:
            st.lane, st.numbers = a, (b,)
        elif sep == "-" and hao:
            st.numbers, st.suffix = (a,), f"-{b}"
        else:
            st.numbers, st.room = (a,), str(b)
        st.suffix = st.suffix or suffixes[0]
    elif len(seps) == 2 and all(s == "-" for s in seps):
        a, b, c = values
        if st.in_lane:
            st.numbers, st.unit, st.room = (a,), str(b), str(c)
        else:
            st.lane, st.numbers, st.room = a, (b,), str(c)
    else:
        st.numbers = (values[0],)
        st.residual.append("-".join(parts[2:]))
    if zhi:
        z = zhi if zhi.isdigit() else str(cn_to_int(zhi))
        st.suffix = f"之{z}"
    if m.group("late"):  # 5号甲
        st.suffix = m.group("late")


def _scan(text: str, st: _State, *, allow_road: bool) -> None:
    """Scan ``text`` left to right, filling ``st``; unrecognised text goes to residual."""
    pos, buf = 0, []

    def flush() -> None:
        if buf:
            st.residual.append("".join(buf))
            buf.clear()

    while pos < len(text):
        ch = text[pos]
        if ch in " ,()":
            flush()
            pos += 1
            continue
        m = None
        if allow_road and st.road is None and not buf and not ch.isdigit():
            m = _ROAD_RE.match(text, pos)
            if m:
                st.road = m.group(0)
        latin_word = ch.isascii() and ch.isalpha() and bool(buf) and buf[-1].isascii() and (
            buf[-1].isalpha() or buf[-1] in "+&")  # L+MALL10层: the L of a name, not level L10
        if m is None and not latin_word and (ch.isdigit() or ch in "BFL-负地ABCDE"):
            if (m := _T_SUBLANE.match(text, pos)) and st.sublane is None:
                st.sublane = int(m.group("n"))
            elif (m := _T_LANE.match(text, pos)) and st.lane is None and st.number is None:
                st.lane = int(m.group("n"))
            elif m := _T_BUILDING.match(text, pos):
                st.building = m.group("n")
            elif m := _T_UNIT.match(text, pos):
                st.unit = m.group("n")
            elif m := _T_FLOOR.match(text, pos):
                n = int(m.group("n") or m.group("n2") or m.group("n3"))
                st.floor = -n if m.group("neg") or m.group("mall") == "B" else n
            elif m := _T_ROOM.match(text, pos):
                st.room = m.group("n")
            elif ch.isdigit() and (m := _T_NUMBER.match(text, pos)):
                if st.number is None and st.road is not None and buf:
                    st.residual_before_number = "".join(buf)
                _apply_number(st, m)
            else:
                m = None
        elif m is None and ch in _OFFSET_START and (m := _T_OFFSET.match(text, pos)):
            st.offset = _offset(m)
        if m is not None and m.end() > pos:
            flush()
            pos = m.end()
        else:
            buf.append(ch)
            pos += 1
    flush()


def _peel_admin(body: str) -> tuple[str, dict[str, str]]:
    out: dict[str, str] = {}
    rest = body

    def district_at(s: str) -> re.Match | None:
        m = _DISTRICT_RE.match(s)
        if m and not m.group(0).endswith(_NOT_DISTRICT):
            return m
        return None

    if m := _PROVINCE_RE.match(rest):
        out["province"], rest = m.group(0), rest[m.end():]
    if m := _MUNICIPALITY_RE.match(rest):
        after = rest[m.end():]
        road = _ROAD_RE.match(after)  # 上海中山东一路: a full road name follows, not 上海南路
        # 天津路与贵州路: the city's name begins the road's (天津路, 北京东路, 重庆南路)
        named_after = _NAMED_AFTER_RE.match(after)
        if m.group("shi") or district_at(after) or _SUBDISTRICT_RE.match(after) or (
                road and len(road.group(0)) >= 3 and not named_after):
            name = m.group("v") + "市"
            out.setdefault("province", name)
            out["city"], rest = name, after
    if "city" not in out and (m := _CITY_RE.match(rest)) and not m.group(0).endswith(_NOT_CITY):
        after = rest[m.end():]
        if "province" in out or district_at(after) or _SUBDISTRICT_RE.match(after):
            out["city"], rest = m.group(0), after
    if m := district_at(rest):
        out["district"], rest = m.group(0), rest[m.end():]
    m = _SUBDISTRICT_RE.match(rest)
    if m and (len(m.group(0)) < len(rest) or m.group(0).endswith("街道")):
        out["subdistrict"], rest = m.group(0).removesuffix("办事处"), rest[m.end():]
    return rest, out


_PAREN_RE = re.compile(r"\(([^()]*)\)")


def parse_address(text: str) -> ParsedAddress:
    """Parse one address into a :class:`ParsedAddress` (see the module docstring).

    Never raises on odd input: what cannot be read is left in ``poi`` or
    dropped, and the gazetteer reports what it could not match. ``None``
    raises :class:`~geogrid.InputError`.

    Several addresses in one field (``南京东路800号;西藏中路268号``) parse as
    the first, with the others in ``alternates``. A bracketed branch
    (``星巴克(张杨路店)``) goes to ``branch``; a bracketed or trailing cross
    street (``(近商城路)``, ``(凤阳路口)``, ``(浦东大道与东方路路口)`` after a
    numbered address) goes to ``near_roads``; metro line lists to
    ``metro_lines``.

    >>> p = parse_address("崂山路638弄1号302室")
    >>> (p.road, p.lane, p.number, p.room)
    ('崂山路', 638, 1, '302')
    >>> p = parse_address("陆家嘴西路168号正大广场B1层")
    >>> (p.road, p.number, p.poi, p.floor)
    ('陆家嘴西路', 168, '正大广场', -1)
    >>> p = parse_address("浦东南路东园一村113号")
    >>> (p.road, p.compound, p.number)
    ('浦东南路', '东园一村', 113)
    """
    raw = "" if text is None else str(text)
    if text is None:
        normalise(text)  # raises InputError
    s = normalise(raw)
    core, metro_lines = take_metro_lines(s)
    parts = split_parts(core) if core else [""]
    hints: list[str] = []

    def take(m: re.Match) -> str:
        hints.extend(h for h in m.group(1).split(",") if h.strip())
        return " "

    body = _PAREN_RE.sub(take, parts[0])
    if "(" in body:  # an unclosed parenthesis: the rest is a hint
        body, _, tail = body.partition("(")
        hints.append(tail.replace(")", ""))
    body = body.replace(")", " ")
    body, admin = _peel_admin(body.strip())
    near: list[str] = []
    if m := _NEAR_RE.search(body):
        near.append(m.group("road"))
        body = body[: m.start()] + " " + body[m.end():]

    st = _State()
    intersection = None
    m = _INTERSECTION_RE.match(body)
    if m and (m.group("conj") or m.group("key") or not body[m.end():].strip()):
        intersection = Intersection(m.group("a"), m.group("b"), _offset(m))
        body = body[m.end():]
    _scan(body, st, allow_road=intersection is None)
    compound = _compound_of(st)
    hinted = _read_hints(hints, st, intersection, near)
    intersection, branch, extra_poi = hinted.intersection, hinted.branch, hinted.names

    names = [t for t in (_strip_filler(r) for r in st.residual + extra_poi) if t]
    names = [t for t in names if not re.fullmatch(r"[-~号\d]*", t)]
    poi = names[0] if names else None
    return ParsedAddress(
        raw=raw, normalised=s,
        admin=AdminArea(**admin), house=st.house, premises=st.premises,
        **{k: getattr(st, k) for k in _PARTS}, poi=poi,
        intersection=intersection, compound=compound, branch=branch,
        near_roads=tuple(dict.fromkeys(near)), near_places=tuple(dict.fromkeys(hinted.places)),
        metro_lines=metro_lines, alternates=tuple(parts[1:]) + hinted.alternates,
    )


def _compound_of(st: _State) -> str | None:
    """The compound named between the road and the number (浦东南路东园一村113号)."""
    if st.road is None or st.number is None or st.lane is not None or not st.residual_before_number:
        return None
    name = _strip_filler(st.residual_before_number)
    if looks_like_compound(name) and name in st.residual:
        st.residual.remove(name)
        return name
    return None


@dataclass
class _Hints:
    """What the bracketed hints of an address say, sorted by :func:`_read_hints`."""

    intersection: Intersection | None = None
    branch: str | None = None
    names: list[str] = field(default_factory=list)  # more names of the place itself
    places: list[str] = field(default_factory=list)  # neighbours: 近X, X旁边
    alternates: tuple[str, ...] = ()  # another address of the place: (凤阳路415号)


def _read_hints(hints: list[str], st: _State, intersection: Intersection | None,
                near: list[str]) -> _Hints:
    """Sort bracketed hints into an intersection, cross streets (appended to ``near``),
    a branch, neighbours, other addresses of the place, or more names of the place.

    After a road and number, a junction in brackets only says which end of the
    road the number is at: its other road joins ``near`` and the number stays
    the answer (浦东大道637号(浦东大道与东方路路口)). A neighbour (``近来福士广场``,
    ``老兴隆餐馆旁边``) goes to ``places``: it constrains where the address is and is
    never the address. A road and number of their own (``城都北路440号(凤阳路415号)``)
    are another address of the same place.
    """
    out = _Hints(intersection=intersection)
    numbered = st.road is not None and (st.number is not None or st.lane is not None)
    alternates = []
    for hint in (h.strip() for h in hints):
        if not hint:
            continue
        hm = _INTERSECTION_RE.fullmatch(hint)
        if hm and (hm.group("conj") or hm.group("key")):
            if numbered or out.intersection is not None:
                near.extend(r for r in (hm.group("a"), hm.group("b")) if r != st.road)
            else:
                out.intersection = Intersection(hm.group("a"), hm.group("b"), _offset(hm))
        elif hm := _NEAR_HINT_RE.fullmatch(hint):
            near.append(hm.group("road"))
        elif (b := branch_of(hint)) is not None and out.branch is None:
            out.branch = b
        elif numbered and ROAD_NUMBER.match(hint) and "号" in hint:
            alternates.append(hint)
        elif (place := near_place_of(hint)) is not None:
            out.places.append(place)
        else:
            before = len(st.residual)
            _scan(hint, st, allow_road=False)
            out.names.extend(st.residual[before:])
            del st.residual[before:]
    out.alternates = tuple(alternates)
    return out


_ROAD_NAME_RE = re.compile(_ROAD_CORE)


def with_place_name(p: ParsedAddress, name: str | None) -> ParsedAddress:
    """``p`` with the place's own name (given beside the address), and the road its branch
    is named after (``星巴克(六合路店)``, ``好小囡幼儿园(新昌路)``) as one more hinted cross
    street when it is not the address's own road.

    >>> with_place_name(parse_address("凤阳路399弄16号"), "好小囡幼儿园(新昌路)").near_roads
    ('新昌路',)
    """
    if not name:
        return p
    roads = []
    for hint in _PAREN_RE.findall(normalise(name)):
        road = branch_of(hint) or hint
        if _ROAD_NAME_RE.fullmatch(road) and road_key(road) != road_key(p.road or ""):
            roads.append(road)
    return replace(p, place_name=name, near_roads=tuple(dict.fromkeys((*p.near_roads, *roads))))


_HN_PREFIX = re.compile(r"^(?:NO\.?|门牌|#)")


def parse_house_number(value: str) -> HouseNumber | None:
    """Parse a gazetteer house-number field (``151-171``, ``100号``, ``628弄4-7号``, ``99甲``).

    The field is known to hold a house number, so a dash is a range whenever
    its second end is larger (``151-171``) and every number of a range is
    meant: same-parity ranges on a road (one side of the street), consecutive
    ones inside a lane. Returns ``None`` for anything that is not a plain
    house number (``3F``, ``B2``, free text), so it is never indexed by guess.

    >>> parse_house_number("151-171").numbers[:3]
    (151, 153, 155)
    >>> parse_house_number("628弄4-7号")
    HouseNumber(numbers=(4, 5, 6, 7), lane=628, sublane=None, suffix=None, range=None)
    >>> parse_house_number("3F") is None
    True
    """
    if value is None:
        return None
    s = _HN_PREFIX.sub("", normalise(str(value)))
    if not s or not s[0].isdigit():
        return None
    if not s.endswith("号"):
        s += "号"
    st = _State()
    _scan(s, st, allow_road=False)
    if st.number is None or st.residual or st.floor is not None or st.building or st.room:
        return None
    numbers = st.numbers
    if st.range is not None:
        a, b = st.range
        step = 2 if (a - b) % 2 == 0 and st.lane is None else 1
        if b - a > 200:
            return None
        numbers = tuple(range(a, b + 1, step))
    return HouseNumber(numbers=numbers, lane=st.lane, sublane=st.sublane,
                       suffix=st.suffix)


def without_number(p: ParsedAddress) -> ParsedAddress:
    """``p`` with every house-number field cleared (used to fall back to road level)."""
    return replace(p, house=HouseNumber())
