"""Bearer tokens the backend issues itself: signed, expiring, tied to one door, revocable.

A token says who (``u``), which door it opens (``k``: "mp" for the mini-program
API, "console" for the console API), the user's credential version when it was
issued (``v``) and its own id (``j``). Reading one checks the signature, the
door and the lifetime here; the caller's loader then checks the version
against the user's row (a password change, a reset, disabling or suspending
bumps it, so every older token fails at once in every process) and the id
against the denylist of logged-out tokens (server.revocation).

``SECRET_KEY_FALLBACKS`` (Flask 3.1's setting) lists retired keys still
accepted, so rotating ``SECRET_KEY`` logs nobody out before their token ends.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from flask import current_app
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from server.clock import utcnow
from server.errors import Unauthorized

KINDS = ("mp", "console")
_SALT = "redvest/api-token/v1"


@dataclass(frozen=True)
class Claims:
    user_id: int
    kind: str
    version: int
    token_id: str
    issued: datetime


class _ServerClockSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(utcnow().timestamp())  # issued and checked by the same clock (clock.py)


def signing_keys(cfg=None) -> tuple[str, ...]:
    """Oldest first, current last: itsdangerous signs with the last and accepts any."""
    cfg = cfg or current_app.config
    return (*tuple(cfg.get("SECRET_KEY_FALLBACKS") or ()), cfg["SECRET_KEY"])


def ttl(kind: str, cfg=None) -> int:
    cfg = cfg or current_app.config
    return cfg["CONSOLE_TOKEN_TTL_SECONDS"] if kind == "console" else cfg["TOKEN_TTL_SECONDS"]


def issue(user_id: int, kind: str, version: int = 0) -> tuple[str, int]:
    """A token for the user and its lifetime in seconds."""
    assert kind in KINDS
    serializer = URLSafeTimedSerializer(list(signing_keys()), salt=_SALT, signer=_ServerClockSigner)
    token = serializer.dumps({"u": user_id, "k": kind, "v": version, "j": secrets.token_urlsafe(12)})
    return token, ttl(kind)


@lru_cache(maxsize=8192)
def _verified(keys: tuple[str, ...], token: str) -> tuple[dict, datetime]:
    """Signature check and decoding, remembered per process: a phone sends the same token
    with every request, and only successes are cached (lru_cache does not keep exceptions)."""
    data, issued = URLSafeTimedSerializer(list(keys), salt=_SALT, signer=_ServerClockSigner).loads(token, return_timestamp=True)
    if not isinstance(data, dict) or data.get("k") not in KINDS or not isinstance(data.get("u"), int):
        raise BadSignature("bad payload")
    return data, issued


def read(token: str, kind: str) -> Claims:
    """The claims of a valid token for this door; Unauthorized for an expired, forged or
    other-door one (a console token is no volunteer's token, and the reverse)."""
    cfg = current_app.config
    try:
        data, issued = _verified(signing_keys(cfg), token)
    except BadSignature:
        raise Unauthorized("登录凭证无效，请重新登录", code="UNAUTHORIZED")
    if data["k"] != kind:
        raise Unauthorized("该登录凭证不能用于此处，请重新登录", code="UNAUTHORIZED")
    if (utcnow() - issued).total_seconds() > ttl(kind, cfg):
        raise Unauthorized("登录已过期，请重新登录", code="UNAUTHORIZED")
    return Claims(int(data["u"]), kind, int(data.get("v") or 0), str(data.get("j") or ""), issued)


def signed_user_id(token: str) -> int | None:
    """Whose token this is, if its signature holds (any door, expired or not): for keying rate
    limits per user before the request is authenticated. None for a forgery."""
    try:
        data, _ = _verified(signing_keys(), token)
    except BadSignature:
        return None
    return int(data["u"])
