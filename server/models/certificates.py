"""Service-hour certificates (志愿服务时长证明) as issued: numbered, registered, checkable."""
from __future__ import annotations

import sqlalchemy as sa

from server.db import UTCDateTime, db


class Certificate(db.Model):
    """The figures printed on one certificate, frozen at issue.

    The verification page reads this row, so a paper whose figures were
    altered after printing disagrees with what the QR code shows.
    """

    __tablename__ = "certificates"
    id = sa.Column(sa.Integer, primary_key=True)
    volunteer_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=False)
    period_from = sa.Column(sa.Date, nullable=False)
    period_to = sa.Column(sa.Date, nullable=False)
    credited_minutes = sa.Column(sa.Integer, nullable=False)
    scanned_minutes = sa.Column(sa.Integer, nullable=False)
    manual_minutes = sa.Column(sa.Integer, nullable=False)
    # Of the scanned minutes, those a post leader checked in from the volunteer's card, and the
    # leaders' names as printed ("岗长代签：..."); 0 and NULL when none.
    leader_minutes = sa.Column(sa.Integer, nullable=False, default=0, server_default="0")
    leader_names = sa.Column(sa.String(100))
    shift_count = sa.Column(sa.Integer, nullable=False)
    star_level = sa.Column(sa.Integer, nullable=False)
    volunteer_name = sa.Column(sa.String(50), nullable=False)
    unit_name = sa.Column(sa.String(100))
    organisation = sa.Column(sa.String(100), nullable=False)
    issued_on = sa.Column(sa.Date, nullable=False)  # county-local date printed on the paper
    issued_at = sa.Column(UTCDateTime, nullable=False)
    issued_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))  # NULL: the volunteer's own download

    __table_args__ = (
        sa.Index("ix_certificates_volunteer_issued", "volunteer_id", "issued_on"),
        sa.CheckConstraint(sa.text("period_from <= period_to"), name="period"),
    )

    @property
    def number(self) -> str:
        """证明编号, e.g. 2026-000123: the year issued and the register's serial."""
        return f"{self.issued_on.year}-{self.id:06d}"
