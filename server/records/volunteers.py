"""Volunteer management in the console: find, look at, suspend and reactivate.

Phone numbers are masked (138****1234) for everyone but admins. So that a
masked list cannot be unmasked by searching digit by digit, a non-admin's
digit search matches the whole 11-digit number or the last four digits
(which the mask shows anyway); admins may search any part of it.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from server import audit, permissions
from server.checkin import serialize
from server.checkin import hours as rules
from server.callers import Caller
from server.clock import local_iso
from server.db import db
from server.errors import Conflict, Forbidden, NotFound, ValidationError
from server.models import Shift, Unit, User

users_t, units_t, shifts_t = User.__table__, Unit.__table__, Shift.__table__
STATUSES = ("active", "suspended")

_COLUMNS = (users_t.c.id, users_t.c.name, users_t.c.phone, users_t.c.role, users_t.c.status,
            users_t.c.unit_id, users_t.c.registered_at, units_t.c.name.label("unit_name"))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _search_condition(caller: Caller, q: str):
    if q.isdigit():
        if permissions.sees_full_phone(caller):
            return users_t.c.phone.like(f"%{_escape_like(q)}%", escape="\\")
        if len(q) == 11:
            return users_t.c.phone == q
        if len(q) == 4:
            return users_t.c.phone.like(f"%{q}", escape="\\")
        raise ValidationError("按手机号查找请输入完整的 11 位号码或后 4 位", field="q")
    return users_t.c.name.like(f"%{_escape_like(q)}%", escape="\\")


def search(caller: Caller, *, q: str | None, unit_id: int | None, status: str | None,
           after_id: int | None, limit: int) -> list[dict]:
    """Registered volunteers in scope, by id; ``after_id`` is the keyset cursor."""
    conditions = [users_t.c.registered_at.isnot(None), permissions.volunteer_filter(caller)]
    if q:
        conditions.append(_search_condition(caller, q.strip()))
    if unit_id is not None:
        visible = db.session.execute(sa.select(units_t.c.id).where(
            units_t.c.id == unit_id, permissions.unit_filter(caller))).first()
        if visible is None:
            raise NotFound("找不到该单位")
        conditions.append(users_t.c.unit_id == unit_id)
    if status is not None:
        if status not in STATUSES:
            raise ValidationError("status 只能是 active 或 suspended", field="status")
        conditions.append(users_t.c.status == status)
    if after_id is not None:
        conditions.append(users_t.c.id > after_id)
    rows = db.session.execute(
        sa.select(*_COLUMNS).outerjoin(units_t, units_t.c.id == users_t.c.unit_id)
        .where(*conditions).order_by(users_t.c.id).limit(limit)).mappings().all()
    return [dict(r) for r in rows]


def get(caller: Caller, volunteer_id: int) -> dict:
    row = db.session.execute(
        sa.select(*_COLUMNS).outerjoin(units_t, units_t.c.id == users_t.c.unit_id)
        .where(users_t.c.id == volunteer_id, users_t.c.registered_at.isnot(None),
               permissions.volunteer_filter(caller))).mappings().first()
    if row is None:
        raise NotFound("找不到该志愿者")
    return dict(row)


def lifetime_minutes(volunteer_ids: list[int]) -> dict[int, int]:
    if not volunteer_ids:
        return {}
    c = shifts_t.c
    rows = db.session.execute(
        sa.select(c.volunteer_id, sa.func.sum(c.credited_minutes))
        .where(c.volunteer_id.in_(volunteer_ids), rules.finished(Shift.__table__),
               c.review_state.in_(rules.COUNTED_REVIEW_STATES)).group_by(c.volunteer_id)).all()
    return {vid: int(total or 0) for vid, total in rows}


def as_json(caller: Caller, rows: list[dict], tz) -> list[dict]:
    lifetimes = lifetime_minutes([r["id"] for r in rows])
    full_phone = permissions.sees_full_phone(caller)
    items = []
    for row in rows:
        minutes = lifetimes.get(row["id"], 0)
        items.append({
            "id": row["id"], "name": row["name"],
            "phone": row["phone"] if full_phone else serialize.mask_phone(row["phone"]),
            "unit": {"id": row["unit_id"], "name": row["unit_name"]} if row["unit_id"] else None,
            "role": row["role"], "status": row["status"],
            "registered_at": local_iso(row["registered_at"], tz),
            "lifetime_minutes": minutes, "lifetime_hours": rules.as_hours(minutes),
            "star_level": rules.star_level(minutes),
        })
    return items


def manageable(caller: Caller, volunteer_id: int) -> dict:
    """The volunteer, if the caller may suspend or reactivate them: scope (404), then role (403)."""
    row = get(caller, volunteer_id)
    if not permissions.may_manage_volunteer(caller, row["unit_id"]):
        raise Forbidden("只有该志愿者所在单位的协调员或管理员可以停用、恢复账号", code="FORBIDDEN")
    if row["role"] != "volunteer":
        raise Forbidden("这是后台账号，请由管理员在账号管理中处理", code="FORBIDDEN")
    return row


def set_status(caller: Caller, volunteer_id: int, status: str, reason: str | None, now: datetime) -> dict:
    """Suspend or reactivate, after :func:`manageable`; the same status twice is 409."""
    row = manageable(caller, volunteer_id)
    if row["status"] == status:
        word = "已停用" if status == "suspended" else "未被停用"
        raise Conflict(f"该志愿者{word}", code="STATUS_UNCHANGED", status_now=status)
    db.session.execute(sa.update(users_t).where(users_t.c.id == volunteer_id).values(status=status))
    audit.record(actor_id=caller.id, action="suspend" if status == "suspended" else "reactivate",
                 entity_type="user", entity_id=volunteer_id, before={"status": row["status"]},
                 after={"status": status}, reason=reason, now=now)
    db.session.commit()
    return {**row, "status": status}


def own_record(user_id: int) -> dict:
    """The volunteer's own row, for their certificate."""
    return dict(db.session.execute(sa.select(*_COLUMNS).outerjoin(units_t, units_t.c.id == users_t.c.unit_id)
                                   .where(users_t.c.id == user_id)).mappings().one())
