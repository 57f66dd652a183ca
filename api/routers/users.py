"""Sign-in, users, tokens and the audit log."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Path, Query
from pydantic import BaseModel, Field

from geogrid.errors import AuthenticationError
from geogrid.security import Principal

from ..auth import Allowed, PrincipalDep, make_jwt
from ..deps import NO_STORE, StateDep
from ..geojson import plain
from ..responses import JSONResp
from ..schemas import AuditEntry

__all__ = ["router"]

router = APIRouter(tags=["auth"])


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    role: str
    scope: str | None = None


@router.post("/auth/token", response_model=TokenOut, summary="OAuth2 password sign-in → JWT")
def sign_in(state: StateDep, username: Annotated[str, Form(min_length=1, max_length=64)],
            password: Annotated[str, Form(min_length=1, max_length=200)]):
    principal = state.accounts.repo.authenticate(username, password)
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
    # a district (6), street (9) or grid (12, 15) code, as the store accepts
    scope: str | None = Field(default=None, pattern=r"^(\d{6}|\d{9}|\d{12}|\d{15})$")
    password: str | None = Field(default=None, min_length=8, max_length=200)


class UserCreated(BaseModel):
    id: int
    username: str
    token: str


@router.post("/users", response_model=UserCreated, status_code=201,
             summary="Create a user and issue an API token (shown once)")
def add_user(body: UserCreate, state: StateDep,
             admin: Annotated[Principal, Depends(Allowed("users.manage"))]):
    uid, token = state.accounts.create_user(admin, body.username, body.role, scope=body.scope,
                                            password=body.password)
    return JSONResp(UserCreated(id=uid, username=body.username, token=token).model_dump(),
                    status_code=201, headers=NO_STORE)


class _AccountRow(BaseModel):
    """The start of every listed row about an account: its id, then who it is."""

    id: int
    username: str
    role: str
    scope: str | None = None


class UserPublic(_AccountRow):
    active: bool
    created_at: str | None = None


@router.get("/users", response_model=list[UserPublic], summary="List users")
def users(state: StateDep, _: Annotated[Principal, Depends(Allowed("users.manage"))]):
    return [{k: plain(v) for k, v in u.items()} for u in state.accounts.repo.users()]


class TokenPublic(_AccountRow):
    name: str | None = None
    created_at: str | None = None
    revoked_at: str | None = None


@router.get("/tokens", response_model=list[TokenPublic],
            summary="API tokens (admin: all; others: their own); never the secret")
def tokens(state: StateDep, principal: PrincipalDep,
           username: Annotated[str | None, Query(max_length=64)] = None):
    if principal.user_id is None:
        raise AuthenticationError("查看令牌需要登录。listing tokens needs a signed-in user.",
                                  field="Authorization",
                                  fix="发送 'Authorization: Bearer <token>'。Send 'Authorization: "
                                      "Bearer <token>'.")
    return [{k: plain(v) for k, v in t.items()} for t in state.accounts.tokens(principal, username)]


@router.delete("/tokens/{token_id}", response_model=TokenPublic, summary="Revoke an API token")
def revoke(token_id: Annotated[int, Path(ge=1, le=2**31 - 1)], state: StateDep,
           principal: PrincipalDep):
    if principal.user_id is None:
        raise AuthenticationError("吊销令牌需要登录。revoking a token needs a signed-in user.",
                                  field="Authorization",
                                  fix="发送 'Authorization: Bearer <token>'。Send 'Authorization: "
                                      "Bearer <token>'.")
    return {k: plain(v) for k, v in state.accounts.revoke(principal, token_id).items()}


@router.get("/audit", response_model=list[AuditEntry], summary="Query the audit log")
def audit(state: StateDep, _: Annotated[Principal, Depends(Allowed("audit.read"))],
          entity: Annotated[str | None, Query(max_length=32)] = None,
          entity_id: Annotated[str | None, Query(max_length=64)] = None,
          actor: Annotated[str | None, Query(max_length=100)] = None,
          limit: Annotated[int, Query(ge=1, le=1000)] = 100):
    rows = state.store.audit_log.entries(entity=entity, entity_id=entity_id, actor=actor,
                                         limit=limit)
    return [{k: plain(v) for k, v in r.items()} for r in rows]
