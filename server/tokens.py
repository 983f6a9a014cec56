"""Bearer tokens the backend issues itself: signed, expiring, no server-side session."""
from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from server.errors import Unauthorized

KINDS = ("mp", "console")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="redvest/api-token/v1")


def _ttl(kind: str) -> int:
    cfg = current_app.config
    return cfg["CONSOLE_TOKEN_TTL_SECONDS"] if kind == "console" else cfg["TOKEN_TTL_SECONDS"]


def issue(user_id: int, kind: str) -> tuple[str, int]:
    """A token for the user and its lifetime in seconds."""
    assert kind in KINDS
    return _serializer().dumps({"u": user_id, "k": kind}), _ttl(kind)


def read(token: str) -> int:
    """The user id in a valid token; Unauthorized for an expired or forged one."""
    serializer = _serializer()
    try:
        # Expiry depends on the kind inside, so check the signature first, then the age.
        data = serializer.loads(token, max_age=max(_ttl("mp"), _ttl("console")))
        if not isinstance(data, dict) or data.get("k") not in KINDS:
            raise BadSignature("bad payload")
        serializer.loads(token, max_age=_ttl(data["k"]))
    except SignatureExpired:
        raise Unauthorized("登录已过期，请重新登录", code="UNAUTHORIZED")
    except BadSignature:
        raise Unauthorized("登录凭证无效，请重新登录", code="UNAUTHORIZED")
    return int(data["u"])
