"""The authenticated caller of an API request, loaded once per request."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import g, request

from server import tokens
from server.fastsql import Prepared
from server.errors import Forbidden, Unauthorized
from server.models import RevokedToken, User

_users = User.__table__
_revoked = RevokedToken.__table__
# Built once: every API request runs it, and building a statement costs more than running it.
# The same statement tells whether the token was logged out, so revocation costs no extra query.
_LOAD = Prepared(sa.select(
    _users.c.id, _users.c.role, _users.c.status, _users.c.registered_at, _users.c.unit_id,
    _users.c.scope_unit_id, _users.c.scope_district_id, _users.c.name, _users.c.credential_version,
    _users.c.privacy_version,
    sa.exists().where(_revoked.c.token_id == sa.bindparam("token_id")).label("revoked"),
).where(_users.c.id == sa.bindparam("user_id")))


@dataclass(frozen=True)
class Caller:
    """Just what authorisation needs; a plain value so services stay ORM-free on hot paths."""

    id: int
    role: str
    status: str
    registered: bool
    unit_id: int | None
    scope_unit_id: int | None
    scope_district_id: int | None
    name: str | None
    credential_version: int = 0
    privacy_version: str | None = None

    @property
    def is_console(self) -> bool:
        return self.role in ("coordinator", "leader", "admin")

    @property
    def sees_everything(self) -> bool:
        return self.role in ("leader", "admin")


def load(user_id: int, token_id: str = "", version: int | None = None) -> Caller | None:
    """The user, or None when they do not exist, the credential is of an older version
    (password changed, account disabled) or its id was logged out."""
    row = _LOAD.first({"user_id": user_id, "token_id": token_id})
    if row is None or row["revoked"]:
        return None
    if version is not None and row["credential_version"] != version:
        return None
    return Caller(row["id"], row["role"], row["status"], row["registered_at"] is not None, row["unit_id"],
                  row["scope_unit_id"], row["scope_district_id"], row["name"], row["credential_version"],
                  row["privacy_version"])


def bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("请先登录", code="UNAUTHORIZED")
    return token.strip()


def token_claims(kind: str) -> tokens.Claims:
    """The request's bearer token for this door, its signature and lifetime checked; 401 otherwise."""
    claims = g.claims = tokens.read(bearer_token(), kind)
    return claims


def authenticate(kind: str) -> Caller:
    """Check the bearer token for this door ("mp" or "console") and load its user; every API
    request but login goes through here."""
    claims = token_claims(kind)
    g.user_id = claims.user_id
    caller = load(claims.user_id, claims.token_id, claims.version)
    if caller is None:
        raise gone()
    # The mini-program door is for volunteers only: a console account never acts as one.
    if kind == "mp" and caller.is_console:
        raise Forbidden("管理账号不能以志愿者身份使用小程序", code="CONSOLE_ACCOUNT")
    g.caller = caller
    return caller


def gone() -> Unauthorized:
    """A signed token of a user who no longer exists, or one revoked since."""
    return Unauthorized("登录已失效，请重新登录", code="UNAUTHORIZED")


def current() -> Caller:
    return g.caller


def current_id() -> int:
    """The authenticated user's id, also where the view loads the user itself."""
    return g.user_id


def require_active(caller: Caller) -> None:
    refuse_suspended(caller.status)


def refuse_suspended(status: str) -> None:
    if status != "active":
        raise Forbidden("账号已被停用，请联系协调员", code="ACCOUNT_SUSPENDED")
