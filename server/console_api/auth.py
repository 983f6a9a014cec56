from __future__ import annotations

from flask import g, request

from server import accounts, callers, permissions, revocation, tokens
from server.checkin import serialize
from server.console_api import bp
from server.db import db
from server.errors import NotFound
from server.inputs import json_body, string
from server.models import User


@bp.post("/auth/login")
def login():
    body = json_body()
    user = accounts.check_console_login(string(body, "username", max_length=64, label="用户名"),
                                        string(body, "password", max_length=256, label="密码"),
                                        remote_addr=request.remote_addr)
    if not user.is_console:
        raise accounts.not_console()
    token, ttl = tokens.issue(user.id, "console", user.credential_version)
    return {"token": token, "expires_in": ttl, "user": serialize.user(user)}


@bp.post("/auth/logout")
def logout():
    """Ends this one token; the user's other sessions go on."""
    claims = g.claims
    revocation.revoke(claims.token_id, revocation.expiry(claims.issued, tokens.ttl("console")))
    return "", 204


@bp.get("/me")
def me():
    return {"user": serialize.user(db.session.get(User, callers.current().id))}


@bp.post("/me/password")
def change_password():
    """Own password; every other token and session of this user ends, this answer carries a new token."""
    body = json_body()
    user = accounts.change_own_password(callers.current().id,
                                        string(body, "old_password", max_length=256, label="当前密码"),
                                        string(body, "new_password", max_length=256, label="新密码"))
    token, ttl = tokens.issue(user.id, "console", user.credential_version)
    return {"token": token, "expires_in": ttl}


@bp.post("/users/<int:user_id>/password")
def reset_password(user_id: int):
    """An admin resets a console user's password; the user's sessions end at once."""
    permissions.require_role(callers.current(), "admin")
    user = _console_user(user_id)
    accounts.reset_password(user, string(json_body(), "password", max_length=256, label="新密码"))
    return {"user": serialize.user(user)}


@bp.post("/users/<int:user_id>/disable")
def disable_user(user_id: int):
    permissions.require_role(callers.current(), "admin")
    user = _console_user(user_id)
    if user.id == callers.current().id:
        raise accounts.not_self()
    return {"user": serialize.user(accounts.set_enabled(user, False))}


@bp.post("/users/<int:user_id>/enable")
def enable_user(user_id: int):
    permissions.require_role(callers.current(), "admin")
    return {"user": serialize.user(accounts.set_enabled(_console_user(user_id), True))}


def _console_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not user.is_console:
        raise NotFound("找不到该用户")
    return user
