"""Reading shifts: one shift with its post's name and code, a volunteer's own shifts and open shift.
The scan path (shifts.py) writes them; records and the mini-program read them through here."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from server.callers import Caller
from server.db import db
from server.errors import NotFound
from server.models import GroupCheckin, Post, Shift, User

shifts_t = Shift.__table__
posts_t = Post.__table__
groups_t = GroupCheckin.__table__
leaders_t = User.__table__.alias("leader")

SHIFT_COLUMNS = (*shifts_t.c, posts_t.c.name.label("post_name"), posts_t.c.code.label("post_code"))
# Who checked the member in, for a shift a post leader started (source 'leader').
LEADER_COLUMNS = (groups_t.c.leader_id, leaders_t.c.name.label("leader_name"), groups_t.c.photo_id.label("group_photo_id"))


def with_post_and_leader(select: sa.Select) -> sa.Select:
    return (select.join(posts_t, posts_t.c.id == shifts_t.c.post_id)
            .outerjoin(groups_t, groups_t.c.shift_id == shifts_t.c.id)
            .outerjoin(leaders_t, leaders_t.c.id == groups_t.c.leader_id))


def select_one(*conditions) -> dict | None:
    row = db.session.execute(
        with_post_and_leader(sa.select(*SHIFT_COLUMNS, *LEADER_COLUMNS)).where(*conditions)
    ).mappings().first()
    return dict(row) if row is not None else None


def get_own(caller: Caller, shift_id: int) -> dict:
    shift = select_one(shifts_t.c.id == shift_id, shifts_t.c.volunteer_id == caller.id)
    if shift is None:
        raise NotFound("找不到该上岗记录")
    return shift


def open_shift_of(user_id: int) -> dict | None:
    return select_one(shifts_t.c.volunteer_id == user_id, shifts_t.c.status == "open")


def list_own(caller: Caller, *, before: tuple[datetime, int] | None, limit: int) -> list[dict]:
    """The caller's shifts, newest first; ``before`` is the keyset cursor (started_at, id)."""
    query = (with_post_and_leader(sa.select(*SHIFT_COLUMNS, *LEADER_COLUMNS))
             .where(shifts_t.c.volunteer_id == caller.id)
             .order_by(shifts_t.c.started_at.desc(), shifts_t.c.id.desc()).limit(limit))
    if before is not None:
        started, shift_id = before
        query = query.where(sa.or_(shifts_t.c.started_at < started,
                                   sa.and_(shifts_t.c.started_at == started, shifts_t.c.id < shift_id)))
    return [dict(row) for row in db.session.execute(query).mappings()]
