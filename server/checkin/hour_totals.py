"""A volunteer's own hour totals (the mini-program's 我的时长)."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from server.checkin import hours
from server.db import db
from server.models import GroupCheckin, Shift, User

shifts_t = Shift.__table__
groups_t, users_t = GroupCheckin.__table__, User.__table__


def _counted():
    return sa.and_(hours.finished(shifts_t),
                   shifts_t.c.review_state.in_(hours.COUNTED_REVIEW_STATES))


def lifetime_minutes(user_id: int) -> int:
    return db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(shifts_t.c.credited_minutes), 0))
        .where(shifts_t.c.volunteer_id == user_id, _counted())).scalar_one()


def volunteer_totals(user_id: int, first: date | None, last: date | None) -> dict:
    """Credited minutes in [first, last] (local dates, inclusive), by month, plus the star level."""
    conditions = [shifts_t.c.volunteer_id == user_id, shifts_t.c.status != "voided"]
    if first is not None:
        conditions.append(shifts_t.c.local_date >= first)
    if last is not None:
        conditions.append(shifts_t.c.local_date <= last)
    rows = db.session.execute(
        sa.select(shifts_t.c.local_date, shifts_t.c.credited_minutes, shifts_t.c.status,
                  shifts_t.c.review_state).where(*conditions)).all()
    months: dict[str, dict] = {}
    total = count = pending_minutes = pending_count = 0
    for row in rows:
        if row.status == "open":
            continue
        if row.review_state == "pending":
            pending_minutes += row.credited_minutes
            pending_count += 1
            continue
        if row.review_state == "rejected":
            continue
        key = row.local_date.strftime("%Y-%m")
        month = months.setdefault(key, {"month": key, "credited_minutes": 0, "shift_count": 0})
        month["credited_minutes"] += row.credited_minutes
        month["shift_count"] += 1
        total += row.credited_minutes
        count += 1
    for month in months.values():
        month["hours"] = hours.as_hours(month["credited_minutes"])
    lifetime = lifetime_minutes(user_id)
    by_leader = _by_leader(conditions)
    return ({"by_leader": by_leader} if by_leader else {}) | {
        "from": first.isoformat() if first else None,
        "to": last.isoformat() if last else None,
        "credited_minutes": total,
        "hours": hours.as_hours(total),
        "shift_count": count,
        "pending_minutes": pending_minutes,
        "pending_shift_count": pending_count,
        "months": [months[k] for k in sorted(months)],
        "lifetime_minutes": lifetime,
        "lifetime_hours": hours.as_hours(lifetime),
        "star_level": hours.star_level(lifetime),
        "next_star": hours.next_star(lifetime),
    }


def _by_leader(conditions: list) -> list[dict]:
    """Of the counted minutes, those post leaders checked in from the volunteer's card, by leader
    ("岗长代签：<name>"); empty for a volunteer who always scanned for themselves."""
    rows = db.session.execute(
        sa.select(users_t.c.name, sa.func.sum(shifts_t.c.credited_minutes), sa.func.count())
        .select_from(shifts_t.join(groups_t, groups_t.c.shift_id == shifts_t.c.id)
                     .join(users_t, users_t.c.id == groups_t.c.leader_id))
        .where(*conditions, _counted()).group_by(users_t.c.id, users_t.c.name).order_by(users_t.c.name)).all()
    return [{"leader_name": name, "credited_minutes": int(minutes or 0), "shift_count": count}
            for name, minutes, count in rows]
