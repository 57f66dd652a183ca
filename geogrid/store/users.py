"""Users and API tokens in the store (tokens and passwords stored hashed)."""

from __future__ import annotations

import sqlalchemy as sa

from .._errors import ConflictError, InputError, NotFoundError
from ..security import Principal, Role, hash_password, hash_token, new_token, parse_role, verify_password
from . import schema as S
from .repo import Store, now

__all__ = ["create_user", "issue_token", "principal_for_token", "authenticate", "list_users",
           "revoke_token"]


def create_user(store: Store, username: str, role: str, *, scope: str | None = None,
                password: str | None = None, actor: str | None = None) -> int:
    role = parse_role(role)
    if not username or len(username) > 64 or not username.replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise InputError(f"username {username!r} is not allowed.", field="username", value=username,
                         fix="Use 1-64 letters, digits, '.', '-' or '_'.")
    if scope is not None and (not scope.isdigit() or len(scope) not in (6, 9, 12, 15)):
        raise InputError(f"scope {scope!r} is not a street or grid code.", field="scope",
                         value=scope, fix="Use a 9-digit street code or a 12/15-digit grid code.")
    with store.write() as conn:
        exists = conn.execute(sa.select(S.users.c.id).where(S.users.c.username == username)).first()
        if exists:
            raise ConflictError(f"user {username!r} exists.", field="username", value=username,
                                fix="Pick another username.")
        res = conn.execute(sa.insert(S.users).values(
            username=username, role=role.value, scope=scope, created_at=now(),
            password_hash=hash_password(password) if password else None))
        uid = int(res.inserted_primary_key[0])
        store.audit(conn, actor=actor, action="user.create", entity="user", entity_id=uid,
                    after={"username": username, "role": role.value, "scope": scope})
    return uid


def issue_token(store: Store, username: str, *, name: str = "api", actor: str | None = None) -> str:
    token = new_token()
    with store.write() as conn:
        row = conn.execute(sa.select(S.users.c.id).where(S.users.c.username == username)).first()
        if row is None:
            raise NotFoundError(f"user {username!r} does not exist.", field="username",
                                value=username, fix="Create the user first.")
        conn.execute(sa.insert(S.api_tokens).values(user_id=row[0], token_hash=hash_token(token),
                                                    name=name, created_at=now()))
        store.audit(conn, actor=actor, action="token.issue", entity="user", entity_id=row[0],
                    after={"name": name})
    return token


def revoke_token(store: Store, token: str, *, actor: str | None = None) -> None:
    with store.write() as conn:
        conn.execute(sa.update(S.api_tokens).where(S.api_tokens.c.token_hash == hash_token(token))
                     .values(revoked_at=now()))
        store.audit(conn, actor=actor, action="token.revoke", entity="token", entity_id=None)


def _principal(row) -> Principal:
    return Principal(username=row.username, role=Role(row.role), scope=row.scope, user_id=row.id)


def principal_for_token(store: Store, token: str) -> Principal | None:
    u, t = S.users.c, S.api_tokens.c
    q = (sa.select(u.id, u.username, u.role, u.scope)
         .join(S.api_tokens, t.user_id == u.id)
         .where(t.token_hash == hash_token(token), t.revoked_at.is_(None), u.active.is_(True)))
    with store.read() as conn:
        row = conn.execute(q).first()
    return _principal(row) if row else None


def principal_for_user(store: Store, username: str) -> Principal | None:
    u = S.users.c
    with store.read() as conn:
        row = conn.execute(sa.select(u.id, u.username, u.role, u.scope)
                           .where(u.username == username, u.active.is_(True))).first()
    return _principal(row) if row else None


def authenticate(store: Store, username: str, password: str) -> Principal | None:
    u = S.users.c
    with store.read() as conn:
        row = conn.execute(sa.select(u.id, u.username, u.role, u.scope, u.password_hash)
                           .where(u.username == username, u.active.is_(True))).first()
    if not verify_password(password, row.password_hash if row else None) or row is None:
        return None
    return _principal(row)


def list_users(store: Store) -> list[dict]:
    u = S.users.c
    with store.read() as conn:
        return [dict(r._mapping) for r in conn.execute(
            sa.select(u.id, u.username, u.role, u.scope, u.active, u.created_at).order_by(u.id))]
