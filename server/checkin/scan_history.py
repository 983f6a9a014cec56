"""What the location signals (location_signals.py) need to know of earlier scans.

Indexed reads on the scan path, prepared like the rest of it (fastsql.py): the volunteer's
latest scan, and whether anyone scanned at the same point on another day. A scan-in asks both
in one statement (`start_history`); a scan-out asks the second inside the statement that reads
the shift (`seen_on_another_day`): on PostgreSQL every statement is a round trip.
"""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from server.checkin import location_signals as signals
from server.fastsql import Prepared
from server.models import Shift

shifts_t = Shift.__table__
c = shifts_t.c

# ix_shifts_volunteer_started: the newest shift with a scanned start (manual shifts have none).
_LATEST = (
    sa.select(c.started_at, c.start_lat, c.start_lng, c.start_accuracy,
              c.ended_at, c.end_lat, c.end_lng, c.end_accuracy)
    .where(c.volunteer_id == sa.bindparam("volunteer_id"), c.start_lat.is_not(None))
    .order_by(c.started_at.desc(), c.id.desc()).limit(1)
    .subquery("latest"))


def seen_on_another_day(point, day):
    """Whether any scan, start or end, was at ``point`` (a bind parameter) on a day other than
    ``day`` (a bind parameter or the outer statement's column). Seeks in ix_shifts_start_point /
    ix_shifts_end_point (point, local_date): days before, then after. Not ``local_date <>``:
    that would walk every scan at the point on the same day."""
    seen = shifts_t.alias("seen")
    return sa.or_(*(sa.exists().where(column == point, seen.c.local_date < day) for column in
                    (seen.c.start_point, seen.c.end_point)),
                  *(sa.exists().where(column == point, seen.c.local_date > day) for column in
                    (seen.c.start_point, seen.c.end_point)))


# One row whether or not the volunteer scanned before: the point check, and the latest scan if any.
_START_HISTORY = Prepared(
    sa.select(seen_on_another_day(sa.bindparam("point", type_=sa.BigInteger),
                                  sa.bindparam("local_date", type_=sa.Date)).label("seen"), *_LATEST.c)
    .select_from(sa.select(sa.literal(1).label("one")).subquery("one").outerjoin(_LATEST, sa.true())))


def _fix(row) -> signals.Fix | None:
    if row["start_lat"] is None:  # no scanned shift before (the outer join's empty side)
        return None
    if row["end_lat"] is not None:
        return signals.Fix(row["end_lat"], row["end_lng"], row["end_accuracy"], row["ended_at"])
    return signals.Fix(row["start_lat"], row["start_lng"], row["start_accuracy"], row["started_at"])


def start_history(volunteer_id: int, point: int, local_date: date) -> tuple[signals.Fix | None, bool]:
    """What a scan-in's signals need, in one statement: the volunteer's last scanned position
    (the end of the latest shift, or its start while it is open or was closed without an end
    scan), and whether anyone scanned at the same point (to 6 decimals) on another day."""
    row = _START_HISTORY.first({"volunteer_id": volunteer_id, "point": point, "local_date": local_date})
    return _fix(row), bool(row["seen"])
