"""Bearer tokens the backend issues itself: signed, expiring, no server-side session."""
from __future__ import annotations

from flask import current_app
from datetime import datetime
from functools import lru_cache

from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from server.clock import utcnow
from server.errors import Unauthorized

KINDS = ("mp", "console")


class _ServerClockSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(utcnow().timestamp())  # issued and checked by the same clock (clock.py)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="redvest/api-token/v1",
                                  signer=_ServerClockSigner)


def _ttl(kind: str, cfg=None) -> int:
    cfg = cfg or current_app.config
    return cfg["CONSOLE_TOKEN_TTL_SECONDS"] if kind == "console" else cfg["TOKEN_TTL_SECONDS"]


def issue(user_id: int, kind: str) -> tuple[str, int]:
    """A token for the user and its lifetime in seconds."""
    assert kind in KINDS
    return _serializer().dumps({"u": user_id, "k": kind}), _ttl(kind)


@lru_cache(maxsize=8192)
def _verified(secret_key: str, token: str) -> tuple[dict, datetime]:
    """Signature check and decoding, remembered per process: a phone sends the same token
    with every request, and only successes are cached (lru_cache does not keep exceptions)."""
    data, issued = URLSafeTimedSerializer(secret_key, salt="redvest/api-token/v1").loads(
        token, return_timestamp=True)
    if not isinstance(data, dict) or data.get("k") not in KINDS:
        raise BadSignature("bad payload")
    return data, issued


def read(token: str) -> int:
    """The user id in a valid token; Unauthorized for an expired or forged one."""
    cfg = current_app.config
    try:
        data, issued = _verified(cfg["SECRET_KEY"], token)
    except BadSignature:
        raise Unauthorized("登录凭证无效，请重新登录", code="UNAUTHORIZED")
    # One signature check; the lifetime depends on the kind of token inside.
    if (utcnow() - issued).total_seconds() > _ttl(data["k"], cfg):
        raise Unauthorized("登录已过期，请重新登录", code="UNAUTHORIZED")
    return int(data["u"])
