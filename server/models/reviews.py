"""Volunteers' requests to correct a shift or record a missing one (办法 Art 13)."""
from __future__ import annotations

import sqlalchemy as sa

from server.db import UTCDateTime, db

CORRECTION_KINDS = ("correction", "missing")
CORRECTION_STATUSES = ("pending", "resolved")


class CorrectionRequest(db.Model):
    """A volunteer's request; the shift it concerns waits in the review queue meanwhile.

    A missing-shift request creates a manual shift pending review, so the
    request always points at a shift and a coordinator decides on it with the
    same approve / adjust / reject as any flagged shift.
    """

    __tablename__ = "correction_requests"
    id = sa.Column(sa.Integer, primary_key=True)
    shift_id = sa.Column(sa.Integer, sa.ForeignKey("shifts.id"), nullable=False, index=True)
    volunteer_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True)
    kind = sa.Column(sa.String(16), nullable=False)
    reason = sa.Column(sa.String(500), nullable=False)
    proposed_ended_at = sa.Column(UTCDateTime)
    proposed_minutes = sa.Column(sa.Integer)
    status = sa.Column(sa.String(16), nullable=False, default="pending")
    created_at = sa.Column(UTCDateTime, nullable=False)
    resolved_at = sa.Column(UTCDateTime)
    resolved_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    resolution = sa.Column(sa.String(16))  # the decision that resolved it: approve|adjust|reject|void

    __table_args__ = (
        sa.CheckConstraint(sa.text("kind IN ('correction','missing')"), name="kind"),
        sa.CheckConstraint(sa.text("status IN ('pending','resolved')"), name="status"),
        sa.CheckConstraint(sa.text("proposed_minutes IS NULL OR proposed_minutes >= 0"), name="minutes"),
        # One open request per shift: a second one while the first waits is refused.
        sa.Index("uq_correction_requests_one_pending", "shift_id", unique=True,
                 sqlite_where=sa.text("status = 'pending'"),
                 postgresql_where=sa.text("status = 'pending'")),
    )
