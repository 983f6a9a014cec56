"""Hour totals for the console: grouped, filtered, and always within the caller's scope.

What counts (server/checkin/hours.py): closed and auto-closed shifts whose review state
is none, approved or adjusted. Pending shifts (flagged, not yet reviewed) are
reported apart and never in ``credited_minutes``; rejected, voided and open
shifts appear nowhere. Minutes from scans and minutes added by hand (source
``manual``) are kept in separate columns; ``credited_minutes`` is their sum.

Periods are inclusive county-local dates; a shift belongs to the local date it
started on. Rows come out as an iterator so an export of 100,000 of them
streams from the database cursor to the file without being held in memory.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Callable, Iterable

import sqlalchemy as sa

from server import permissions
from server.checkin.hours import COUNTED_REVIEW_STATES
from server.records import report_periods as periods
from server.records.report_terms import (ADDITIVE, FINISHED, METRICS, NOT_REJECTED, Filters, as_totals,  # noqa: F401
                                         check_filters, figures, metric_columns, s, shift_conditions, totals)
from server.records.volunteer_hours import VolunteerRows
from server.callers import Caller
from server.db import db
from server.errors import ValidationError
from server.models import District, Post, Shift, Unit

GROUPINGS = ("volunteer", "unit", "post", "district", "day", "week", "month")
# Ten years of days; longer ranges are a typo, not a report.
MAX_RANGE_DAYS = 3660

posts_t, units_t, districts_t = Post.__table__, Unit.__table__, District.__table__


@dataclass
class HoursReport:
    """``rows`` may be a one-pass iterator; read ``totals`` after the rows when streaming them
    (they are then added up on the way instead of asking the database a second time)."""

    first: date
    last: date
    group_by: str
    filters: Filters
    rows: Iterable[dict]
    totals_of: Callable[[], dict]
    extra_columns: tuple[str, ...] = field(default=())

    @property
    def totals(self) -> dict:
        return self.totals_of()

    def as_json(self) -> dict:
        rows = list(self.rows)
        return {"from": self.first.isoformat(), "to": self.last.isoformat(), "group_by": self.group_by,
                "filters": self.filters.as_dict(), "rows": rows, "totals": self.totals}


# --- periods and filters ---------------------------------------------------------------


def period(first: date | None, last: date | None, today: date) -> tuple[date, date]:
    """Inclusive local dates; each missing end defaults to the current local month."""
    month_start = today.replace(day=1)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    first = first or month_start
    last = last or (next_month - timedelta(days=1))
    if first > last:
        raise ValidationError("开始日期不能晚于结束日期", field="from")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise ValidationError("查询范围不能超过十年", field="to")
    return first, last


def _grouped(caller: Caller, key, first: date, last: date, filters: Filters, source=None) -> tuple[dict, int]:
    """The figures by ``key``, and the distinct volunteers with counted hours over all of them
    (the one total the rows cannot be summed into). Two statements, each one pass over the
    period on the date-first covering index: counting the distinct people inside the grouped
    pass (per key and volunteer first, then per key and over everything) costs more than a
    second pass does."""
    conditions = [FINISHED, NOT_REJECTED, *shift_conditions(caller, first, last, filters)]
    query = sa.select(key.label("key"), *metric_columns()).where(*conditions).group_by(key)
    if source is not None:
        query = query.select_from(source)
    found = {row.key: row for row in db.session.execute(query)}
    volunteers = db.session.execute(sa.select(sa.func.count(sa.distinct(s.volunteer_id))).where(
        FINISHED, s.review_state.in_(COUNTED_REVIEW_STATES),
        *shift_conditions(caller, first, last, filters))).scalar_one()
    return found, volunteers


def _summed(rows: list[dict], volunteers: int) -> dict:
    return as_totals({name: sum(r[name] for r in rows) for name in ADDITIVE}, volunteers)


def hours(caller: Caller, group_by: str, first: date, last: date, filters: Filters) -> HoursReport:
    """The hour report; ``rows`` is an iterator when grouping by volunteer (it may be long).

    Every shift falls in exactly one row, so totals are the rows' sums, except the
    number of distinct volunteers, which is asked for separately (or, by volunteer,
    counted from the rows)."""
    if group_by not in GROUPINGS:
        raise ValidationError(f"group_by 只能是 {'、'.join(GROUPINGS)} 之一", field="group_by")
    check_filters(caller, filters)
    if group_by == "volunteer":
        stream = VolunteerRows(caller, first, last, filters)
        return HoursReport(first, last, group_by, filters, stream, stream.totals,
                           ("volunteer_id", "unit", "phone", "star_level"))
    if group_by in ("day", "week", "month"):
        (rows, volunteers), extra = _by_period(caller, group_by, first, last, filters), ()
    else:
        rows, volunteers = _by_entity(caller, group_by, first, last, filters)
        extra = ("code", "district") if group_by == "post" else ()
    summed = _summed(rows, volunteers)
    return HoursReport(first, last, group_by, filters, rows, lambda: summed, extra)


# --- unit, post, district -----------------------------------------------------------------


def _by_entity(caller: Caller, group_by: str, first: date, last: date, filters: Filters) -> tuple[list[dict], int]:
    key = {"unit": s.unit_id, "post": s.post_id, "district": posts_t.c.district_id}[group_by]
    source = Shift.__table__.join(posts_t, posts_t.c.id == s.post_id) if group_by == "district" else None
    found, volunteers = _grouped(caller, key, first, last, filters, source)
    names = _names(caller, group_by, set(found), filters)
    rows = []
    for key_value in set(found) | set(names):
        name, extra = names.get(key_value, ("（未登记单位）", {}))
        rows.append({"key": key_value, "name": name, **extra, **figures(found.get(key_value))})
    rows.sort(key=lambda r: (r["name"], r["key"] if r["key"] is not None else 0))
    return rows, volunteers


def _names(caller: Caller, group_by: str, keys: set, filters: Filters) -> dict:
    """Names of the grouped rows; units in scope with no hours are added so idle units show."""
    keys = {k for k in keys if k is not None}
    if group_by == "unit":
        wanted = units_t.c.id.in_(keys)
        if filters.unit_id is not None:
            wanted = sa.or_(wanted, units_t.c.id == filters.unit_id)
        else:
            wanted = sa.or_(wanted, permissions.unit_filter(caller))
        rows = db.session.execute(sa.select(units_t.c.id, units_t.c.name).where(wanted))
        return {r.id: (r.name, {}) for r in rows}
    if group_by == "district":
        rows = db.session.execute(sa.select(districts_t.c.id, districts_t.c.name)
                                  .where(districts_t.c.id.in_(keys)))
        return {r.id: (r.name, {}) for r in rows}
    rows = db.session.execute(
        sa.select(posts_t.c.id, posts_t.c.name, posts_t.c.code, districts_t.c.name.label("district"))
        .join(districts_t, districts_t.c.id == posts_t.c.district_id).where(posts_t.c.id.in_(keys)))
    return {r.id: (r.name, {"code": r.code, "district": r.district}) for r in rows}


# --- day, week, month ------------------------------------------------------------------------


def _bucket(group_by: str):
    """The SQL expression of a shift's day, week (its Monday) or month, per dialect."""
    if group_by == "day":
        return s.local_date
    postgres = db.engine.dialect.name == "postgresql"
    if group_by == "month":
        return sa.func.to_char(s.local_date, "YYYY-MM") if postgres else sa.func.strftime("%Y-%m", s.local_date)
    if postgres:
        return sa.cast(sa.func.date_trunc("week", s.local_date), sa.Date)
    return sa.func.date(s.local_date, "weekday 0", "-6 days")  # the Monday on or before


def _by_period(caller: Caller, group_by: str, first: date, last: date, filters: Filters) -> tuple[list[dict], int]:
    grouped, volunteers = _grouped(caller, _bucket(group_by), first, last, filters)
    found = {}
    for bucket, row in grouped.items():
        key = str(bucket) if group_by == "month" else periods.as_date(bucket)
        found[key] = row
    rows = []
    for key, start, end in periods.buckets(group_by, first, last):
        lookup = start if group_by == "day" else key  # weeks by their Monday, months by "YYYY-MM"
        rows.append({"key": periods.bucket_key(group_by, key, start), "name": periods.bucket_name(group_by, start, end),
                     "from": start.isoformat(), "to": end.isoformat(), **figures(found.get(lookup))})
    return rows, volunteers
