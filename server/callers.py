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


def token_user_id() -> int:
    """The user id in the request's bearer token, its signature and lifetime checked; 401 otherwise."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("请先登录", code="UNAUTHORIZED")
    return tokens.read(token.strip())


def authenticate() -> Caller:
    """Check the bearer token and load its user; every API request but login goes through here
    (or through ``authenticate_token`` where the view reads the user in its own statement)."""
    g.user_id = token_user_id()
    caller = load(g.user_id)
    if caller is None:
        raise gone()
    g.caller = caller
    return caller


def authenticate_token() -> int:
    """Check the bearer token only, for views that read the user in their own statement."""
    user_id = g.user_id = token_user_id()
    return user_id


def gone() -> Unauthorized:
    """A valid token of a user who no longer exists."""
    return Unauthorized("账号不存在，请重新登录", code="UNAUTHORIZED")


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
