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
from typing import Callable, Iterable, Iterator

import sqlalchemy as sa

from server import permissions
from server.checkin import hours as rules
from server.records import report_periods as periods
from server.callers import Caller
from server.db import db
from server.errors import NotFound, ValidationError
from server.models import District, Post, Shift, Unit, User
from server.checkin.serialize import mask_phone

GROUPINGS = ("volunteer", "unit", "post", "district", "day", "week", "month")
# Ten years of days; longer ranges are a typo, not a report.
MAX_RANGE_DAYS = 3660

s = Shift.__table__.c
posts_t, units_t, users_t, districts_t = Post.__table__, Unit.__table__, User.__table__, District.__table__

METRICS = ("scanned_minutes", "manual_minutes", "credited_minutes", "hours", "shift_count", "persuasions",
           "questionnaires", "volunteers", "pending_shift_count", "pending_minutes")


@dataclass(frozen=True)
class Filters:
    unit_id: int | None = None
    district_id: int | None = None
    post_id: int | None = None

    def as_dict(self) -> dict:
        return {"unit_id": self.unit_id, "district_id": self.district_id, "post_id": self.post_id}


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


def check_filters(caller: Caller, filters: Filters) -> None:
    """A filter naming a unit, district or post outside the caller's scope is 404, like any row."""
    checks = (
        (filters.unit_id, units_t.c.id, permissions.unit_filter(caller), "单位"),
        (filters.district_id, districts_t.c.id, permissions.district_filter(caller), "片区"),
        (filters.post_id, posts_t.c.id, permissions.post_filter(caller), "岗位"),
    )
    for value, column, scope, what in checks:
        if value is None:
            continue
        found = db.session.execute(sa.select(column).where(column == value, scope)).first()
        if found is None:
            raise NotFound(f"找不到该{what}")


def shift_conditions(caller: Caller, first: date, last: date, filters: Filters) -> list:
    """The period, the caller's scope and the filters, as conditions on the shifts table."""
    conditions = [s.local_date >= first, s.local_date <= last, permissions.shift_filter(caller)]
    if filters.unit_id is not None:
        conditions.append(s.unit_id == filters.unit_id)
    if filters.post_id is not None:
        conditions.append(s.post_id == filters.post_id)
    if filters.district_id is not None:
        conditions.append(s.post_id.in_(
            sa.select(posts_t.c.id).where(posts_t.c.district_id == filters.district_id)))
    return conditions


# --- aggregates ------------------------------------------------------------------------

# Every report reads only finished shifts that are counted or pending; within those,
# "counted" is simply "not pending", one comparison per row instead of three.
_FINISHED = rules.finished(Shift.__table__)
_NOT_REJECTED = s.review_state.in_((*rules.COUNTED_REVIEW_STATES, "pending"))
_PENDING = s.review_state == "pending"
_COUNTED = s.review_state != "pending"
ADDITIVE = ("scanned_minutes", "manual_minutes", "shift_count", "persuasions", "questionnaires", "pending_shift_count",
            "pending_minutes")


def _metric_columns(*, distinct_volunteers: bool = True) -> list:
    """Aggregates over the rows of ``_FINISHED AND _NOT_REJECTED``."""

    def total(condition, value):
        return sa.func.coalesce(sa.func.sum(sa.case((condition, value), else_=0)), 0)

    columns = [
        total(sa.and_(_COUNTED, s.source == "scan"), s.credited_minutes).label("scanned_minutes"),
        total(sa.and_(_COUNTED, s.source != "scan"), s.credited_minutes).label("manual_minutes"),
        total(_COUNTED, 1).label("shift_count"),
        total(_COUNTED, s.persuasions).label("persuasions"),
        total(_COUNTED, s.questionnaires).label("questionnaires"),
        total(_PENDING, 1).label("pending_shift_count"),
        total(_PENDING, s.credited_minutes).label("pending_minutes"),
    ]
    if distinct_volunteers:
        columns.append(sa.func.count(sa.distinct(sa.case((_COUNTED, s.volunteer_id)))).label("volunteers"))
    return columns


def _figures(row) -> dict:
    """The flat numbers of one row (JSON numbers, hours with two decimals)."""

    def get(name):
        return int(getattr(row, name, 0) or 0) if row is not None else 0

    scanned, manual = get("scanned_minutes"), get("manual_minutes")
    return {
        "scanned_minutes": scanned,
        "manual_minutes": manual,
        "credited_minutes": scanned + manual,
        "hours": rules.as_hours(scanned + manual),
        "shift_count": get("shift_count"),
        "persuasions": get("persuasions"),
        "questionnaires": get("questionnaires"),
        "volunteers": get("volunteers"),
        "pending_shift_count": get("pending_shift_count"),
        "pending_minutes": get("pending_minutes"),
    }


def _as_totals(sums: dict, volunteers: int) -> dict:
    credited = sums["scanned_minutes"] + sums["manual_minutes"]
    return {"key": None, "name": "合计", "scanned_minutes": sums["scanned_minutes"],
            "manual_minutes": sums["manual_minutes"], "credited_minutes": credited,
            "hours": rules.as_hours(credited), "shift_count": sums["shift_count"],
            "persuasions": sums["persuasions"], "questionnaires": sums["questionnaires"], "volunteers": volunteers,
            "pending_shift_count": sums["pending_shift_count"], "pending_minutes": sums["pending_minutes"]}


def totals(caller: Caller, first: date, last: date, filters: Filters) -> dict:
    """The report's totals straight from the database."""
    conditions = shift_conditions(caller, first, last, filters)
    row = db.session.execute(
        sa.select(*_metric_columns()).where(_FINISHED, _NOT_REJECTED, *conditions)).first()
    return {"key": None, "name": "合计", **_figures(row)}


def _counted_volunteers(caller: Caller, first: date, last: date, filters: Filters) -> int:
    """Distinct volunteers with counted hours: the one total that rows cannot be summed into."""
    return db.session.execute(sa.select(sa.func.count(sa.distinct(s.volunteer_id))).where(
        _FINISHED, s.review_state.in_(rules.COUNTED_REVIEW_STATES),
        *shift_conditions(caller, first, last, filters))).scalar_one()


def _summed(rows: list[dict], volunteers: int) -> dict:
    return _as_totals({name: sum(r[name] for r in rows) for name in ADDITIVE}, volunteers)


def hours(caller: Caller, group_by: str, first: date, last: date, filters: Filters) -> HoursReport:
    """The hour report; ``rows`` is an iterator when grouping by volunteer (it may be long).

    Every shift falls in exactly one row, so totals are the rows' sums, except the
    number of distinct volunteers, which is asked for separately (or, by volunteer,
    counted from the rows)."""
    if group_by not in GROUPINGS:
        raise ValidationError(f"group_by 只能是 {'、'.join(GROUPINGS)} 之一", field="group_by")
    check_filters(caller, filters)
    if group_by == "volunteer":
        stream = _VolunteerRows(caller, first, last, filters)
        return HoursReport(first, last, group_by, filters, stream, stream.totals,
                           ("volunteer_id", "unit", "phone", "star_level"))
    if group_by in ("day", "week", "month"):
        rows, extra = _by_period(caller, group_by, first, last, filters), ()
    else:
        rows = _by_entity(caller, group_by, first, last, filters)
        extra = ("code", "district") if group_by == "post" else ()
    summed = _summed(rows, _counted_volunteers(caller, first, last, filters))
    return HoursReport(first, last, group_by, filters, rows, lambda: summed, extra)


# --- unit, post, district -----------------------------------------------------------------


def _by_entity(caller: Caller, group_by: str, first: date, last: date, filters: Filters) -> list[dict]:
    key = {"unit": s.unit_id, "post": s.post_id, "district": posts_t.c.district_id}[group_by]
    query = sa.select(key.label("key"), *_metric_columns()).where(
        _FINISHED, _NOT_REJECTED, *shift_conditions(caller, first, last, filters)).group_by(key)
    if group_by == "district":
        query = query.select_from(Shift.__table__.join(posts_t, posts_t.c.id == s.post_id))
    found = {row.key: row for row in db.session.execute(query)}
    names = _names(caller, group_by, set(found), filters)
    rows = []
    for key_value in set(found) | set(names):
        name, extra = names.get(key_value, ("（未登记单位）", {}))
        rows.append({"key": key_value, "name": name, **extra, **_figures(found.get(key_value))})
    rows.sort(key=lambda r: (r["name"], r["key"] if r["key"] is not None else 0))
    return rows


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


def _by_period(caller: Caller, group_by: str, first: date, last: date, filters: Filters) -> list[dict]:
    bucket = _bucket(group_by)
    query = sa.select(bucket.label("bucket"), *_metric_columns()).where(
        _FINISHED, _NOT_REJECTED, *shift_conditions(caller, first, last, filters)).group_by(bucket)
    found = {}
    for row in db.session.execute(query):
        key = str(row.bucket) if group_by == "month" else periods.as_date(row.bucket)
        found[key] = row
    rows = []
    for key, start, end in periods.buckets(group_by, first, last):
        lookup = start if group_by == "day" else key  # weeks by their Monday, months by "YYYY-MM"
        rows.append({"key": periods.bucket_key(group_by, key, start), "name": periods.bucket_name(group_by, start, end),
                     "from": start.isoformat(), "to": end.isoformat(), **_figures(found.get(lookup))})
    return rows


# --- volunteer -----------------------------------------------------------------------------


def _people_in_scope(caller: Caller, filters: Filters):
    """Registered, active volunteers who should appear even with zero hours."""
    condition = sa.and_(users_t.c.registered_at.isnot(None), users_t.c.status == "active",
                        permissions.volunteer_filter(caller))
    if filters.unit_id is not None:
        condition = sa.and_(condition, users_t.c.unit_id == filters.unit_id)
    return condition


class _VolunteerRows:
    """One row per volunteer, streamed from the cursor, adding up the totals on the way.

    One grouped pass over the volunteer-first covering index, in volunteer order (no sort):
    each person's finished shifts, the period's figures (those in the period, scope and
    filters) beside the lifetime minutes behind the star level (all of them). Reading the
    lifetime and the period apart costs a second pass, and a sort for the period's.
    """

    def __init__(self, caller: Caller, first: date, last: date, filters: Filters) -> None:
        self.caller, self.first, self.last, self.filters = caller, first, last, filters
        self.sums = dict.fromkeys(ADDITIVE, 0)
        self.volunteers = 0
        self.finished = False

    def totals(self) -> dict:
        if not self.finished:  # rows not read (yet): ask the database
            return totals(self.caller, self.first, self.last, self.filters)
        return _as_totals(self.sums, self.volunteers)

    def __iter__(self) -> Iterator[dict]:
        self.finished = False
        sums = [0] * 7
        volunteers = 0
        full_phone = permissions.sees_full_phone(self.caller)
        star_level, as_hours = rules.star_level, rules.as_hours
        result = db.session.execute(self._query().execution_options(yield_per=2000))
        for (vid, name, phone, unit_name, scanned, manual, shift_count, persuasions, questionnaires, pending_count,
             pending_minutes, lifetime) in result:
            if scanned is None:  # nothing finished, ever
                scanned = manual = shift_count = persuasions = questionnaires = pending_count = pending_minutes = 0
                lifetime = 0
            else:  # PostgreSQL's sums may come back as Decimal
                scanned, manual, shift_count, persuasions, questionnaires, pending_count, pending_minutes = (
                    int(scanned), int(manual), int(shift_count), int(persuasions), int(questionnaires),
                    int(pending_count), int(pending_minutes))
            sums[0] += scanned
            sums[1] += manual
            sums[2] += shift_count
            sums[3] += persuasions
            sums[4] += questionnaires
            sums[5] += pending_count
            sums[6] += pending_minutes
            served = 1 if shift_count else 0
            volunteers += served
            yield {
                "key": vid, "name": name, "volunteer_id": vid, "unit": unit_name,
                "phone": phone if full_phone else mask_phone(phone),
                "star_level": star_level(int(lifetime)),
                "scanned_minutes": scanned, "manual_minutes": manual, "credited_minutes": scanned + manual,
                "hours": as_hours(scanned + manual), "shift_count": shift_count, "persuasions": persuasions,
                "questionnaires": questionnaires, "volunteers": served, "pending_shift_count": pending_count,
                "pending_minutes": pending_minutes,
            }
        self.sums, self.volunteers, self.finished = dict(zip(ADDITIVE, sums)), volunteers, True

    def _query(self):
        caller, filters = self.caller, self.filters
        in_period = sa.and_(*shift_conditions(caller, self.first, self.last, filters))

        def period_total(condition, value):
            return sa.func.sum(sa.case((sa.and_(in_period, condition), value), else_=0))

        counted = s.review_state.in_(rules.COUNTED_REVIEW_STATES)
        per_person = (
            sa.select(
                s.volunteer_id.label("vid"),
                period_total(sa.and_(counted, s.source == "scan"), s.credited_minutes).label("scanned_minutes"),
                period_total(sa.and_(counted, s.source != "scan"), s.credited_minutes).label("manual_minutes"),
                period_total(counted, 1).label("shift_count"),
                period_total(counted, s.persuasions).label("persuasions"),
                period_total(counted, s.questionnaires).label("questionnaires"),
                period_total(_PENDING, 1).label("pending_shift_count"),
                period_total(_PENDING, s.credited_minutes).label("pending_minutes"),
                sa.func.sum(sa.case((counted, s.credited_minutes), else_=0)).label("lifetime"),
                sa.func.max(sa.case((sa.and_(in_period, _NOT_REJECTED), 1), else_=0)).label("served"),
            )
            .where(_FINISHED)
            .group_by(s.volunteer_id)
        )
        zero_hours = _people_in_scope(caller, filters)
        if not (caller.sees_everything and filters == Filters()):
            # Only the people this report can show: those in scope and those who served in it.
            people = sa.select(users_t.c.id).where(zero_hours).union(
                sa.select(s.volunteer_id).where(_FINISHED, _NOT_REJECTED, in_period))
            per_person = per_person.where(s.volunteer_id.in_(people))
        per_person = per_person.subquery("per_person")
        p = per_person.c
        return (
            sa.select(users_t.c.id, users_t.c.name, users_t.c.phone, units_t.c.name.label("unit_name"),
                      p.scanned_minutes, p.manual_minutes, p.shift_count, p.persuasions, p.questionnaires,
                      p.pending_shift_count, p.pending_minutes, p.lifetime)
            .select_from(users_t.outerjoin(per_person, p.vid == users_t.c.id)
                         .outerjoin(units_t, units_t.c.id == users_t.c.unit_id))
            .where(sa.or_(p.served == 1, zero_hours))
            .order_by(units_t.c.name, users_t.c.name, users_t.c.id)
        )
