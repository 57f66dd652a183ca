"""Who is calling: API tokens (hashed in the store) or short-lived JWTs from /auth/token.

``Authorization: Bearer ggt_…`` is an API token; any other bearer value is a
JWT signed with ``GEOGRID_JWT_SECRET``. No header means the public role.
``Allowed("action")`` is a dependency that checks the role; handlers check
the scope against what they touch.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from fastapi import Depends, Request

from geogrid.errors import AuthenticationError
from geogrid.security import PUBLIC, Principal, Role
from geogrid.store.users import principal_for_token, principal_for_user

from .deps import StateDep

__all__ = ["current_principal", "Allowed", "PrincipalDep", "make_jwt"]

_ALG = "HS256"


def _secret(state) -> str:
    secret = state.settings.jwt_secret
    if secret is not None:
        return secret.get_secret_value()
    if not hasattr(state, "_ephemeral_secret"):
        # no secret configured: tokens live as long as this process
        state._ephemeral_secret = secrets.token_urlsafe(32)
    return state._ephemeral_secret


def make_jwt(state, principal: Principal) -> tuple[str, int]:
    ttl = state.settings.jwt_ttl_minutes * 60
    now = datetime.now(UTC)
    payload = {"sub": principal.username, "role": principal.role.value, "scope": principal.scope,
               "iat": now, "exp": now + timedelta(seconds=ttl)}
    return jwt.encode(payload, _secret(state), algorithm=_ALG), ttl


TOKEN_CACHE_S = 5.0  # a revoked token stops working within this many seconds


def _cached_token(state, token: str) -> Principal | None:
    """Token → principal, remembered for a few seconds so hot paths skip the database."""
    import time

    cache = state.__dict__.setdefault("_token_cache", {})
    hit = cache.get(token)
    now = time.monotonic()
    if hit is not None and hit[1] > now:
        return hit[0]
    principal = principal_for_token(state.store, token)
    if len(cache) > 10_000:
        cache.clear()
    if principal is not None:
        cache[token] = (principal, now + TOKEN_CACHE_S)
    return principal


def current_principal(request: Request, state: StateDep) -> Principal:
    header = request.headers.get("authorization")
    if not header:
        return PUBLIC
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value:
        raise AuthenticationError("Authorization header is not 'Bearer <token>'.",
                                  field="Authorization", fix="Send 'Authorization: Bearer <token>'.")
    value = value.strip()
    if value.startswith("ggt_"):
        principal = _cached_token(state, value)
        if principal is None:
            raise AuthenticationError("API token is unknown or revoked.", field="Authorization",
                                      fix="Ask an admin for a new token.")
        return principal
    try:
        claims = jwt.decode(value, _secret(state), algorithms=[_ALG])
    except jwt.ExpiredSignatureError:
        raise AuthenticationError("session token expired.", field="Authorization",
                                  fix="Sign in again (POST /auth/token).") from None
    except jwt.PyJWTError:
        raise AuthenticationError("session token is invalid.", field="Authorization",
                                  fix="Sign in again (POST /auth/token).") from None
    principal = principal_for_user(state.store, claims.get("sub", ""))
    if principal is None:
        raise AuthenticationError("user is unknown or disabled.", field="Authorization",
                                  fix="Ask an admin.")
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


class Allowed:
    """Dependency: the caller, if their role may perform ``action`` (401/403 otherwise)."""

    def __init__(self, action: str):
        self.action = action

    def __call__(self, principal: PrincipalDep) -> Principal:
        return principal.require(self.action)


def staff(principal: Principal) -> bool:
    return principal.role is not Role.PUBLIC
