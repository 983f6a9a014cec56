"""The county's working-day calendar: public holidays and swapped working days (调休)."""
from __future__ import annotations

import sqlalchemy as sa

from server.db import UTCDateTime, db

KINDS = ("holiday", "workday")


class CalendarDay(db.Model):
    """A day that is not what its weekday says: a holiday on a weekday, or a working weekend day."""

    __tablename__ = "calendar_days"
    day = sa.Column(sa.Date, primary_key=True)
    kind = sa.Column(sa.String(16), nullable=False)
    name = sa.Column(sa.String(64))  # 国庆节, 国庆节调休...
    updated_at = sa.Column(UTCDateTime, nullable=False)

    __table_args__ = (sa.CheckConstraint("kind IN ('holiday', 'workday')", name="kind"),)
