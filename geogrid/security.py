"""Roles, scopes and permissions; token and password hashing.

Roles
    ``admin``       everything
    ``planner``     redraws plans, limited to a scope (a street or grid code)
    ``dispatcher``  takes in, dispatches and closes incidents
    ``responder``   handles incidents dispatched to them, updates own position
    ``public``      reads the public layers only (anonymous requests)

A *scope* is a code prefix: a planner scoped to grid ``310115005003`` may
edit areas whose code starts with it, and nothing else; no scope means the
whole installation. API tokens are random 256-bit strings, stored as their
SHA-256 (a fast hash is right for high-entropy secrets); passwords are
stored with scrypt (RFC 7914) and a per-user salt.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import Enum

from ._errors import AuthenticationError, InputError, PermissionDenied

__all__ = ["Role", "Principal", "PUBLIC", "PERMISSIONS", "new_token", "hash_token",
           "hash_password", "verify_password", "parse_role"]


class Role(str, Enum):
    ADMIN = "admin"
    PLANNER = "planner"
    DISPATCHER = "dispatcher"
    RESPONDER = "responder"
    PUBLIC = "public"


def parse_role(value: str) -> Role:
    try:
        return Role(str(value).lower())
    except ValueError:
        raise InputError(f"role {value!r} is not known.", field="role", value=value,
                         fix="Use admin, planner, dispatcher, responder or public.") from None


_ALL = frozenset(Role)
_STAFF = frozenset({Role.ADMIN, Role.PLANNER, Role.DISPATCHER, Role.RESPONDER})

#: action → roles allowed to perform it (the scope check comes on top)
PERMISSIONS: dict[str, frozenset[Role]] = {
    "public.read": _ALL,
    "plan.read": _STAFF,
    "plan.write": frozenset({Role.ADMIN, Role.PLANNER}),
    "plan.activate": frozenset({Role.ADMIN, Role.PLANNER}),
    "objects.write": frozenset({Role.ADMIN, Role.PLANNER}),
    "locate": _ALL,
    "geocode": _STAFF,
    "incident.create": frozenset({Role.ADMIN, Role.DISPATCHER, Role.RESPONDER}),
    "incident.read": _STAFF,
    "incident.personal": frozenset({Role.ADMIN, Role.DISPATCHER}),
    "incident.dispatch": frozenset({Role.ADMIN, Role.DISPATCHER}),
    "incident.handle": frozenset({Role.ADMIN, Role.DISPATCHER, Role.RESPONDER}),
    "responder.write": frozenset({Role.ADMIN, Role.DISPATCHER, Role.RESPONDER}),
    "metrics.read": _STAFF,
    "users.manage": frozenset({Role.ADMIN}),
    "audit.read": frozenset({Role.ADMIN}),
}


@dataclass(frozen=True)
class Principal:
    username: str
    role: Role
    scope: str | None = None
    user_id: int | None = None

    @property
    def is_public(self) -> bool:
        return self.role is Role.PUBLIC

    def can(self, action: str) -> bool:
        return self.role in PERMISSIONS.get(action, frozenset())

    def require(self, action: str) -> Principal:
        if action not in PERMISSIONS:
            raise KeyError(action)
        if self.can(action):
            return self
        if self.user_id is None:  # anonymous
            raise AuthenticationError(
                f"{action} needs a signed-in user.", field="Authorization",
                fix="Send 'Authorization: Bearer <token>' (POST /auth/token or an API token).")
        raise PermissionDenied(
            f"role {self.role.value} may not {action}.", field="role", value=self.role.value,
            fix=f"Ask an admin for one of: {', '.join(sorted(r.value for r in PERMISSIONS[action]))}.")

    def in_scope(self, code: str | None) -> bool:
        if self.role is Role.ADMIN or self.scope is None:
            return True
        return code is not None and str(code).startswith(self.scope)

    def require_scope(self, code: str | None, what: str = "area") -> Principal:
        if not self.in_scope(code):
            raise PermissionDenied(
                f"{self.username} is scoped to {self.scope} and may not change {what} {code}.",
                field="scope", value=code, fix="Ask an admin for a wider scope.")
        return self


PUBLIC = Principal("anonymous", Role.PUBLIC)


def new_token() -> str:
    """A new API token (shown once; only its hash is stored)."""
    return "ggt_" + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    if len(password) < 8:
        raise InputError("password is shorter than 8 characters.", field="password",
                         fix="Use at least 8 characters.")
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str | None) -> bool:
    if not stored or not stored.startswith("scrypt$"):
        return False
    _, salt, digest = stored.split("$")
    test = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=2**14, r=8, p=1,
                          dklen=32)
    return hmac.compare_digest(test.hex(), digest)
