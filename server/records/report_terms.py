"""What every hour report shares: its filters, the caller's scope, which shifts count, the figures of a row.

What counts (server/checkin/hours.py): closed and auto-closed shifts whose review state
is none, approved or adjusted. Pending shifts (flagged, not yet reviewed) are
reported apart and never in ``credited_minutes``; rejected, voided and open
shifts appear nowhere. Minutes from scans and minutes added by hand (source
``manual``) are kept in separate columns; ``credited_minutes`` is their sum.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from server import permissions
from server.checkin import hours as rules
from server.callers import Caller
from server.db import db
from server.errors import NotFound
from server.models import District, Post, Shift, Unit

s = Shift.__table__.c
posts_t, units_t, districts_t = Post.__table__, Unit.__table__, District.__table__

METRICS = ("scanned_minutes", "manual_minutes", "credited_minutes", "hours", "shift_count", "persuasions",
           "questionnaires", "volunteers", "pending_shift_count", "pending_minutes")


SOURCES = ("scan", "manual", "leader")  # how a shift came to be: a scan, added by hand, a post leader's card


@dataclass(frozen=True)
class Filters:
    unit_id: int | None = None
    district_id: int | None = None
    post_id: int | None = None
    source: str | None = None  # scan | manual | leader (a post leader's check-in from a card)

    def as_dict(self) -> dict:
        return {"unit_id": self.unit_id, "district_id": self.district_id, "post_id": self.post_id,
                "source": self.source}


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
    if filters.source is not None:
        conditions.append(s.source == filters.source)
    if filters.district_id is not None:
        conditions.append(s.post_id.in_(
            sa.select(posts_t.c.id).where(posts_t.c.district_id == filters.district_id)))
    return conditions


# --- aggregates ------------------------------------------------------------------------

# Every report reads only finished shifts that are counted or pending; within those,
# "counted" is simply "not pending", one comparison per row instead of three.
FINISHED = rules.finished(Shift.__table__)
NOT_REJECTED = s.review_state.in_((*rules.COUNTED_REVIEW_STATES, "pending"))
PENDING = s.review_state == "pending"
COUNTED = s.review_state != "pending"
ADDITIVE = ("scanned_minutes", "manual_minutes", "shift_count", "persuasions", "questionnaires", "pending_shift_count",
            "pending_minutes")


def metric_columns(*, distinct_volunteers: bool = True) -> list:
    """Aggregates over the rows of ``FINISHED AND NOT_REJECTED``."""

    def total(condition, value):
        return sa.func.coalesce(sa.func.sum(sa.case((condition, value), else_=0)), 0)

    columns = [
        # A post leader's check-in from a card is a scanned record too (issue 21), only by another phone.
        total(sa.and_(COUNTED, s.source.in_(("scan", "leader"))), s.credited_minutes).label("scanned_minutes"),
        total(sa.and_(COUNTED, s.source.not_in(("scan", "leader"))), s.credited_minutes).label("manual_minutes"),
        total(COUNTED, 1).label("shift_count"),
        total(COUNTED, s.persuasions).label("persuasions"),
        total(COUNTED, s.questionnaires).label("questionnaires"),
        total(PENDING, 1).label("pending_shift_count"),
        total(PENDING, s.credited_minutes).label("pending_minutes"),
    ]
    if distinct_volunteers:
        columns.append(sa.func.count(sa.distinct(sa.case((COUNTED, s.volunteer_id)))).label("volunteers"))
    return columns


def figures(row) -> dict:
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


def as_totals(sums: dict, volunteers: int) -> dict:
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
        sa.select(*metric_columns()).where(FINISHED, NOT_REJECTED, *conditions)).first()
    return {"key": None, "name": "合计", **figures(row)}
