"""Problems volunteers find at their posts (问题上报), and the units that must fix them (整改督办)."""
from __future__ import annotations

import sqlalchemy as sa

from server.db import UTCDateTime, db

PROBLEM_STATUSES = ("open", "assigned", "fixed", "verified", "rejected")
# Statuses in which a unit is responsible: the problem has a unit and a deadline.
UNIT_STATUSES = ("assigned", "fixed", "verified")
# Whether the reporter's one subscription message went out (see server/problems/notices.py).
NOTICE_STATES = ("none", "due", "sending", "sent", "refused", "failed", "unreachable", "no_openid")


class ProblemCategory(db.Model):
    """A kind of problem (交通秩序, 环境卫生...) and how many working days a unit gets to fix one."""

    __tablename__ = "problem_categories"
    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(20), nullable=False, unique=True)
    deadline_working_days = sa.Column(sa.Integer, nullable=False)
    position = sa.Column(sa.Integer, nullable=False, default=0)
    active = sa.Column(sa.Boolean, nullable=False, default=True)

    __table_args__ = (
        sa.CheckConstraint(sa.text("deadline_working_days BETWEEN 1 AND 60"), name="deadline_working_days"),
    )


class Problem(db.Model):
    """One report, from a volunteer's photo to the command office's acceptance of the fix.

    open -> assigned (a unit and a deadline) -> fixed (the unit's note and after photo)
    -> verified, or back to assigned with a reason; open or assigned -> rejected.
    The audit log (entity_type "problem") keeps every step with who and why.
    """

    __tablename__ = "problems"
    id = sa.Column(sa.Integer, primary_key=True)
    category_id = sa.Column(sa.Integer, sa.ForeignKey("problem_categories.id"), nullable=False)
    description = sa.Column(sa.String(500), nullable=False)
    latitude = sa.Column(sa.Float, nullable=False)  # GCJ-02, as wx.getLocation gives
    longitude = sa.Column(sa.Float, nullable=False)
    # The post it was found at: given, or the post of the reporter's open shift. Decides which
    # district coordinator sees it.
    post_id = sa.Column(sa.Integer, sa.ForeignKey("posts.id"), index=True)
    reporter_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=False)
    status = sa.Column(sa.String(16), nullable=False, default="open")
    unit_id = sa.Column(sa.Integer, sa.ForeignKey("units.id"))
    deadline = sa.Column(sa.Date)  # the county-local day by which the unit must fix it (inclusive)
    assigned_at = sa.Column(UTCDateTime)
    fix_note = sa.Column(sa.String(500))
    fix_photo_id = sa.Column(sa.Integer, sa.ForeignKey("photos.id", use_alter=True,
                                                       name="fk_problems_fix_photo_id_photos"))
    # When the current fix was reported; cleared when the fix is sent back, so "fixed on time"
    # always speaks of the fix that stands.
    fixed_at = sa.Column(UTCDateTime)
    closed_at = sa.Column(UTCDateTime)  # verified or rejected
    status_reason = sa.Column(sa.String(500))  # why it was sent back or rejected
    duplicate_of_id = sa.Column(sa.Integer, sa.ForeignKey("problems.id"))
    notify_reporter = sa.Column(sa.Boolean, nullable=False, default=False)
    notice_state = sa.Column(sa.String(16), nullable=False, default="none")
    # The phone's id for one report, sent again on a retry (the first answer may have been lost).
    client_request_id = sa.Column(sa.String(64))
    created_at = sa.Column(UTCDateTime, nullable=False)
    updated_at = sa.Column(UTCDateTime, nullable=False)

    __table_args__ = (
        # A retried report finds the problem it made instead of making another, even when the
        # retry arrives while the first is still being written.
        sa.Index("uq_problems_client_request", "reporter_id", "client_request_id", unique=True),
        sa.CheckConstraint(sa.text("status IN ('open','assigned','fixed','verified','rejected')"), name="status"),
        sa.CheckConstraint(
            sa.text("status NOT IN ('assigned','fixed','verified') OR (unit_id IS NOT NULL AND deadline IS NOT NULL)"),
            name="assigned_has_unit"),
        sa.CheckConstraint(sa.text("status NOT IN ('fixed','verified') OR fixed_at IS NOT NULL"), name="fixed_has_time"),
        sa.CheckConstraint(sa.text("latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180"),
                           name="coordinates"),
        sa.CheckConstraint(
            sa.text("notice_state IN ('none','due','sending','sent','refused','failed','unreachable','no_openid')"),
            name="notice_state"),
        # The follow-up lists (by status, by unit, overdue first) and the duplicate check.
        sa.Index("ix_problems_status_deadline", "status", "deadline"),
        sa.Index("ix_problems_unit_status", "unit_id", "status"),
        sa.Index("ix_problems_reporter_created", "reporter_id", "created_at"),
        sa.Index("ix_problems_category_created", "category_id", "created_at"),
    )
