"""The days, weeks and months of an hour report grouped by period.

Every period touching the report's range is listed, empty ones included, and
clipped to the range; weeks run Monday to Sunday and are named by ISO week.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Iterator

from server.clock import weekday_name


def as_date(value) -> date:
    """A grouped day or week as a date: drivers hand back dates, datetimes or (SQLite) text."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def buckets(group_by: str, first: date, last: date) -> Iterator[tuple]:
    """Every day, week or month touching [first, last], clipped to it; empty ones included."""
    day = first
    while day <= last:
        if group_by == "day":
            end = day
            key = day
        elif group_by == "week":
            monday = day - timedelta(days=day.weekday())
            end = min(monday + timedelta(days=6), last)
            key = monday
            yield key, day, end
            day = end + timedelta(days=1)
            continue
        else:
            next_month = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
            end = min(next_month - timedelta(days=1), last)
            key = day.strftime("%Y-%m")
        yield key, day, end
        day = end + timedelta(days=1)


def bucket_key(group_by: str, key, start: date) -> str:
    if group_by == "week":
        year, week, _ = key.isocalendar()
        return f"{year}-W{week:02d}"
    if group_by == "day":
        return start.isoformat()
    return key


def bucket_name(group_by: str, start: date, end: date) -> str:
    if group_by == "day":
        return f"{start.isoformat()}（周{weekday_name(start)}）"
    if group_by == "week":
        return f"{start.isoformat()}～{end.strftime('%m-%d')}"
    return f"{start.year}年{start.month}月"
