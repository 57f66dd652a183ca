"""``geogrid users tokens`` and ``geogrid users revoke``: list and revoke API tokens."""

from __future__ import annotations


from typer.testing import CliRunner

from geogrid.cli import app


def test_tokens_are_listed_and_revoked(demo_cli):
    runner = CliRunner()
    made = runner.invoke(app, ["users", "add", "alice", "--role", "dispatcher"])
    assert made.exit_code == 0
    token = made.stdout.strip().splitlines()[-1]
    assert demo_cli.accounts.principal_for_token(token).username == "alice"
    listed = runner.invoke(app, ["users", "tokens", "alice"])
    assert listed.exit_code == 0 and "alice" in listed.stdout and "active" in listed.stdout
    assert token not in listed.stdout
    tid = demo_cli.accounts.tokens("alice")[0]["id"]
    revoked = runner.invoke(app, ["users", "revoke", str(tid)])
    assert revoked.exit_code == 0 and "revoked" in revoked.stdout
    assert demo_cli.accounts.principal_for_token(token) is None
    missing = runner.invoke(app, ["users", "revoke", "9999"])
    assert missing.exit_code == 2 and "Traceback" not in missing.output
