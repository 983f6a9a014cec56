"""What the location signals (location_signals.py) need to know of earlier scans.

Two indexed reads on the scan path, prepared like the rest of it (fastsql.py): the
volunteer's latest scan, and whether anyone scanned at the same point on another day.
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
_LATEST_SCANNED = Prepared(
    sa.select(c.started_at, c.start_lat, c.start_lng, c.start_accuracy,
              c.ended_at, c.end_lat, c.end_lng, c.end_accuracy)
    .where(c.volunteer_id == sa.bindparam("volunteer_id"), c.start_lat.is_not(None))
    .order_by(c.started_at.desc(), c.id.desc()).limit(1))


def _seen(point):
    """Seeks in ix_shifts_start_point / ix_shifts_end_point (point, local_date): days before, then after.
    Not ``local_date <>``: that would walk every scan at the point on the same day."""
    day = sa.bindparam("local_date", type_=sa.Date)
    return (sa.exists().where(point == sa.bindparam("point", type_=sa.BigInteger), c.local_date < day),
            sa.exists().where(point == sa.bindparam("point", type_=sa.BigInteger), c.local_date > day))


_POINT_SEEN = Prepared(sa.select(sa.or_(*_seen(c.start_point), *_seen(c.end_point))))


def previous_fix(volunteer_id: int) -> signals.Fix | None:
    """The volunteer's last scanned position: the end of the latest shift, or its start while
    it is open (or was closed without an end scan)."""
    row = _LATEST_SCANNED.first({"volunteer_id": volunteer_id})
    if row is None:
        return None
    if row["end_lat"] is not None:
        return signals.Fix(row["end_lat"], row["end_lng"], row["end_accuracy"], row["ended_at"])
    return signals.Fix(row["start_lat"], row["start_lng"], row["start_accuracy"], row["started_at"])


def point_seen_on_another_day(point: int, local_date: date) -> bool:
    """Anyone's scan, start or end, at the same point to 6 decimals (location_signals.point_key)
    on another day."""
    row = _POINT_SEEN.first({"point": point, "local_date": local_date})
    return bool(row and next(iter(row.values())))
