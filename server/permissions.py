"""What each role may see, as SQL conditions used inside queries.

- volunteer: only their own records, and no console endpoint at all (403).
- coordinator of a unit: that unit's volunteers, their shifts, and the posts
  where the unit's volunteers served.
- coordinator of a district: the district's posts, every shift at them and
  everyone who served there.
- leader, admin: everything.

A row outside the caller's scope is reported as 404 by the caller of these
functions, never 403, so ids leak nothing.
"""
from __future__ import annotations

import sqlalchemy as sa

from server.callers import Caller
from server.errors import Forbidden, NotFound
from server.models import Post, Shift, User

CONSOLE_ROLES = ("coordinator", "leader", "admin")


def require_console(caller: Caller) -> None:
    if caller.role not in CONSOLE_ROLES:
        raise Forbidden("该功能仅限协调员、领导和管理员使用", code="FORBIDDEN")
    if caller.status != "active":
        raise Forbidden("账号已被停用", code="ACCOUNT_SUSPENDED")


def require_role(caller: Caller, *roles: str) -> None:
    require_console(caller)
    if caller.role not in roles:
        raise Forbidden("没有权限进行此操作", code="FORBIDDEN")


def _district_post_ids(district_id: int):
    return sa.select(Post.id).where(Post.district_id == district_id)


def shift_filter(caller: Caller):
    """Shifts the caller may see."""
    if caller.sees_everything:
        return sa.true()
    if caller.role == "coordinator" and caller.scope_unit_id is not None:
        return Shift.unit_id == caller.scope_unit_id
    if caller.role == "coordinator" and caller.scope_district_id is not None:
        return Shift.post_id.in_(_district_post_ids(caller.scope_district_id))
    return Shift.volunteer_id == caller.id


def volunteer_filter(caller: Caller):
    """Users (as volunteers) the caller may see."""
    if caller.sees_everything:
        return sa.true()
    if caller.role == "coordinator" and caller.scope_unit_id is not None:
        return User.unit_id == caller.scope_unit_id
    if caller.role == "coordinator" and caller.scope_district_id is not None:
        served_here = sa.select(Shift.volunteer_id).where(
            Shift.post_id.in_(_district_post_ids(caller.scope_district_id)))
        return User.id.in_(served_here)
    return User.id == caller.id


def post_filter(caller: Caller):
    """Posts the caller may see (every active post is visible to volunteers via /posts/nearby)."""
    if caller.sees_everything:
        return sa.true()
    if caller.role == "coordinator" and caller.scope_district_id is not None:
        return Post.district_id == caller.scope_district_id
    if caller.role == "coordinator" and caller.scope_unit_id is not None:
        served_by_unit = sa.select(Shift.post_id).where(Shift.unit_id == caller.scope_unit_id)
        return Post.id.in_(served_by_unit)
    return sa.false()


def _coordinates_district(caller: Caller, district_id: int) -> bool:
    return caller.role == "coordinator" and caller.scope_district_id == district_id


def may_print_posters(caller: Caller, district_id: int) -> bool:
    """Posters of a district's posts: its coordinators, leaders and admins."""
    return caller.sees_everything or _coordinates_district(caller, district_id)


def may_manage_post(caller: Caller, district_id: int) -> bool:
    """Edit a post or rotate its QR: admins and the coordinators of its district."""
    return caller.role == "admin" or _coordinates_district(caller, district_id)


def get_or_404(query_result, what: str = "记录"):
    if query_result is None:
        raise NotFound(f"找不到该{what}")
    return query_result
