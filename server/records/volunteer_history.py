"""One volunteer's record as a coordinator sees it: shifts in every state, hours by month, requests.

The volunteer must be in the caller's scope (404 otherwise, like any row); the
shifts listed are those the caller may see, so a district coordinator sees a
volunteer's shifts at the district's posts and nothing else.
"""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from server import permissions
from server.callers import Caller
from server.checkin import hours as rules
from server.checkin.shift_reads import LEADER_COLUMNS, SHIFT_COLUMNS, with_post_and_leader
from server.db import db
from server.models import CorrectionRequest, Post, Shift
from server.records import volunteers

shifts_t, posts_t, corrections_t = Shift.__table__, Post.__table__, CorrectionRequest.__table__
s = shifts_t.c


def shifts(caller: Caller, volunteer_id: int, *, limit: int = 100) -> list[dict]:
    """The newest shifts first, open, pending, rejected and voided ones included."""
    volunteers.get(caller, volunteer_id)
    rows = db.session.execute(
        with_post_and_leader(sa.select(*SHIFT_COLUMNS, *LEADER_COLUMNS))
        .where(s.volunteer_id == volunteer_id, permissions.shift_filter(caller))
        .order_by(s.started_at.desc(), s.id.desc()).limit(limit)).mappings().all()
    return [dict(r) for r in rows]


def months(caller: Caller, volunteer_id: int, today: date, count: int = 12) -> list[dict]:
    """Counted minutes for each of the last ``count`` months, newest first, zero months included."""
    volunteers.get(caller, volunteer_id)
    first = _month_start(today, count - 1)
    rows = db.session.execute(
        sa.select(s.local_date, s.credited_minutes, s.review_state)
        .where(s.volunteer_id == volunteer_id, permissions.shift_filter(caller), s.local_date >= first,
               rules.finished(shifts_t), s.review_state.in_((*rules.COUNTED_REVIEW_STATES, "pending")))).all()
    totals: dict[str, dict] = {}
    for back in range(count):
        key = _month_start(today, back).strftime("%Y-%m")
        totals[key] = {"month": key, "credited_minutes": 0, "pending_minutes": 0, "shift_count": 0}
    for local_day, minutes, state in rows:
        entry = totals.get(local_day.strftime("%Y-%m"))
        if entry is None:
            continue
        entry["pending_minutes" if state == "pending" else "credited_minutes"] += minutes or 0
        entry["shift_count"] += 1
    for entry in totals.values():
        entry["hours"] = rules.as_hours(entry["credited_minutes"])
    return list(totals.values())


def corrections(caller: Caller, volunteer_id: int, *, limit: int = 50) -> list[dict]:
    volunteers.get(caller, volunteer_id)
    rows = db.session.execute(
        sa.select(corrections_t, posts_t.c.name.label("post_name"), s.started_at)
        .join(shifts_t, s.id == corrections_t.c.shift_id).join(posts_t, posts_t.c.id == s.post_id)
        .where(corrections_t.c.volunteer_id == volunteer_id, permissions.shift_filter(caller))
        .order_by(corrections_t.c.id.desc()).limit(limit)).mappings().all()
    return [dict(r) for r in rows]


def _month_start(today: date, back: int) -> date:
    year, month = today.year, today.month - back
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)
