"""``flask --app server users set-password USERNAME`` and ``users disable USERNAME``.

Both end every token and console session the user holds, in every process,
at once (the user's credential version is bumped).
"""
from __future__ import annotations

import os

import click

from server import accounts
from server.cli.commands import emit, json_option, users_cli


def _user(username: str):
    return accounts.console_user(username)  # NotFound: the CLI's failure path prints it


@users_cli.command("set-password")
@click.argument("username")
@json_option
def users_set_password(username: str, as_json: bool):
    """Reset a user's password (from REDVEST_PASSWORD or a prompt); their sessions end."""
    user = _user(username)
    password = os.environ.get("REDVEST_PASSWORD") or click.prompt(
        "New password", hide_input=True, confirmation_prompt=True)
    accounts.reset_password(user, password)
    emit(as_json, {"id": user.id, "username": username, "password_changed": True},
         f"password of {username} changed; their sessions have ended")


@users_cli.command("disable")
@click.argument("username")
@json_option
def users_disable(username: str, as_json: bool):
    """Disable a user: they cannot sign in, and their tokens and sessions end now."""
    user = accounts.set_enabled(_user(username), False)
    emit(as_json, {"id": user.id, "username": username, "status": user.status},
         f"{username} disabled; their sessions have ended")


@users_cli.command("enable")
@click.argument("username")
@json_option
def users_enable(username: str, as_json: bool):
    user = accounts.set_enabled(_user(username), True)
    emit(as_json, {"id": user.id, "username": username, "status": user.status}, f"{username} enabled")
