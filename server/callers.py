"""The authenticated caller of an API request, loaded once per request."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import g, request

from server import tokens
from server.fastsql import Prepared
from server.errors import Forbidden, Unauthorized
from server.models import User

_users = User.__table__
# Built once: every API request runs it, and building a statement costs more than running it.
_LOAD = Prepared(sa.select(
    _users.c.id, _users.c.role, _users.c.status, _users.c.registered_at, _users.c.unit_id,
    _users.c.scope_unit_id, _users.c.scope_district_id, _users.c.name,
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

    @property
    def is_console(self) -> bool:
        return self.role in ("coordinator", "leader", "admin")

    @property
    def sees_everything(self) -> bool:
        return self.role in ("leader", "admin")


def load(user_id: int) -> Caller | None:
    row = _LOAD.first({"user_id": user_id})
    if row is None:
        return None
    return Caller(row["id"], row["role"], row["status"], row["registered_at"] is not None, row["unit_id"],
                  row["scope_unit_id"], row["scope_district_id"], row["name"])


def authenticate() -> Caller:
    """Read the bearer token; every API request but login goes through here."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("请先登录", code="UNAUTHORIZED")
    caller = load(tokens.read(token.strip()))
    if caller is None:
        raise Unauthorized("账号不存在，请重新登录", code="UNAUTHORIZED")
    g.caller = caller
    return caller


def current() -> Caller:
    return g.caller


def require_active(caller: Caller) -> None:
    if caller.status != "active":
        raise Forbidden("账号已被停用，请联系协调员", code="ACCOUNT_SUSPENDED")
