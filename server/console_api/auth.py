from __future__ import annotations

from flask import request

from server import accounts, callers, tokens
from server.checkin import serialize
from server.console_api import bp
from server.db import db
from server.inputs import json_body, string
from server.models import User


@bp.post("/auth/login")
def login():
    body = json_body()
    user = accounts.check_console_login(string(body, "username", max_length=64, label="用户名"),
                                        string(body, "password", max_length=256, label="密码"),
                                        remote_addr=request.remote_addr)
    token, ttl = tokens.issue(user.id, "console")
    return {"token": token, "expires_in": ttl, "user": serialize.user(user)}


@bp.get("/me")
def me():
    return {"user": serialize.user(db.session.get(User, callers.current().id))}
