"""WeChat's message push (消息推送): the URL configured in the mini-program's
admin under 开发管理 → 消息推送配置, in JSON format and plaintext (明文) or
compatible (兼容) mode. Secure mode (AES-encrypted bodies) is not supported.

WeChat proves each request with ``signature = sha1(sorted(token, timestamp, nonce))``
in the query string, GET (URL verification, answered with ``echostr``) and
POST (events) alike. Without WECHAT_PUSH_TOKEN the endpoint does not exist.
Events we do not handle are acknowledged with "success" so WeChat does not retry.

The receiver only checks and parses: a media-check verdict goes to the handler the app
factory registered (evidence's ``photo_check.record_verdict``), so this module imports
no domain package and evidence never imports the receiver.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import datetime
from typing import Callable

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from server.clock import utcnow
from server.errors import ApiError, BadRequest, Forbidden, NotFound

log = logging.getLogger(__name__)

bp = Blueprint("wechat_push", __name__)

_MEDIA_VERDICT = "wechat_media_verdict"
# (trace_id, suggest, label, now) -> False when the trace_id is not ours
MediaVerdictHandler = Callable[[str, str, "str | None", datetime], bool]


def init_app(app: Flask, on_media_verdict: MediaVerdictHandler) -> None:
    """Register the receiver and who gets media-check verdicts. Call after CSRFProtect:
    WeChat signs its pushes, it cannot send a CSRF token."""
    app.extensions[_MEDIA_VERDICT] = on_media_verdict
    app.register_blueprint(bp)
    app.extensions["csrf"].exempt(bp)


@bp.errorhandler(ApiError)
def _json_error(err: ApiError):
    return jsonify(err.to_dict()), err.status


def push_signature(token: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


def _verify() -> None:
    token = current_app.config.get("WECHAT_PUSH_TOKEN") or ""
    if not token:
        raise NotFound()
    args = request.args
    timestamp, nonce, signature = args.get("timestamp", ""), args.get("nonce", ""), args.get("signature", "")
    expected = push_signature(token, timestamp, nonce)
    if not (timestamp and nonce and hmac.compare_digest(expected.encode(), signature.encode())):
        raise Forbidden("签名无效", code="PUSH_SIGNATURE_INVALID")


@bp.get("/wechat/push")
def verify_url():
    _verify()
    return Response(request.args.get("echostr", ""), mimetype="text/plain")


@bp.post("/wechat/push")
def receive():
    _verify()
    event = request.get_json(silent=True)
    if not isinstance(event, dict):
        raise BadRequest("消息格式应为 JSON", code="BAD_REQUEST")
    if event.get("Event") == "wxa_media_check":
        result = event.get("result") if isinstance(event.get("result"), dict) else {}
        trace_id, suggest = event.get("trace_id"), result.get("suggest")
        if isinstance(trace_id, str) and isinstance(suggest, str):
            if not current_app.extensions[_MEDIA_VERDICT](trace_id, suggest, result.get("label"), utcnow()):
                log.warning("media check result for unknown trace_id %s", trace_id)
    else:
        log.info("wechat push event %r ignored", event.get("Event") or event.get("MsgType"))
    return Response("success", mimetype="text/plain")
