"""``geogrid users``: create users and issue API tokens."""

from __future__ import annotations

from typing import Annotated

import typer

from .._errors import NotFoundError
from ..security import Role
from ._usage import typer_group
from ._common import handle_errors, open_store, out

__all__ = ["app"]

app = typer_group(help="用户与 API 令牌。Users and API tokens.", no_args_is_help=True)


@app.command("add")
@handle_errors
def add(username: Annotated[str, typer.Argument(help="用户名 user name")],
        role: Annotated[Role, typer.Option(case_sensitive=False, help="角色 role")],
        scope: Annotated[str | None, typer.Option(help="角色限定的街道或网格代码 street or grid code the role is limited to")] = None,
        password: Annotated[str | None, typer.Option(help="网页登录密码 password for web sign-in",
                                                     prompt=False, hide_input=True)] = None) -> None:
    """新建用户并打印 API 令牌 Create a user and print an API token (shown once; stored hashed)."""
    from ..store.users import create_user, issue_token

    store = open_store()
    create_user(store, username, role.value, scope=scope, password=password, actor="cli")
    out.print(issue_token(store, username, actor="cli"))


@app.command("token")
@handle_errors
def token(username: Annotated[str, typer.Argument(help="用户名 user name")],
          name: Annotated[str, typer.Option(help="令牌名称 token name")] = "api") -> None:
    """为用户再发一个 API 令牌 Issue another API token for a user."""
    from ..store.users import issue_token

    out.print(issue_token(open_store(), username, name=name, actor="cli"))


@app.command("list")
@handle_errors
def list_() -> None:
    """列出用户 List users with their role and scope."""
    from ..store.users import list_users

    for u in list_users(open_store()):
        out.print(f"{u['id']:>4}  {u['username']:20} {u['role']:10} {u['scope'] or '*'}")


@app.command("tokens")
@handle_errors
def tokens(username: Annotated[str | None, typer.Argument(help="只列此用户的 only this user's")] = None) -> None:
    """列出 API 令牌 List API tokens: id, owner, name, issued, revoked (never the secret)."""
    for t in open_store().accounts.tokens(username):
        state = f"revoked {t['revoked_at']:%Y-%m-%d %H:%M}" if t["revoked_at"] else "active"
        out.print(f"{t['id']:>4}  {t['username']:20} {t['name'] or '':12} "
                  f"{t['created_at']:%Y-%m-%d %H:%M}  {state}")


@app.command("revoke")
@handle_errors
def revoke(token_id: Annotated[int, typer.Argument(help="令牌编号, 见 geogrid users tokens / the id from `geogrid users tokens`")]
           ) -> None:
    """吊销 API 令牌 Revoke an API token (it stops working within seconds on every server)."""
    store = open_store()
    try:
        store.accounts.token_owner(token_id)
    except NotFoundError as exc:     # its fix names the HTTP route; here, the command
        raise NotFoundError(exc.message, field="token_id", value=token_id,
                            fix="用 geogrid users tokens 查看令牌编号。See the token ids with "
                                "geogrid users tokens.") from None
    n = store.accounts.revoke(token_id=token_id, actor="cli")
    out.print(f"令牌 {token_id} 已吊销 token {token_id} revoked" if n else
              f"令牌 {token_id} 早已吊销 token {token_id} was already revoked")
