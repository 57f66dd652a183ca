"""Users and API tokens: sign-in, issuing, listing and revoking, the bootstrap admin token."""

from __future__ import annotations

from .._errors import InputError
from ..security import Principal, new_token
from ..store import Store
from ..store.users import TOKEN_PREFIX
from . import policy

__all__ = ["AccountService", "BOOTSTRAP_NAME"]

#: the name of the token made from GEOGRID_ADMIN_TOKEN
BOOTSTRAP_NAME = "bootstrap"


class AccountService:
    def __init__(self, store: Store):
        self.store, self.repo = store, store.accounts

    def bootstrap_admin(self, token: str) -> None:
        """Make ``token`` the admin's bootstrap token (stored hashed); the previous bootstrap
        token stops working, so rotating GEOGRID_ADMIN_TOKEN really rotates it."""
        if not token.startswith(TOKEN_PREFIX):
            raise InputError(
                f"GEOGRID_ADMIN_TOKEN 必须以 {TOKEN_PREFIX} 开头, 否则永远无法使用。"
                f"GEOGRID_ADMIN_TOKEN must start with {TOKEN_PREFIX!r}, or it could never be used.",
                field="GEOGRID_ADMIN_TOKEN", value=f"{token[:4]}…",
                fix=f"生成新令牌: python -c \"import secrets; print('{TOKEN_PREFIX}' + "
                    f"secrets.token_urlsafe(32))\"。Generate one the same way and set it again.")
        if self.repo.user_id("admin") is None:
            self.repo.create_user("admin", "admin", actor=BOOTSTRAP_NAME)
        self.repo.add_token("admin", token, name=BOOTSTRAP_NAME, actor=BOOTSTRAP_NAME,
                            replace_name=True)

    def create_user(self, principal: Principal, username: str, role: str, *,
                    scope: str | None = None, password: str | None = None) -> tuple[int, str]:
        """Create a user and issue their first API token (shown once)."""
        uid = self.repo.create_user(username, role, scope=scope, password=password,
                                    actor=principal.username)
        return uid, self.issue(username, actor=principal.username)

    def issue(self, username: str, *, name: str = "api", actor: str | None = None) -> str:
        token = new_token()
        self.repo.add_token(username, token, name=name, actor=actor)
        return token

    def tokens(self, principal: Principal, username: str | None = None) -> list[dict]:
        """The tokens the caller may see (admin: all; others: their own), never a hash."""
        rows = self.repo.tokens(username)
        return [t for t in rows
                if policy.allowed(principal, "read", policy.TokenRef(t["id"], t["username"]))]

    def revoke(self, principal: Principal, token_id: int) -> dict:
        row = self.repo.token_owner(token_id)
        policy.require(principal, "change", policy.TokenRef(token_id, row["username"]))
        self.repo.revoke(token_id=token_id, actor=principal.username)
        return self.repo.token_owner(token_id)
