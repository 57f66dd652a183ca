"""Role × scope × object × action, generated from the permission table.

The expected answer is derived independently of :func:`policy.allowed`'s code: from
``PERMISSIONS`` (may the role act at all) and the scope rule written out here (a scope
is a code prefix of the object's code or of an ancestor's; no scope means everywhere).
"""

from __future__ import annotations

import itertools

import pytest

from geogrid.errors import NotFoundError, PermissionDenied
from geogrid.security import PERMISSIONS, Principal, Role
from geogrid.services import policy

STREET, GRID, OTHER_GRID = "310115005", "310115005003", "310115005001"
MG = GRID + "007"
SCOPES = [None, STREET, GRID, "310115006"]
ROLES = [r for r in Role if r is not Role.PUBLIC]


def principals():
    for role, scope in itertools.product(ROLES, SCOPES):
        yield Principal(f"{role.value}-{scope}", role, scope, user_id=1)


def covers(scope: str | None, role: Role, code: str | None, lineage=()) -> bool:
    return role is Role.ADMIN or scope is None or any(
        c is not None and c.startswith(scope) for c in (code, *lineage))


#: a five-level street: grid → derived 居民区/商务区 (code ``grid-NN``) → microgrid → 楼组
COMMUNITY, OTHER_COMMUNITY = GRID + "-01", OTHER_GRID + "-02"
OBJECTS = {
    "incident-in-grid": policy.IncidentRef("INC-1", MG),
    "incident-elsewhere": policy.IncidentRef("INC-2", OTHER_GRID + "001"),
    "incident-in-community": policy.IncidentRef("INC-3", MG, (MG, COMMUNITY, GRID, STREET)),
    "incident-uncoded-elsewhere": policy.IncidentRef(
        "INC-4", None, (None, OTHER_COMMUNITY, OTHER_GRID, STREET)),
    "area-in-grid": policy.AreaRef("mg-1", MG),
    "area-elsewhere": policy.AreaRef("mg-2", OTHER_GRID + "002"),
    "community-in-grid": policy.AreaRef("c-1", COMMUNITY, (GRID, STREET)),
    "community-elsewhere": policy.AreaRef("c-2", OTHER_COMMUNITY, (OTHER_GRID, STREET)),
    "group-in-grid": policy.AreaRef("lz-1", None, (MG, COMMUNITY, GRID, STREET)),
    "group-elsewhere": policy.AreaRef("lz-2", None, (OTHER_GRID + "004", OTHER_COMMUNITY,
                                                     OTHER_GRID, STREET)),
    "street": policy.AreaRef("street", STREET),
}


@pytest.mark.parametrize("who", list(principals()), ids=lambda p: p.username)
@pytest.mark.parametrize("name", list(OBJECTS))
@pytest.mark.parametrize("verb", ["read", "change"])
def test_incidents_and_areas(who, name, verb):
    obj = OBJECTS[name]
    if isinstance(obj, policy.IncidentRef):
        action = "incident.read" if verb == "read" else "incident.handle"
    else:
        action = "plan.read" if verb == "read" else "plan.write"
    in_scope = verb == "read" and isinstance(obj, policy.AreaRef) or \
        covers(who.scope, who.role, obj.code, obj.lineage)
    expected = who.role in PERMISSIONS[action] and in_scope
    assert policy.allowed(who, verb, obj) is expected
    if not expected:
        with pytest.raises(PermissionDenied):
            policy.require(who, verb, obj)


def test_a_grid_scope_covers_its_areas_by_ancestry_and_nothing_of_another_grid():
    planner = Principal("gp", Role.PLANNER, GRID, user_id=3)
    mine = ["area-in-grid", "community-in-grid", "group-in-grid"]
    theirs = ["area-elsewhere", "community-elsewhere", "group-elsewhere", "street"]
    assert [policy.allowed(planner, "change", OBJECTS[n]) for n in mine] == [True] * 3
    assert [policy.allowed(planner, "change", OBJECTS[n]) for n in theirs] == [False] * 4
    dispatcher = Principal("gd", Role.DISPATCHER, GRID, user_id=4)
    assert policy.allowed(dispatcher, "read", OBJECTS["incident-in-community"])
    assert not policy.allowed(dispatcher, "read", OBJECTS["incident-uncoded-elsewhere"])


@pytest.mark.parametrize("who", list(principals()), ids=lambda p: p.username)
@pytest.mark.parametrize("status", ["draft", "active"])
def test_plans(who, status):
    plan = policy.PlanRef(1, STREET, status, created_by="someone")
    read = status != "draft" or who.role in PERMISSIONS["plan.read"]
    assert policy.allowed(who, "read", plan) is read
    activate = who.role in PERMISSIONS["plan.activate"] and covers(who.scope, who.role, STREET)
    assert policy.allowed(who, "activate", plan) is activate
    # a change may come from a planner whose scope lies inside the street (a grid of it)
    overlaps = covers(who.scope, who.role, STREET) or (who.scope or "").startswith(STREET)
    assert policy.allowed(who, "change", plan) is (who.role in PERMISSIONS["plan.write"]
                                                   and overlaps)
    assert policy.allowed(who, "delete", plan) is (who.role in PERMISSIONS["plan.write"]
                                                   and covers(who.scope, who.role, STREET))


def test_a_draft_is_not_found_for_the_public_and_a_planner_may_delete_their_own():
    public = Principal("anonymous", Role.PUBLIC)
    with pytest.raises(NotFoundError):
        policy.require(public, "read", policy.PlanRef(1, STREET, "draft"))
    mine = Principal("p", Role.PLANNER, "310115006", user_id=2)
    assert policy.allowed(mine, "delete", policy.PlanRef(1, STREET, "draft", created_by="p"))


@pytest.mark.parametrize("who", list(principals()), ids=lambda p: p.username)
def test_responders_and_tokens(who):
    own = policy.ResponderRef(1, who.username, MG)
    other = policy.ResponderRef(2, "someone-else", MG)
    if who.role is Role.RESPONDER:
        assert policy.allowed(who, "change", own) and not policy.allowed(who, "change", other)
    else:
        expected = who.role in PERMISSIONS["incident.dispatch"] and covers(who.scope, who.role, MG)
        assert policy.allowed(who, "change", other) is expected
    assert policy.allowed(who, "read", policy.TokenRef(5, who.username))
    assert policy.allowed(who, "change", policy.TokenRef(6, "someone-else")) is (
        who.role is Role.ADMIN)
