"""Working days in the county: Monday to Friday, corrected by the calendar on record.

Each December the State Council publishes the next year's public holidays and
the weekend days swapped into working days (调休); an administrator enters them
with ``flask --app server calendar set``. The 办法's "10 working days" for
adding a record by hand (server/records/manual_shifts.py) counts by this calendar; a
year nobody entered counts Monday to Friday.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Mapping

import sqlalchemy as sa

from server.db import db
from server.errors import ValidationError
from server.models import CalendarDay
from server.models.calendar import KINDS

days_t = CalendarDay.__table__
MAX_RANGE_DAYS = 62  # a holiday with its swapped days fits; a longer range is a typo


def working_days_since(day: date, today: date, calendar: Mapping[date, str] | None = None) -> int:
    """Working days after ``day`` up to and including ``today``."""
    if today <= day:
        return 0
    full_weeks, rest = divmod((today - day).days, 7)
    count = full_weeks * 5 + sum(1 for offset in range(1, rest + 1)
                                 if (day + timedelta(days=offset)).weekday() < 5)
    for when, kind in (calendar or {}).items():  # only the days that differ from their weekday
        if day < when <= today and (kind == "workday") != (when.weekday() < 5):
            count += 1 if kind == "workday" else -1
    return count


def on_record(first: date, last: date) -> dict[date, str]:
    """{day: kind} for the entered days from ``first`` to ``last``."""
    rows = db.session.execute(sa.select(days_t.c.day, days_t.c.kind)
                              .where(days_t.c.day >= first, days_t.c.day <= last))
    return {row.day: row.kind for row in rows}


def working_days_since_on_record(day: date, today: date) -> int:
    return working_days_since(day, today, on_record(day, today) if today > day else {})


def add_working_days(day: date, count: int) -> date:
    """The ``count``-th working day after ``day`` by the calendar on record (a deadline of
    3 working days set on a Friday falls on Wednesday, later around a holiday)."""
    # Holidays and weekends never make up more than half of a stretch this long.
    calendar = on_record(day, day + timedelta(days=count * 3 + 21))
    current = day
    while count > 0:
        current += timedelta(days=1)
        kind = calendar.get(current)
        if kind == "workday" or (kind is None and current.weekday() < 5):
            count -= 1
    return current


def as_json(row: CalendarDay) -> dict:
    return {"date": row.day.isoformat(), "kind": row.kind, "name": row.name}


def year_of(text: str) -> int | None:
    """A year asked for in a query string (2026), or None for anything else."""
    text = text.strip()
    return int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else None


def entered(year: int | None = None) -> list[CalendarDay]:
    query = sa.select(CalendarDay).order_by(CalendarDay.day)
    if year is not None:
        query = query.where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
    return list(db.session.execute(query).scalars())


def _days(first: date, last: date) -> list[date]:
    if last < first:
        raise ValidationError("结束日期不能早于开始日期", field="to")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise ValidationError(f"一次最多设置 {MAX_RANGE_DAYS} 天", field="to")
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def enter(first: date, last: date, kind: str, name: str | None, now: datetime) -> list[CalendarDay]:
    """Mark every day from ``first`` to ``last`` as a holiday or a working day, replacing what was
    entered for them. Holidays may cover a weekend (a holiday's full span reads naturally);
    a swapped working day must be a Saturday or Sunday."""
    if kind not in KINDS:
        raise ValidationError("类型只能是 holiday（节假日）或 workday（调休上班）", field="kind")
    days = _days(first, last)
    if kind == "workday":
        weekdays = [d for d in days if d.weekday() < 5]
        if weekdays:
            raise ValidationError(f"{weekdays[0].isoformat()} 本来就是工作日，调休上班只能设在周六、周日",
                                  field="from")
    name = (name or "").strip()[:64] or None
    db.session.execute(sa.delete(days_t).where(days_t.c.day >= first, days_t.c.day <= last))
    rows = [CalendarDay(day=d, kind=kind, name=name, updated_at=now) for d in days]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def clear(first: date, last: date) -> int:
    """Forget what was entered for these days; they count by their weekday again."""
    _days(first, last)
    removed = db.session.execute(sa.delete(days_t).where(days_t.c.day >= first, days_t.c.day <= last)).rowcount
    db.session.commit()
    return removed
