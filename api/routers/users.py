"""Sign-in, users, tokens and the audit log."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Query
from pydantic import BaseModel, Field

from geogrid.errors import AuthenticationError
from geogrid.security import Principal
from geogrid.store.users import authenticate, create_user, issue_token, list_users

from ..auth import Allowed, PrincipalDep, make_jwt
from ..deps import StateDep
from ..geojson import plain

router = APIRouter(tags=["auth"])


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    role: str
    scope: str | None = None


@router.post("/auth/token", response_model=TokenOut, summary="OAuth2 password sign-in → JWT")
def sign_in(state: StateDep, username: Annotated[str, Form(max_length=64)],
            password: Annotated[str, Form(max_length=200)]):
    principal = authenticate(state.store, username, password)
    if principal is None:
        raise AuthenticationError("username or password is wrong.", field="password",
                                  fix="Check both and try again.")
    token, ttl = make_jwt(state, principal)
    return TokenOut(access_token=token, expires_in=ttl, role=principal.role.value,
                    scope=principal.scope)


class Me(BaseModel):
    username: str
    role: str
    scope: str | None = None


@router.get("/auth/me", response_model=Me, summary="Who am I")
def me(principal: PrincipalDep):
    return Me(username=principal.username, role=principal.role.value, scope=principal.scope)


class UserCreate(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    role: Literal["admin", "planner", "dispatcher", "responder", "public"]
    scope: str | None = Field(default=None, pattern=r"^\d{6,15}$")
    password: str | None = Field(default=None, min_length=8, max_length=200)


class UserCreated(BaseModel):
    id: int
    username: str
    token: str


@router.post("/users", response_model=UserCreated, status_code=201,
             summary="Create a user and issue an API token (shown once)")
def add_user(body: UserCreate, state: StateDep,
             admin: Annotated[Principal, Depends(Allowed("users.manage"))]):
    uid = create_user(state.store, body.username, body.role, scope=body.scope,
                      password=body.password, actor=admin.username)
    token = issue_token(state.store, body.username, actor=admin.username)
    return UserCreated(id=uid, username=body.username, token=token)


@router.get("/users", summary="List users")
def users(state: StateDep, _: Annotated[Principal, Depends(Allowed("users.manage"))]):
    return [{k: plain(v) for k, v in u.items()} for u in list_users(state.store)]


@router.get("/audit", summary="Query the audit log")
def audit(state: StateDep, _: Annotated[Principal, Depends(Allowed("audit.read"))],
          entity: Annotated[str | None, Query(max_length=32)] = None,
          entity_id: Annotated[str | None, Query(max_length=64)] = None,
          actor: Annotated[str | None, Query(max_length=100)] = None,
          limit: Annotated[int, Query(ge=1, le=1000)] = 100):
    rows = state.store.audit_entries(entity=entity, entity_id=entity_id, actor=actor, limit=limit)
    return [{k: plain(v) for k, v in r.items()} for r in rows]
