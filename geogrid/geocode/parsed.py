"""What a parsed address holds: value types for its parts, and a flat view of them.

:func:`~geogrid.geocode.address.parse_address` returns a :class:`ParsedAddress`.
Its parts are the value types here, each one concept: the administrative areas
(:class:`AdminArea`), the house number (:class:`HouseNumber`, also what a
gazetteer record's number field parses to), what is inside the site
(:class:`Premises`), an intersection (:class:`Intersection`) and an offset
(:class:`Offset`, also inside an intersection: ``交叉口东50米``). Every field of a part
also reads flat on the address (``parsed.number``, ``parsed.city``) and
:meth:`ParsedAddress.to_dict` is flat, so callers and JSON see one level.

>>> p = ParsedAddress("崂山路638弄1号", "崂山路638弄1号", road="崂山路",
...                   house=HouseNumber((1,), lane=638))
>>> (p.road, p.lane, p.number, p.to_dict()["numbers"])
('崂山路', 638, 1, (1,))
"""

from __future__ import annotations

from dataclasses import asdict, astuple, dataclass, is_dataclass

__all__ = ["FLAT_FIELDS", "AdminArea", "HouseNumber", "Intersection", "Offset",
           "ParsedAddress", "Premises"]


@dataclass(frozen=True)
class Offset:
    """A displacement toward a compass direction (:data:`DIRECTIONS`): ``东50米``.

    ``distance_m`` is ``None`` where only a side or corner is written (``西北角``).
    """

    direction: str
    distance_m: float | None = None


@dataclass(frozen=True)
class Intersection:
    """``road_a`` crossing ``road_b``, and the ``offset`` written after the junction
    (``X路与Y路交叉口东50米``: the intersection plus ``Offset('东', 50.0)``)."""

    road_a: str
    road_b: str
    offset: Offset | None = None

    def to_dict(self) -> dict:
        """The roads and the offset's two fields, flat (the JSON shape of a parsed address)."""
        off = self.offset
        return {"road_a": self.road_a, "road_b": self.road_b,
                "direction": off.direction if off else None,
                "distance_m": off.distance_m if off else None}


@dataclass(frozen=True)
class AdminArea:
    """The administrative areas an address names, from the broadest down:

    ``province`` (省, 自治区, 特别行政区; a municipality is its own province,
    上海市), ``city`` (市, 自治州, 地区, 盟), ``district`` (区, 县, 旗) and
    ``subdistrict`` (街道, 镇, 乡). Each is ``None`` when the text does not name it.
    """

    province: str | None = None
    city: str | None = None
    district: str | None = None
    subdistrict: str | None = None

    def names(self) -> tuple[str, ...]:
        """The areas the text names, broadest first.

        >>> AdminArea(city="上海市", district="浦东新区").names()
        ('上海市', '浦东新区')
        """
        return tuple(name for name in astuple(self) if name)


@dataclass(frozen=True)
class Premises:
    """Where inside a numbered site: ``3号楼2单元502室``, ``A座12层``.

    ``building`` (号楼, 栋, 幢, 座), ``unit`` (单元) and ``room`` (室, 房, 户)
    are strings because they may carry letters (``A座``, ``B201室``); ``floor``
    (层, 楼, F) is an int, basements negative (``B1层`` → ``-1``; mall levels
    ``B2`` → ``-2``, ``L3`` → ``3``). The gazetteer places an address by its
    house number; these say only where to knock.
    """

    building: str | None = None
    unit: str | None = None
    room: str | None = None
    floor: int | None = None


@dataclass(frozen=True)
class HouseNumber:
    """A house number: the number(s), the 弄 and 支弄 they are in, a suffix, a range.

    In a parsed address ``numbers`` holds every number that was written
    (``45、55号`` → ``(45, 55)``) and ``range`` the ends of a range (``17-19号``
    → ``(17, 19)``); a gazetteer record's field (:func:`parse_house_number`)
    lists every number its range covers instead, with ``range`` left ``None``.
    A lane with no number (``崂山路638弄``) has ``numbers=()``.
    """

    numbers: tuple[int, ...] = ()
    lane: int | None = None
    sublane: int | None = None
    suffix: str | None = None
    range: tuple[int, int] | None = None

    @property
    def number(self) -> int | None:
        """The first number written, ``None`` when there is none."""
        return self.numbers[0] if self.numbers else None


class _Part:
    """A read-only attribute of :class:`ParsedAddress` that reads the same-named (or
    ``attr``) attribute of one of its parts: the flat API over grouped fields."""

    def __init__(self, part: str, attr: str | None = None):
        self.part, self.attr = part, attr

    def __set_name__(self, owner, name: str) -> None:
        self.attr = self.attr or name

    def __get__(self, obj, objtype=None):
        return self if obj is None else getattr(getattr(obj, self.part), self.attr)


@dataclass(frozen=True)
class ParsedAddress:
    """The fields of one address. Absent fields are ``None`` (or ``()`` for tuples).

    Its parts are held as value types: the administrative areas as an
    :class:`AdminArea` (``admin``), the house number as a :class:`HouseNumber`
    (``house``) and what is inside the site as :class:`Premises`
    (``premises``). Each of their fields also reads flat: ``province``,
    ``city``, ``district``, ``subdistrict``; ``lane``, ``sublane``, ``number``
    (the first house number), ``numbers`` (every number written, ``45、55号`` →
    ``(45, 55)``), ``number_suffix``, ``number_range`` (``17-19号`` → ``(17,
    19)``); ``building``, ``unit``, ``room``, ``floor``; and :meth:`to_dict` is
    flat. ``poi`` is whatever named place is left once every structured part is
    taken out: a POI, a building or a compound name (崂山五村); the gazetteer
    decides which. ``near_roads`` are the cross streets given as hints
    (``near_road`` is the first); ``near_places`` the neighbours named as hints
    (``近来福士广场``, ``上海长征医院斜对面``): places the address is near, never the
    address itself. ``place_name`` is not parsed from the text: it
    is the name given beside the address (the shop or department that called),
    which picks among the records of a large site.
    """

    raw: str
    normalised: str
    admin: AdminArea = AdminArea()
    road: str | None = None
    house: HouseNumber = HouseNumber()
    premises: Premises = Premises()
    poi: str | None = None
    intersection: Intersection | None = None
    offset: Offset | None = None
    compound: str | None = None
    branch: str | None = None
    near_roads: tuple[str, ...] = ()
    near_places: tuple[str, ...] = ()
    metro_lines: tuple[str, ...] = ()
    alternates: tuple[str, ...] = ()
    place_name: str | None = None

    # the flat names of the fields of the parts
    province, city = _Part("admin"), _Part("admin")
    district, subdistrict = _Part("admin"), _Part("admin")
    lane, sublane, number = _Part("house"), _Part("house"), _Part("house")
    number_suffix, numbers = _Part("house", "suffix"), _Part("house")
    number_range = _Part("house", "range")
    building, unit = _Part("premises"), _Part("premises")
    room, floor = _Part("premises"), _Part("premises")

    @property
    def near_road(self) -> str | None:
        """The first cross street given as a hint (``近东方路``), ``None`` when there is none."""
        return self.near_roads[0] if self.near_roads else None

    @property
    def is_empty(self) -> bool:
        """True when nothing locatable was found (no admin area, road, name or number)."""
        return not (self.admin.names() or any((
            self.road, self.poi, self.intersection, self.number is not None,
            self.lane is not None, self.compound)))

    def to_dict(self) -> dict:
        """Every field by its flat name, in :data:`FLAT_FIELDS` order (the JSON shape)."""
        out = {}
        for name in FLAT_FIELDS:
            value = getattr(self, name)
            out[name] = value.to_dict() if isinstance(value, Intersection) else \
                asdict(value) if is_dataclass(value) else value
        return out


#: the names :meth:`ParsedAddress.to_dict` gives, in order
FLAT_FIELDS = (
    "raw", "normalised", "province", "city", "district", "subdistrict", "road",
    "lane", "sublane", "number", "number_suffix", "numbers", "number_range",
    "building", "unit", "room", "floor", "poi", "near_road", "intersection", "offset",
    "compound", "branch", "near_roads", "near_places", "metro_lines", "alternates", "place_name",
)
