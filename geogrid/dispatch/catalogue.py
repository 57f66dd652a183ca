"""The incident category catalogue (事项清单): time limits, handlers, Open311 codes.

Each :class:`Category` says how long handling may take (a
:class:`~geogrid.dispatch.calendar.TimeLimit`), who handles it by default (a
role in the microgrid team, or a department when the job needs a
department's legal powers — "网格出题、部门答题"), which department a
microgrid raises its hand to (举手), its Open311 ``service_code`` and whether
it is one of the three classes leaders must attend in person (三必到:
突发事件, 矛盾纠纷, 重大活动).

The catalogue is configuration: :meth:`Catalogue.default` reads the TOML
shipped with the package and :meth:`Catalogue.load` reads your own TOML or
JSON file with the same shape. Loading validates every entry and reports all
problems at once.

Example
-------
>>> cat = Catalogue.default()
>>> c = cat.get("违建")          # by name, alias, code or service code
>>> c.code, str(c.time_limit), c.handler, c.handler_kind
('illegal_construction', '15 working_days', '城管执法', 'department')
"""

from __future__ import annotations

import difflib
import json
import tomllib
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any, Iterator, Mapping

from .._errors import InputError, NotFoundError, ValidationError, ValidationProblem
from .calendar import TimeLimit

__all__ = [
    "TEAM_ROLES",
    "MustAttend",
    "Category",
    "Catalogue",
]

#: Roles in a microgrid team, from lead to part-time member.
TEAM_ROLES = ("网格长", "专职网格员", "兼职网格员")
#: how the 指挥 step is taken: by the dispatch rules at intake, or by a dispatcher
COMMAND_MODES = ("auto", "manual")


class MustAttend(str, Enum):
    """The three classes leaders must attend in person (三必到)."""

    EMERGENCY = "emergency"      # 突发事件
    DISPUTE = "dispute"          # 矛盾纠纷
    MAJOR_EVENT = "major_event"  # 重大活动

    @property
    def zh(self) -> str:
        return {"emergency": "突发事件", "dispute": "矛盾纠纷", "major_event": "重大活动"}[self.value]


_MUST_ATTEND_ALIASES = {m.zh: m for m in MustAttend} | {m.value: m for m in MustAttend}


@dataclass(frozen=True)
class Category:
    """One kind of incident and how it is handled."""

    code: str
    name: str
    time_limit: TimeLimit
    handler: str
    service_code: str
    aliases: tuple[str, ...] = ()
    escalate_to: str | None = None
    must_attend: MustAttend | None = None
    group: str = ""
    frequency: float = 1.0
    description: str = ""
    #: 指挥 (the dispatch step): ``"auto"`` — the rules dispatch at intake; ``"manual"`` — the
    #: incident waits, accepted, in the console's 待指挥 queue for a dispatcher
    command: str = "auto"
    team_roles: tuple[str, ...] = field(default=TEAM_ROLES, repr=False, compare=False)

    @property
    def handler_kind(self) -> str:
        """``"team"`` when a microgrid team role handles it, else ``"department"``."""
        return "team" if self.handler in self.team_roles else "department"

    @property
    def needs_department(self) -> bool:
        return self.handler_kind == "department"

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "aliases": list(self.aliases),
                "limit": self.time_limit.to_dict(), "handler": self.handler,
                "handler_kind": self.handler_kind, "escalate_to": self.escalate_to,
                "service_code": self.service_code,
                "must_attend": self.must_attend.value if self.must_attend else None,
                "group": self.group, "frequency": self.frequency, "description": self.description,
                "command": self.command}

    def to_open311(self) -> dict[str, Any]:
        """This category as an Open311 GeoReport v2 service definition."""
        desc = self.description or f"{self.name}（处置时限 {self.time_limit.zh}）"
        return {"service_code": self.service_code, "service_name": self.name, "description": desc,
                "metadata": False, "type": "realtime", "keywords": ",".join((self.code, *self.aliases)),
                "group": self.group}


@dataclass(frozen=True)
class Catalogue:
    """A validated set of categories with lookup by code, name, alias or service code."""

    categories: tuple[Category, ...]
    departments: tuple[str, ...] = ()
    team_roles: tuple[str, ...] = TEAM_ROLES
    version: str = ""
    _index: dict[str, Category] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        index: dict[str, Category] = {}
        for c in self.categories:
            for key in (c.code, c.name, c.service_code, *c.aliases):
                index.setdefault(_norm(key), c)
        object.__setattr__(self, "_index", index)

    # ---- lookup
    def get(self, key: str | Category) -> Category:
        """The category with this code, name, alias or service code; raise NotFoundError otherwise."""
        if isinstance(key, Category):
            return key
        c = self._index.get(_norm(key))
        if c is None:
            close = difflib.get_close_matches(_norm(key), list(self._index), n=3, cutoff=0.5)
            names = ", ".join(repr(k) for k in close)
            hint_zh = f" 是否要找 {names}?" if close else ""
            hint = f" Did you mean {names}?" if close else ""
            raise NotFoundError(f"类别 {key!r} 不在事件目录中。{hint_zh}category {key!r} is not in "
                                f"the catalogue.{hint}", field="category", value=key,
                                fix="用目录中的代码、名称、别名或 service_code (GET /categories)。Use a "
                                    "code, name, alias or service_code from the catalogue.")
        return c

    def find(self, key: str) -> Category | None:
        """Like :meth:`get` but ``None`` when missing."""
        return self._index.get(_norm(key))

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and _norm(key) in self._index

    def __iter__(self) -> Iterator[Category]:
        return iter(self.categories)

    def __len__(self) -> int:
        return len(self.categories)

    def is_department(self, name: str) -> bool:
        return name in self.departments

    def services(self) -> list[dict[str, Any]]:
        """Open311 GeoReport v2 ``services`` list."""
        return [c.to_open311() for c in self.categories]

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "team_roles": list(self.team_roles),
                "departments": list(self.departments),
                "category": [c.to_dict() for c in self.categories]}

    # ---- construction
    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Catalogue:
        """Build and validate a catalogue from the structure of the shipped TOML file."""
        roles = tuple(data.get("team_roles", TEAM_ROLES))
        depts = tuple(data.get("departments", ()))
        raw = data.get("category", data.get("categories", []))
        problems: list[ValidationProblem] = []
        cats: list[Category] = []
        seen: dict[str, Any] = {}
        for i, entry in enumerate(raw):
            where = entry.get("code", i) if isinstance(entry, Mapping) else i
            if not isinstance(entry, Mapping):
                problems.append(ValidationProblem(i, "category", "entry is not a table"))
                continue
            for key in ("code", "name", "limit", "handler", "service_code"):
                if not entry.get(key):
                    problems.append(ValidationProblem(where, key, f"missing {key}"))
            try:
                limit = TimeLimit.parse(entry.get("limit", ""))
            except InputError as exc:
                problems.append(ValidationProblem(where, "limit", exc.message, entry.get("limit")))
                limit = None
            handler = entry.get("handler")
            if handler and handler not in roles and handler not in depts:
                problems.append(ValidationProblem(where, "handler", "not a team role or a listed department",
                                                  handler))
            esc = entry.get("escalate_to") or None
            if esc and esc not in depts:
                problems.append(ValidationProblem(where, "escalate_to", "not a listed department", esc))
            ma = entry.get("must_attend") or None
            must = None
            if ma is not None:
                must = _MUST_ATTEND_ALIASES.get(str(ma))
                if must is None:
                    problems.append(ValidationProblem(where, "must_attend",
                                                      "must be emergency, dispute or major_event", ma))
            freq = entry.get("frequency", 1.0)
            if not isinstance(freq, int | float) or isinstance(freq, bool) or freq < 0:
                problems.append(ValidationProblem(where, "frequency", "must be a number >= 0", freq))
                freq = 0.0
            command = str(entry.get("command", "auto"))
            if command not in COMMAND_MODES:
                problems.append(ValidationProblem(where, "command", "must be auto or manual",
                                                  command))
            aliases = tuple(entry.get("aliases", ()))
            for key in (entry.get("code"), entry.get("name"), entry.get("service_code"), *aliases):
                if not key:
                    continue
                k = _norm(str(key))
                if k in seen and seen[k][0] != i:
                    problems.append(ValidationProblem(where, "code", f"{key!r} is also used by entry "
                                                                     f"{seen[k][0]} ({seen[k][1]!r})", key))
                seen.setdefault(k, (i, where))
            if limit is not None and all(entry.get(k) for k in ("code", "name", "handler", "service_code")):
                cats.append(Category(
                    code=str(entry["code"]), name=str(entry["name"]), time_limit=limit,
                    handler=str(handler), service_code=str(entry["service_code"]), aliases=aliases,
                    escalate_to=esc, must_attend=must, group=str(entry.get("group", "")),
                    frequency=float(freq), description=str(entry.get("description", "")),
                    command=command if command in COMMAND_MODES else "auto", team_roles=roles))
        if not raw:
            problems.append(ValidationProblem("category", "category", "the catalogue has no categories"))
        if problems:
            raise ValidationError("invalid category catalogue", problems,
                                  fix="Correct the listed entries in the catalogue file.")
        return cls(tuple(cats), depts, roles, str(data.get("version", "")))

    @classmethod
    def load(cls, path: str | PathLike) -> Catalogue:
        """Read a catalogue from a ``.toml`` or ``.json`` file."""
        p = Path(path)
        text = p.read_text(encoding="utf-8")
        try:
            data = json.loads(text) if p.suffix.lower() == ".json" else tomllib.loads(text)
        except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
            raise InputError(f"{p.name} is not valid {p.suffix.lstrip('.').upper() or 'TOML'}: {exc}.",
                             field="path", value=p.name, fix="Check the file's syntax.") from None
        return cls.from_dict(data)

    @classmethod
    def default(cls) -> Catalogue:
        """The catalogue shipped with geogrid (``geogrid/dispatch/data/catalogue.toml``)."""
        return _default_catalogue()


@lru_cache(maxsize=1)
def _default_catalogue() -> Catalogue:
    text = resources.files("geogrid.dispatch").joinpath("data/catalogue.toml").read_text("utf-8")
    return Catalogue.from_dict(tomllib.loads(text))


def _norm(key: str) -> str:
    return str(key).strip().lower()
