"""Who may read or change which object: one policy for every service.

The role table (:data:`geogrid.security.PERMISSIONS`) says what a role may do
at all; this module decides it for one object. A *scope* is a code prefix
(street 9 digits, grid 12, microgrid 15); no scope means everywhere. An area or
incident is in scope when its own code or the code of one of its ancestors is
(its *lineage*, the area chain): a grid's scope covers its 居民区/商务区, their
microgrids and 楼组 by ancestry, whatever their own codes look like, and nothing
under another grid.

=============  ==========================================  ============================================
object         read                                        change
=============  ==========================================  ============================================
plan           staff; others only non-drafts               ``plan.write`` and the plan's street overlaps
                                                           the scope (street in scope, or scope in street)
plan (whole)   —                                           activate: the street is inside the scope;
                                                           delete: that, or the caller made the draft
edit / area    ``plan.read``                               ``plan.write`` and the area's code in scope
incident       ``incident.read`` and its code in scope     the action's permission and its code in scope
responder      ``incident.read``; phone and position only  dispatcher/admin: team in scope; a responder:
               when the team is in scope                   only their own row (same name as the user)
token          admin: all; a user: their own               the same
=============  ==========================================  ============================================

:func:`allowed` answers yes or no; :func:`require` raises the error the API
answers with (403, or 404 where even the object's existence is private).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .._errors import NotFoundError, PermissionDenied
from ..security import Principal, Role

__all__ = ["PlanRef", "AreaRef", "IncidentRef", "ResponderRef", "TokenRef", "allowed",
           "require", "can_read_plan", "incident_code", "Verb"]

Verb = Literal["read", "change", "activate", "delete"]


@dataclass(frozen=True)
class PlanRef:
    id: int
    street_code: str
    status: str
    created_by: str | None = None

    @classmethod
    def of(cls, row: dict) -> PlanRef:
        return cls(int(row["id"]), str(row["street_code"]), str(row["status"]),
                   row.get("created_by"))


@dataclass(frozen=True)
class AreaRef:
    """An area of a plan (what an edit touches), by its code and its ancestors' codes."""
    uid: str
    code: str | None
    lineage: tuple[str | None, ...] = ()


@dataclass(frozen=True)
class IncidentRef:
    uid: str
    code: str | None
    lineage: tuple[str | None, ...] = ()

    @classmethod
    def of(cls, row: dict) -> IncidentRef:
        chain = row.get("area_chain") or {}
        lineage = tuple((chain.get(level) or {}).get("code") for level in _CHAIN)
        return cls(str(row["uid"]), incident_code(row), lineage)


@dataclass(frozen=True)
class ResponderRef:
    id: int
    name: str
    area_code: str | None

    @classmethod
    def of(cls, row: dict) -> ResponderRef:
        return cls(int(row["id"]), str(row["name"]), row.get("area_code"))


@dataclass(frozen=True)
class TokenRef:
    id: int
    owner: str


Obj = PlanRef | AreaRef | IncidentRef | ResponderRef | TokenRef


#: the levels of an incident's area chain, most specific first
_CHAIN = ("microgrid", "community", "grid", "street")


def incident_code(row: dict) -> str | None:
    """The most specific area code an incident was filed in."""
    chain = row.get("area_chain") or {}
    for level in _CHAIN:
        code = (chain.get(level) or {}).get("code")
        if code:
            return code
    return None


def _in_scope(principal: Principal, code: str | None, lineage: tuple = ()) -> bool:
    """The area (``code``) or one of its ancestors (``lineage``) lies in the scope."""
    return any(principal.in_scope(c) for c in (code, *lineage) if c is not None) \
        or principal.in_scope(None)


def _overlaps(principal: Principal, code: str | None) -> bool:
    """The scope covers part of ``code``'s area: code in scope, or scope inside code."""
    if principal.in_scope(code):
        return True
    return code is not None and principal.scope is not None and principal.scope.startswith(code)


def can_read_plan(principal: Principal, plan: dict) -> bool:
    return allowed(principal, "read", PlanRef.of(plan))


def allowed(principal: Principal, verb: Verb, obj: Obj) -> bool:
    """May ``principal`` ``verb`` ``obj``? The one place object-level scope is decided."""
    admin = principal.role is Role.ADMIN
    if isinstance(obj, PlanRef):
        if verb == "read":
            return obj.status != "draft" or principal.can("plan.read")
        if verb == "activate":
            return principal.can("plan.activate") and principal.in_scope(obj.street_code)
        if verb == "delete":
            return principal.can("plan.write") and (
                principal.in_scope(obj.street_code) or obj.created_by == principal.username)
        return principal.can("plan.write") and _overlaps(principal, obj.street_code)
    if isinstance(obj, AreaRef):
        if verb == "read":
            return principal.can("plan.read")
        return principal.can("plan.write") and _in_scope(principal, obj.code, obj.lineage)
    if isinstance(obj, IncidentRef):
        need = "incident.read" if verb == "read" else "incident.handle"
        return principal.can(need) and _in_scope(principal, obj.code, obj.lineage)
    if isinstance(obj, ResponderRef):
        if principal.role is Role.RESPONDER:
            return verb == "read" or obj.name == principal.username
        if verb == "read":
            return principal.can("incident.read") and principal.in_scope(obj.area_code)
        return principal.can("incident.dispatch") and principal.in_scope(obj.area_code)
    if isinstance(obj, TokenRef):
        return admin or (principal.user_id is not None and obj.owner == principal.username)
    raise TypeError(f"no policy for {type(obj).__name__}")


def require(principal: Principal, verb: Verb, obj: Obj) -> None:
    """Raise unless :func:`allowed`: 404 for drafts and tokens one may not read, else 403."""
    if allowed(principal, verb, obj):
        return
    what = type(obj).__name__.removesuffix("Ref").lower()
    ident = getattr(obj, "id", None) or getattr(obj, "uid", None)
    if (isinstance(obj, PlanRef) and verb == "read") or isinstance(obj, TokenRef):
        raise NotFoundError(f"{what} {ident} 不存在。{what} {ident} does not exist.",
                            field=what, value=ident,
                            fix="检查编号, 或登录有权限的账号。Check the id, or sign in as a user "
                                "who may see it.")
    raise PermissionDenied(
        f"{principal.username} 的范围是 {principal.scope or '全部'}, 不能{_VERB_ZH[verb]} {what} "
        f"{ident}。{principal.username} (role {principal.role.value}, scope "
        f"{principal.scope or 'all'}) may not {verb} {what} {ident}.",
        field="scope", value=getattr(obj, "code", None) or getattr(obj, "street_code", None)
        or getattr(obj, "area_code", None),
        fix="请管理员扩大范围或换有权限的账号。Ask an admin for a wider scope or another role.")


_VERB_ZH = {"read": "查看", "change": "修改", "activate": "启用", "delete": "删除"}
