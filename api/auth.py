"""Who is calling: API tokens (hashed in the store) or short-lived JWTs from /auth/token.

``Authorization: Bearer ggt_…`` is an API token; any other bearer value is a
JWT signed with ``GEOGRID_JWT_SECRET``. No header means the public role.
``Allowed("action")`` is a dependency that checks the role; handlers check
the scope against what they touch.
"""

from __future__ import annotations

import logging
import os
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from geogrid.errors import AuthenticationError, StoreUnavailableError
from geogrid.security import PUBLIC, Principal, Role
from geogrid.store.quick import sqlite_file

from .deps import app_state

__all__ = ["current_principal", "Allowed", "PrincipalDep", "make_jwt", "init_jwt_secret",
           "state_file"]

log = logging.getLogger("geogrid.api")

_ALG = "HS256"


def state_file(settings, name: str) -> Path:
    """A file of state shared by the workers of one store: next to a SpatiaLite file
    (``<db>.<name>``), else in the data directory."""
    db = sqlite_file(settings.effective_database_url)   # a plain sqlite:///path, read at start
    if db is not None:
        return db.with_name(f"{db.name}.{name}")
    from sqlalchemy.engine import make_url

    url = make_url(settings.effective_database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        db = Path(url.database)
        return db.with_name(f"{db.name}.{name}")
    return Path(settings.data_dir) / name


def _secret_path(settings) -> Path:
    return state_file(settings, "jwt-secret")


def _shared_secret(path: Path) -> str:
    """Read the key at ``path``, or create it (0600) if no other worker has yet.

    The key is written to a private temporary file and hard-linked into place,
    so a concurrent worker either wins the link or reads the complete key.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, secrets.token_urlsafe(48).encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another worker was first; use its key
        finally:
            tmp.unlink(missing_ok=True)
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)
        log.warning("JWT 密钥文件 %s 权限过宽，已改为 0600 / key file %s was readable by others; "
                    "now 0600", path, path)
    key = path.read_text().strip()
    if len(key) < 32:
        raise StoreUnavailableError(
            f"JWT 密钥文件 {path} 内容过短 / key file {path} holds fewer than 32 characters.",
            field="jwt_secret", value=str(path),
            fix="删除该文件让服务重新生成，或设置 GEOGRID_JWT_SECRET / Delete it to have a new "
                "one made, or set GEOGRID_JWT_SECRET.")
    return key


def _signing_key(settings) -> str:
    secret = settings.jwt_secret
    return secret.get_secret_value() if secret is not None else \
        _shared_secret(_secret_path(settings))


def init_jwt_secret(settings) -> str:
    """Choose the session-token signing key as a worker starts, and say which in the log.

    ``GEOGRID_JWT_SECRET`` when set; otherwise one key generated for the store and
    kept in a 0600 file, so every worker of that store signs with the same key.
    """
    key = _signing_key(settings)
    if settings.jwt_secret is not None:
        log.info("会话令牌使用 GEOGRID_JWT_SECRET 签名 / session tokens signed with "
                 "GEOGRID_JWT_SECRET")
    else:
        path = _secret_path(settings)
        log.warning("未设置 GEOGRID_JWT_SECRET：会话令牌使用 %s 中的共享密钥签名（所有工作进程共用；"
                    "多台主机须设置 GEOGRID_JWT_SECRET） / GEOGRID_JWT_SECRET is not set: session "
                    "tokens are signed with the shared key in %s (one key for every worker of "
                    "this store; set GEOGRID_JWT_SECRET when workers run on several hosts)",
                    path, path)
    return key


def _secret(state) -> str:
    key = getattr(state, "_jwt_secret", None)
    if key is None:  # read once per worker: the file was made (and logged) at start
        key = state._jwt_secret = _signing_key(state.settings)
    return key


def make_jwt(state, principal: Principal) -> tuple[str, int]:
    import jwt

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
    from geogrid.store.users import principal_for_token

    principal = principal_for_token(state.store, token)
    if len(cache) > 10_000:
        cache.clear()
    if principal is not None:
        cache[token] = (principal, now + TOKEN_CACHE_S)
    return principal


async def current_principal(request: Request) -> Principal:
    """The caller: the public role without an ``Authorization`` header, answered on the
    event loop with no thread hop and no sub-dependency (the public hot paths such as
    ``/locate`` take this one), else the token's principal, looked up in a worker thread
    (it may read the store)."""
    header = request.headers.get("authorization")
    if not header:
        return PUBLIC
    return await run_in_threadpool(_principal_for_header, app_state(request), header)


def _principal_for_header(state, header: str) -> Principal:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value:
        raise AuthenticationError("Authorization 请求头须为 'Bearer <令牌>'。Authorization header is not "
                                  "'Bearer <token>'.", field="Authorization",
                                  fix="发送 'Authorization: Bearer <令牌>'。Send 'Authorization: Bearer "
                                      "<token>'.")
    value = value.strip()
    import jwt

    from geogrid.store.users import principal_for_user

    if value.startswith("ggt_"):
        principal = _cached_token(state, value)
        if principal is None:
            raise AuthenticationError("API 令牌不存在或已吊销。API token is unknown or revoked.",
                                      field="Authorization",
                                      fix="请管理员签发新令牌。Ask an admin for a new token.")
        return principal
    try:
        claims = jwt.decode(value, _secret(state), algorithms=[_ALG])
    except jwt.ExpiredSignatureError:
        raise AuthenticationError("登录已过期。session token expired.", field="Authorization",
                                  fix="重新登录 (POST /auth/token)。Sign in again "
                                      "(POST /auth/token).") from None
    except jwt.PyJWTError:
        raise AuthenticationError("登录令牌无效。session token is invalid.", field="Authorization",
                                  fix="重新登录 (POST /auth/token)。Sign in again "
                                      "(POST /auth/token).") from None
    principal = principal_for_user(state.store, claims.get("sub", ""))
    if principal is None:
        raise AuthenticationError("用户不存在或已停用。user is unknown or disabled.",
                                  field="Authorization", fix="请联系管理员。Ask an admin.")
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
