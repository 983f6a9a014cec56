from __future__ import annotations

from flask import current_app

from miniprogram_api import bp
from server.wechat import client as wechat
from server import accounts, config, tokens
from server.checkin import serialize
from server.clock import utcnow
from server.inputs import json_body, string


@bp.post("/auth/login")
def login():
    code = string(json_body(), "code", max_length=128, label="登录凭证 code")
    openid = accounts.openid_for_code(
        code, dev_allowed=config.dev_login_allowed(current_app.config),
        wechat=lambda: wechat.client_from_config(current_app.config))
    user = accounts.login_wechat(openid, utcnow())
    token, ttl = tokens.issue(user.id, "mp")
    return {"token": token, "expires_in": ttl, "registered": user.registered,
            "user": serialize.user(user)}
