"""``geogrid users``: create users and issue API tokens."""

from __future__ import annotations

from typing import Annotated

import typer

from ._common import handle_errors, open_store, out

app = typer.Typer(help="Users and API tokens.", no_args_is_help=True)


@app.command("add")
@handle_errors
def add(username: str,
        role: Annotated[str, typer.Option(help="admin, planner, dispatcher, responder, public")],
        scope: Annotated[str | None, typer.Option(help="street or grid code the role is limited to")] = None,
        password: Annotated[str | None, typer.Option(help="password for web sign-in",
                                                     prompt=False, hide_input=True)] = None) -> None:
    """Create a user and print an API token (shown once; stored hashed)."""
    from ..store.users import create_user, issue_token

    store = open_store()
    create_user(store, username, role, scope=scope, password=password, actor="cli")
    out.print(issue_token(store, username, actor="cli"))


@app.command("token")
@handle_errors
def token(username: str, name: Annotated[str, typer.Option()] = "api") -> None:
    """Issue another API token for a user."""
    from ..store.users import issue_token

    out.print(issue_token(open_store(), username, name=name, actor="cli"))


@app.command("list")
@handle_errors
def list_() -> None:
    from ..store.users import list_users

    for u in list_users(open_store()):
        out.print(f"{u['id']:>4}  {u['username']:20} {u['role']:10} {u['scope'] or '*'}")
