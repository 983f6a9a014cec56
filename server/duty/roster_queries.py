"""Reading rosters: the slots of a period, who is on each, and a volunteer's coming slots."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from server import permissions
from server.callers import Caller
from server.db import db
from server.models import DutySlot, Post, SlotAssignment, Unit, User
from server.models.rosters import MAX_SLOT_HOURS

slots_t, assign_t, users_t = DutySlot.__table__, SlotAssignment.__table__, User.__table__


def slots_between(caller: Caller, first: date, last: date, *, post_id: int | None = None,
                  district_id: int | None = None, limit: int = 2000) -> list[DutySlot]:
    query = (sa.select(DutySlot).join(Post, Post.id == DutySlot.post_id)
             .where(DutySlot.local_date >= first, DutySlot.local_date <= last, permissions.slot_filter(caller))
             .order_by(DutySlot.starts_at, DutySlot.id).limit(limit))
    if post_id is not None:
        query = query.where(DutySlot.post_id == post_id)
    if district_id is not None:
        query = query.where(Post.district_id == district_id)
    return list(db.session.execute(query).scalars())


def assignees(slot_ids: list[int]) -> dict[int, list[dict]]:
    """Who is on each slot: id, name, unit."""
    if not slot_ids:
        return {}
    rows = db.session.execute(
        sa.select(assign_t.c.slot_id, users_t.c.id, users_t.c.name, users_t.c.unit_id, Unit.name.label("unit_name"))
        .join(users_t, users_t.c.id == assign_t.c.volunteer_id).outerjoin(Unit, Unit.id == users_t.c.unit_id)
        .where(assign_t.c.slot_id.in_(slot_ids)).order_by(assign_t.c.slot_id, assign_t.c.id)).all()
    grouped: dict[int, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row.slot_id, []).append({
            "volunteer_id": row.id, "name": row.name,
            "unit": {"id": row.unit_id, "name": row.unit_name} if row.unit_id else None})
    return grouped


def upcoming_for(volunteer_id: int, now: datetime, days: int = 30) -> list[dict]:
    """The volunteer's slots that have not ended, soonest first (the mini-program's 我的排班)."""
    rows = db.session.execute(
        sa.select(slots_t, Post.name.label("post_name"), Post.code.label("post_code"),
                  Post.latitude, Post.longitude)
        .join(assign_t, assign_t.c.slot_id == slots_t.c.id).join(Post, Post.id == slots_t.c.post_id)
        .where(assign_t.c.volunteer_id == volunteer_id, assign_t.c.starts_at < now + timedelta(days=days),
               assign_t.c.starts_at > now - timedelta(hours=MAX_SLOT_HOURS), assign_t.c.ends_at > now)
        .order_by(assign_t.c.starts_at)).mappings()
    return [dict(row) for row in rows]
