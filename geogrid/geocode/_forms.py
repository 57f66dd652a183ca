"""Address forms that wrap an address rather than belong to it.

Private helpers of :func:`geogrid.geocode.address.parse_address`, each for
one way real addresses are written around the road-and-number core:

* several addresses in one field, joined with ``;`` / ``,`` / ``、``
  (``南京东路800号;西藏中路268号``): :func:`split_parts` keeps a piece as a
  separate address only when it has its own road and number, so
  ``金陵大厦1号楼3层、2号楼1010室`` stays one address;
* metro line lists (``1号线;2号线;8号线``, ``(在建)14号线``): a station
  field, not a place; :func:`take_metro_lines` removes them so ``14号线``
  is never read as house number 14;
* branch names in brackets (``星巴克(张杨路店)``): :func:`branch_of`;
* a neighbour named as a hint (``近来福士广场``, ``上海长征医院斜对面``,
  ``老兴隆餐馆旁边``): :func:`near_place_of`; it says where the address is
  near, not what the address is;
* compound names written between the road and the number
  (``浦东南路东园一村113号``): :func:`looks_like_compound`.

Every helper works on normalised text (see :func:`~geogrid.geocode.address.normalise`).
"""

from __future__ import annotations

import re

__all__ = ["COMPOUND_SUFFIXES", "NEAR_WORDS", "RELATION_WORDS", "ROAD_NUMBER", "branch_of",
           "looks_like_compound", "name_aliases", "near_place_of", "split_parts",
           "take_metro_lines"]

#: endings of residential compound names (小区) in Shanghai addresses
COMPOUND_SUFFIXES = ("新村", "小区", "花园", "公寓", "村", "苑", "坊", "里", "邨", "园", "城",
                     "家园", "山庄", "大楼")

_METRO_RE = re.compile(r"(?:地铁|轨道交通)?(?P<n>\d{1,2})号线(?:支线)?")
_UNDER_CONSTRUCTION = re.compile(r"\((?:在建|规划|待建|施工中)\)")
#: a road name followed by a number: the start of an address of its own
ROAD_NUMBER = re.compile(r"^[^\d(),、]{1,12}?(?:大道|公路|大街|路|街|巷|弄)\d")
_BRANCH_RE = re.compile(r"^(?P<b>[^()]{1,20}?)(?:分店|旗舰店|店|分院|院区|校区|门店)$")
#: words before a neighbour's name: 近X, 靠近X
NEAR_WORDS = ("靠近", "临近", "邻近", "紧邻", "近")
#: words after a neighbour's name that say where the address stands from it (longest first)
RELATION_WORDS = ("斜对面", "正对面", "对面", "旁边", "隔壁", "附近", "后面", "周边", "一侧",
                  "东侧", "西侧", "南侧", "北侧", "旁", "侧")


def take_metro_lines(text: str) -> tuple[str, tuple[str, ...]]:
    """Remove metro line mentions; return the rest and the lines (``("1号线", "8号线")``).

    >>> take_metro_lines("(在建)14号线,8号线")
    ('', ('14号线', '8号线'))
    """
    lines = tuple(f"{m.group('n')}号线" for m in _METRO_RE.finditer(text))
    if not lines:
        return text, ()
    rest = _METRO_RE.sub(" ", _UNDER_CONSTRUCTION.sub(" ", text))
    rest = re.sub(r"[\s,、]+", " ", rest).strip()
    return rest.replace(" ", ""), lines


def split_parts(text: str) -> list[str]:
    """Split a normalised field holding several addresses; one-address text comes back whole.

    A separator (``,`` or ``、`` outside brackets; ``;`` is normalised to ``,``)
    starts a new address only when the piece after it begins with a road and
    a number of its own.

    >>> split_parts("南京东路800号,西藏中路268号来福士广场")
    ['南京东路800号', '西藏中路268号来福士广场']
    >>> split_parts("金陵西路28号金陵大厦1号楼3层、2号楼1010室")
    ['金陵西路28号金陵大厦1号楼3层、2号楼1010室']
    """
    pieces, depth, buf = [], 0, []
    for ch in text:
        depth += ch == "("
        depth -= ch == ")" and depth > 0
        if ch in ",、" and depth == 0:
            pieces.append("".join(buf))
            buf = []
            pieces.append(ch)
        else:
            buf.append(ch)
    pieces.append("".join(buf))
    out: list[str] = []
    for i in range(0, len(pieces), 2):
        piece = pieces[i].strip()
        if out and not ROAD_NUMBER.match(piece):
            out[-1] += pieces[i - 1] + piece
        elif piece:
            out.append(piece)
    return out or [text]


def branch_of(hint: str) -> str | None:
    """The branch written in a bracket after a POI name: ``张杨路店`` → ``张杨路``.

    >>> branch_of("张杨路店"), branch_of("近东方路")
    ('张杨路', None)
    """
    if hint.startswith(("近", "靠近", "临近")):
        return None
    m = _BRANCH_RE.match(hint)
    return m.group("b") if m else None


def near_place_of(hint: str) -> str | None:
    """The neighbour a hint names (``近来福士广场`` → ``来福士广场``, ``上海长征医院斜对面`` →
    ``上海长征医院``), or ``None`` when the hint names no neighbour. The address is near that
    place, across the road from it or beside it: the place constrains where the address
    is and is never the address itself.

    >>> near_place_of("近来福士广场"), near_place_of("老兴隆餐馆旁边"), near_place_of("六合大厦1F")
    ('来福士广场', '老兴隆餐馆', None)
    """
    name, related = hint.strip(), False
    for w in NEAR_WORDS:
        if name.startswith(w):
            name, related = name[len(w):], True
            break
    for w in RELATION_WORDS:
        if name.endswith(w) and len(name) > len(w):
            name, related = name[: -len(w)], True
            break
    name = name.strip(" -,、:.")
    if not related or len(name) < 2 or any(ch.isdigit() for ch in name):
        return None
    return name


#: bracketed words that say how a place is doing, not what it is called
_STATUS = ("暂停营业", "装修中", "停业", "歇业", "筹建中", "试营业", "在建", "已关闭", "新店")
#: an alias shorter than this is too generic to stand for the place (小剧场, 门诊)
_MIN_ALIAS = 4


def name_aliases(name: str) -> tuple[str, ...]:
    """Other names a place's name holds, the name itself first: the name in brackets and the
    one before it (``海军军医大学第二附属医院(上海长征医院)``), the institution before a
    department (``上海长征医院-门诊处`` → ``上海长征医院``). A branch (``星巴克(六合路店)``: 星巴克
    is a brand, not this place) and a status (``(装修中)``) give none.

    >>> name_aliases("海军军医大学第二附属医院(上海长征医院)")
    ('海军军医大学第二附属医院(上海长征医院)', '上海长征医院', '海军军医大学第二附属医院')
    >>> name_aliases("上海长征医院-门诊处"), name_aliases("星巴克(六合路店)")
    (('上海长征医院-门诊处', '上海长征医院'), ('星巴克(六合路店)',))
    """
    out = [name]
    base, inner = name, []
    for hint in re.findall(r"\(([^()]*)\)", name):
        base = base.replace(f"({hint})", "")
        if hint in _STATUS or any(w in hint for w in _STATUS):
            continue
        if branch_of(hint) is not None:
            return tuple(dict.fromkeys(out))
        inner.append(hint)
    out += inner + [base]
    if "-" in base:
        out.append(base.split("-", 1)[0])
    return tuple(a for a in dict.fromkeys(out) if a == name or len(a) >= _MIN_ALIAS)


def looks_like_compound(name: str | None) -> bool:
    """True for a compound name such as 东园一村, 梅园三街坊 or 仁恒滨江园."""
    return bool(name) and len(name) >= 3 and name.endswith(COMPOUND_SUFFIXES)
