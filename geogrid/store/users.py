"""Users and API tokens (tokens and passwords stored hashed)."""

from __future__ import annotations

import sqlalchemy as sa

from .._errors import ConflictError, InputError, NotFoundError
from ..security import (Principal, Role, hash_password, hash_token, new_token, parse_role,
                        verify_password)
from . import schema as S
from ._sql import now
from .audit import AuditRepository
from .database import Database

__all__ = ["AccountRepository", "create_user", "issue_token", "principal_for_token",
           "principal_for_user", "authenticate", "list_users", "revoke_token", "TOKEN_PREFIX"]

_USER_ID = sa.select(S.users.c.id).where(S.users.c.username == sa.bindparam("name"))
#: every API token starts with this, so a bearer value says whether it is a token or a JWT
TOKEN_PREFIX = "ggt_"


def _principal(row) -> Principal:
    return Principal(username=row.username, role=Role(row.role), scope=row.scope, user_id=row.id)


def _check_user(username: str, scope: str | None) -> None:
    if not username or len(username) > 64 or \
            not username.replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise InputError(f"用户名 {username!r} 不可用。username {username!r} is not allowed.",
                         field="username", value=username,
                         fix="用 1-64 个字母、数字、'.'、'-' 或 '_'。"
                             "Use 1-64 letters, digits, '.', '-' or '_'.")
    if scope is not None and (not scope.isdigit() or len(scope) not in (6, 9, 12, 15)):
        raise InputError(f"范围 {scope!r} 不是街道或网格代码。scope {scope!r} is not a street or "
                         "grid code.", field="scope", value=scope,
                         fix="用 9 位街道代码或 12/15 位网格代码。"
                             "Use a 9-digit street code or a 12/15-digit grid code.")


class AccountRepository:
    def __init__(self, db: Database, audit: AuditRepository):
        self.db, self.audit = db, audit

    def create_user(self, username: str, role: str, *, scope: str | None = None,
                    password: str | None = None, actor: str | None = None) -> int:
        role = parse_role(role)
        _check_user(username, scope)
        with self.db.write() as conn:
            if conn.execute(sa.select(S.users.c.id).where(S.users.c.username == username)).first():
                raise ConflictError(f"用户 {username!r} 已存在。user {username!r} exists.",
                                    field="username", value=username,
                                    fix="换一个用户名。Pick another username.")
            res = conn.execute(sa.insert(S.users).values(
                username=username, role=role.value, scope=scope, created_at=now(),
                password_hash=hash_password(password) if password else None))
            uid = int(res.inserted_primary_key[0])
            self.audit.record(conn, actor=actor, action="user.create", entity="user",
                              entity_id=uid, after={"username": username, "role": role.value,
                                                    "scope": scope})
        return uid

    def user_id(self, username: str) -> int | None:
        with self.db.read() as conn:
            row = conn.execute(_USER_ID, {"name": username}).first()
        return None if row is None else int(row[0])

    def add_token(self, username: str, token: str, *, name: str = "api",
                  actor: str | None = None, replace_name: bool = False) -> int:
        """Store ``token`` (hashed) for ``username``; with ``replace_name``, revoke the user's
        other live tokens of that name in the same transaction."""
        with self.db.write() as conn:
            row = conn.execute(_USER_ID, {"name": username}).first()
            if row is None:
                raise NotFoundError(f"用户 {username!r} 不存在。user {username!r} does not exist.",
                                    field="username", value=username,
                                    fix="先创建该用户。Create the user first.")
            t = S.api_tokens.c
            if replace_name:
                conn.execute(sa.update(S.api_tokens).where(
                    t.user_id == row[0], t.name == name, t.revoked_at.is_(None),
                    t.token_hash != hash_token(token)).values(revoked_at=now()))
            known = conn.execute(sa.select(t.id).where(t.token_hash == hash_token(token))).first()
            if known:
                return int(known[0])
            res = conn.execute(sa.insert(S.api_tokens).values(
                user_id=row[0], token_hash=hash_token(token), name=name, created_at=now()))
            self.audit.record(conn, actor=actor, action="token.issue", entity="user",
                              entity_id=row[0], after={"name": name})
        return int(res.inserted_primary_key[0])

    def tokens(self, username: str | None = None) -> list[dict]:
        """Every token's id, owner, name, dates (never the hash)."""
        u, t = S.users.c, S.api_tokens.c
        q = (sa.select(t.id, u.username, u.role, u.scope, t.name, t.created_at, t.revoked_at)
             .join(S.users, t.user_id == u.id).order_by(t.id))
        if username:
            q = q.where(u.username == username)
        return self.db.rows(q)

    def token_owner(self, token_id: int) -> dict:
        hit = next((t for t in self.tokens() if t["id"] == token_id), None)
        if hit is None:
            raise NotFoundError(f"令牌 {token_id} 不存在。token {token_id} does not exist.",
                                field="token_id", value=token_id,
                                fix="用 GET /tokens 列出令牌。List tokens with GET /tokens.")
        return hit

    def revoke(self, *, token: str | None = None, token_id: int | None = None,
               actor: str | None = None) -> int:
        t = S.api_tokens.c
        where = t.token_hash == hash_token(token) if token is not None else t.id == token_id
        with self.db.write() as conn:
            res = conn.execute(sa.update(S.api_tokens).where(where, t.revoked_at.is_(None))
                               .values(revoked_at=now()))
            self.audit.record(conn, actor=actor, action="token.revoke", entity="token",
                              entity_id=token_id)
        return res.rowcount

    def principal_for_token(self, token: str) -> Principal | None:
        u, t = S.users.c, S.api_tokens.c
        q = (sa.select(u.id, u.username, u.role, u.scope)
             .join(S.api_tokens, t.user_id == u.id)
             .where(t.token_hash == hash_token(token), t.revoked_at.is_(None), u.active.is_(True)))
        with self.db.read() as conn:
            row = conn.execute(q).first()
        return _principal(row) if row else None

    def principal_for_user(self, username: str) -> Principal | None:
        u = S.users.c
        with self.db.read() as conn:
            row = conn.execute(sa.select(u.id, u.username, u.role, u.scope)
                               .where(u.username == username, u.active.is_(True))).first()
        return _principal(row) if row else None

    def authenticate(self, username: str, password: str) -> Principal | None:
        u = S.users.c
        with self.db.read() as conn:
            row = conn.execute(sa.select(u.id, u.username, u.role, u.scope, u.password_hash)
                               .where(u.username == username, u.active.is_(True))).first()
        # an unknown user is checked against a dummy hash, so timing does not tell who exists
        if not verify_password(password, row.password_hash if row else None) or row is None:
            return None
        return _principal(row)

    def users(self) -> list[dict]:
        u = S.users.c
        return self.db.rows(sa.select(u.id, u.username, u.role, u.scope, u.active, u.created_at)
                            .order_by(u.id))


# -- the functions kept for existing callers ------------------------------------------------

def create_user(store, username: str, role: str, *, scope: str | None = None,
                password: str | None = None, actor: str | None = None) -> int:
    return store.accounts.create_user(username, role, scope=scope, password=password, actor=actor)


def issue_token(store, username: str, *, name: str = "api", actor: str | None = None) -> str:
    token = new_token()
    store.accounts.add_token(username, token, name=name, actor=actor)
    return token


def revoke_token(store, token: str, *, actor: str | None = None) -> None:
    store.accounts.revoke(token=token, actor=actor)


def principal_for_token(store, token: str) -> Principal | None:
    return store.accounts.principal_for_token(token)


def principal_for_user(store, username: str) -> Principal | None:
    return store.accounts.principal_for_user(username)


def authenticate(store, username: str, password: str) -> Principal | None:
    return store.accounts.authenticate(username, password)


def list_users(store) -> list[dict]:
    return store.accounts.users()
