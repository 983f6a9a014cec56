"""Deadlines: which problems are overdue, and each unit's on-time fix rate, for the weekly
bulletin and the unit rankings.

A problem is overdue on a day when its deadline (inclusive) has passed and the unit had not
reported it fixed by then; a fix sent back no longer counts as one. A unit's on-time rate over
a period: of the problems assigned to it whose deadline falls in the period and has either
passed or been met, the share fixed by the deadline (None when there are none).
"""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from server.clock import local_date
from server.db import db
from server.models import Post, Problem, ProblemCategory, Unit
from server.models.problems import UNIT_STATUSES

p = Problem.__table__.c


def as_of(last: date, today: date) -> date:
    """The day a period is judged on: the day after it ends, or today while it runs."""
    return min(last + timedelta(days=1), today)


def _fixed_on(fixed_at, tz) -> date | None:
    return local_date(fixed_at, tz) if fixed_at is not None else None


def on_time_by_unit(first: date, last: date, today: date, tz) -> dict[int, dict]:
    """{unit_id: {problems_due, problems_on_time, on_time_rate}} for units with problems due."""
    judged = as_of(last, today)
    rows = db.session.execute(sa.select(p.unit_id, p.deadline, p.fixed_at).where(
        p.status.in_(UNIT_STATUSES), p.deadline >= first, p.deadline <= last))
    figures: dict[int, dict] = {}
    for unit_id, deadline, fixed_at in rows:
        fixed_on = _fixed_on(fixed_at, tz)
        if fixed_on is None and deadline >= judged:
            continue  # it still has time
        row = figures.setdefault(unit_id, {"problems_due": 0, "problems_on_time": 0})
        row["problems_due"] += 1
        row["problems_on_time"] += fixed_on is not None and fixed_on <= deadline
    for row in figures.values():
        row["on_time_rate"] = round(row["problems_on_time"] / row["problems_due"], 4)
    return figures


def no_problems_due() -> dict:
    return {"problems_due": 0, "problems_on_time": 0, "on_time_rate": None}


def overdue_by_unit(day: date, tz) -> list[dict]:
    """Problems overdue on ``day``, grouped by unit (most overdue units first)."""
    rows = db.session.execute(
        sa.select(p.id, p.description, p.deadline, p.fixed_at, p.unit_id, Unit.name.label("unit_name"),
                  ProblemCategory.name.label("category"), Post.name.label("post_name"))
        .join(Unit, Unit.id == p.unit_id).join(ProblemCategory, ProblemCategory.id == p.category_id)
        .outerjoin(Post, Post.id == p.post_id)
        .where(p.status.in_(UNIT_STATUSES), p.deadline < day).order_by(p.deadline, p.id)).all()
    units: dict[int, dict] = {}
    for row in rows:
        fixed_on = _fixed_on(row.fixed_at, tz)
        if fixed_on is not None and fixed_on < day:
            continue
        unit = units.setdefault(row.unit_id, {"unit": {"id": row.unit_id, "name": row.unit_name}, "problems": []})
        unit["problems"].append({"id": row.id, "category": row.category, "description": row.description,
                                 "post": row.post_name, "deadline": row.deadline.isoformat(),
                                 "days_overdue": (day - row.deadline).days})
    return sorted(units.values(), key=lambda u: (-len(u["problems"]), u["unit"]["id"]))
