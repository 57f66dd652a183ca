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
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from ._errors import AuthenticationError, InputError, PermissionDenied

__all__ = ["Role", "Principal", "PUBLIC", "PERMISSIONS", "new_token", "hash_token",
           "hash_password", "verify_password", "parse_role", "SignInThrottle"]


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
        raise InputError(f"角色 {value!r} 不存在。role {value!r} is not known.", field="role",
                         value=value, fix="用 admin (管理员)、planner (规划员)、dispatcher (调度员)、"
                         "responder (网格员) 或 public (公众)。Use admin, planner, dispatcher, "
                         "responder or public.") from None


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
    # subscribers receive incident events: granted on its own, not with user management
    "webhooks.manage": frozenset({Role.ADMIN}),
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
                f"{action} 需要先登录。{action} needs a signed-in user.", field="Authorization",
                fix="请带上 'Authorization: Bearer <令牌>' (POST /auth/token 或 API 令牌)。Send "
                    "'Authorization: Bearer <token>' (POST /auth/token or an API token).")
        allowed = ", ".join(sorted(r.value for r in PERMISSIONS[action]))
        raise PermissionDenied(
            f"角色 {self.role.value} 无权执行 {action}。role {self.role.value} may not {action}.",
            field="role", value=self.role.value,
            fix=f"请管理员授予以下角色之一 ask an admin for one of: {allowed}.")

    def in_scope(self, code: str | None) -> bool:
        if self.role is Role.ADMIN or self.scope is None:
            return True
        return code is not None and str(code).startswith(self.scope)

    def require_scope(self, code: str | None, what: str = "area") -> Principal:
        if not self.in_scope(code):
            raise PermissionDenied(
                f"{self.username} 的范围是 {self.scope}, 不能修改 {what} {code}。{self.username} is "
                f"scoped to {self.scope} and may not change {what} {code}.",
                field="scope", value=code, fix="请管理员扩大范围。Ask an admin for a wider scope.")
        return self


PUBLIC = Principal("anonymous", Role.PUBLIC)


def new_token() -> str:
    """A new API token (shown once; only its hash is stored)."""
    return "ggt_" + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
#: verified against when the user is unknown or has no password, so that path
#: does the same scrypt work as a wrong password for a real user
_DUMMY_HASH = "scrypt$" + "00" * 16 + "$" + "00" * 32


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    if len(password) < 8:
        raise InputError("密码少于 8 个字符。password is shorter than 8 characters.",
                         field="password", fix="至少 8 个字符。Use at least 8 characters.")
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str | None) -> bool:
    """True if ``password`` matches ``stored``; constant time, and the same work when
    ``stored`` is missing (unknown user): then a dummy hash is checked and False returned."""
    known = bool(stored) and stored.startswith("scrypt$") and stored.count("$") == 2
    _, salt, digest = (stored if known else _DUMMY_HASH).split("$")
    test = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), **_SCRYPT)
    return hmac.compare_digest(test.hex(), digest) and known


class SignInThrottle:
    """Failed sign-ins counted per user name and per client address, with a lockout.

    ``max_failures`` failures for one user name (or ``max_per_address`` from one
    address) within ``window_s`` seconds lock that name (or address) for
    ``lockout_s`` seconds. A success clears the user name's count, not the
    address's. State lives in this process: with several workers each keeps its
    own count, so the effective allowance is at most workers × the limit.

    >>> t = SignInThrottle(max_failures=2, max_per_address=10, window_s=60, lockout_s=60,
    ...                    clock=lambda: 0.0)
    >>> t.failed("amy", "10.0.0.1"); t.failed("amy", "10.0.0.1")
    >>> t.locked_for("amy", "10.0.0.2") > 0, t.locked_for("bob", "10.0.0.1") > 0
    (True, False)
    """

    _MAX_KEYS = 100_000

    def __init__(self, *, max_failures: int = 5, max_per_address: int = 20,
                 window_s: float = 900.0, lockout_s: float = 900.0,
                 clock: Callable[[], float] = time.monotonic):
        self.limits = {"user": max_failures, "addr": max_per_address}
        self.window_s = window_s
        self.lockout_s = lockout_s
        self.clock = clock
        self._fails: dict[tuple[str, str], deque] = {}
        self._until: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def _keys(self, username: str | None, address: str | None) -> list[tuple[str, str]]:
        keys = [("user", username)] if username else []
        return keys + ([("addr", address)] if address else [])

    def locked_for(self, username: str | None, address: str | None) -> float:
        """Seconds until this user name and address may try again (0: now)."""
        now = self.clock()
        with self._lock:
            return max([self._until.get(k, now) - now for k in self._keys(username, address)]
                       + [0.0])

    def failed(self, username: str | None, address: str | None) -> None:
        now = self.clock()
        with self._lock:
            if len(self._fails) > self._MAX_KEYS:
                self._fails.clear()
            for key in self._keys(username, address):
                times = self._fails.setdefault(key, deque())
                times.append(now)
                while times and times[0] <= now - self.window_s:
                    times.popleft()
                if len(times) >= self.limits[key[0]]:
                    self._until[key] = now + self.lockout_s
                    times.clear()

    def succeeded(self, username: str | None, address: str | None) -> None:
        with self._lock:
            self._fails.pop(("user", username), None)
            self._until.pop(("user", username), None)
