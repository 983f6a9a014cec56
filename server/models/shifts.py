"""When: shifts on duty, and the append-only audit log of changes."""
from __future__ import annotations

import sqlalchemy as sa

from server.db import UTCDateTime, db

SHIFT_STATUSES = ("open", "closed", "auto_closed", "voided")
# none: nothing to review; pending: flagged and waiting for a coordinator;
# approved/adjusted/rejected: a coordinator decided (audit_log says who and why).
REVIEW_STATES = ("none", "pending", "approved", "adjusted", "rejected")

# Shifts whose credited minutes count as hours served.
COUNTED_STATUSES = ("closed", "auto_closed")
# The same, as SQL. The report indexes are partial on exactly this term (a scan-in, the
# hot path, then never touches them), and SQLite uses a partial index only when a query
# repeats its WHERE term verbatim: a bound parameter would not do. See server.checkin.hours.finished().
FINISHED_SQL = "status IN (" + ", ".join(f"'{status}'" for status in COUNTED_STATUSES) + ")"


class Shift(db.Model):
    __tablename__ = "shifts"
    id = sa.Column(sa.Integer, primary_key=True)
    volunteer_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=False)
    # The unit the volunteer served for at the time; reports count hours here even
    # if the volunteer later moves to another unit.
    unit_id = sa.Column(sa.Integer, sa.ForeignKey("units.id"))
    post_id = sa.Column(sa.Integer, sa.ForeignKey("posts.id"), nullable=False)
    status = sa.Column(sa.String(16), nullable=False, default="open")
    source = sa.Column(sa.String(16), nullable=False, default="scan")  # scan | manual | leader
    started_at = sa.Column(UTCDateTime, nullable=False)
    ended_at = sa.Column(UTCDateTime)
    # The county-local calendar date the shift started on: a shift belongs to that day.
    local_date = sa.Column(sa.Date, nullable=False)
    start_lat = sa.Column(sa.Float)
    start_lng = sa.Column(sa.Float)
    start_accuracy = sa.Column(sa.Float)
    start_distance_m = sa.Column(sa.Float)
    end_lat = sa.Column(sa.Float)
    end_lng = sa.Column(sa.Float)
    end_accuracy = sa.Column(sa.Float)
    end_distance_m = sa.Column(sa.Float)
    credited_minutes = sa.Column(sa.Integer, nullable=False, default=0)
    persuasions = sa.Column(sa.Integer, nullable=False, default=0)
    # Survey questionnaires handed out (问卷份数). A server default only: the scan path's
    # prepared INSERTs bind exactly the columns they name, so a Python default would be NULL there.
    questionnaires = sa.Column(sa.Integer, nullable=False, server_default="0")
    note = sa.Column(sa.String(500))
    flags = sa.Column(sa.JSON, nullable=False, default=list)
    review_state = sa.Column(sa.String(16), nullable=False, default="none")
    review_reason = sa.Column(sa.String(500))
    original_minutes = sa.Column(sa.Integer)
    client_request_id = sa.Column(sa.String(64))
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    # When the server will ask for proof of presence (an automatic spot check), drawn at
    # scan-in for a share of shifts (PRESENCE_CHECK_RATE); server/duty/presence_checks.py raises it.
    presence_check_at = sa.Column(UTCDateTime)
    # The start and end points rounded to 6 decimals, as one integer (location_signals.point_key),
    # so "the same point on another day" is an index seek, however many scans share a point.
    start_point = sa.Column(sa.BigInteger)
    end_point = sa.Column(sa.BigInteger)

    __table_args__ = (
        # The rule "one open shift per volunteer" lives in the database: two
        # simultaneous scans cannot both insert.
        sa.Index("uq_shifts_one_open_per_volunteer", "volunteer_id", unique=True,
                 sqlite_where=sa.text("status = 'open'"),
                 postgresql_where=sa.text("status = 'open'")),
        # A retried request (same client_request_id) finds its shift instead of making another.
        sa.UniqueConstraint("volunteer_id", "client_request_id", name="uq_shifts_client_request"),
        sa.Index("ix_shifts_volunteer_started", "volunteer_id", "started_at"),
        sa.Index("ix_shifts_post_started", "post_id", "started_at"),
        sa.Index("ix_shifts_status_started", "status", "started_at"),
        # Records listed and exported in this order (server/records/shift_records.py).
        sa.Index("ix_shifts_started_id", "started_at", "id"),
        # The same point on another day (server/checkin/scan_history.py).
        sa.Index("ix_shifts_start_point", "start_point", "local_date"),
        # partial: a scan-in (the hot INSERT, no end yet) leaves it alone
        sa.Index("ix_shifts_end_point", "end_point", "local_date",
                 sqlite_where=sa.text("end_point IS NOT NULL"), postgresql_where=sa.text("end_point IS NOT NULL")),
        sa.Index("ix_shifts_presence_check", "presence_check_at",
                 sqlite_where=sa.text("status = 'open' AND presence_check_at IS NOT NULL"),
                 postgresql_where=sa.text("status = 'open' AND presence_check_at IS NOT NULL")),
        sa.CheckConstraint(sa.text("status IN ('open','closed','auto_closed','voided')"), name="status"),
        sa.CheckConstraint(sa.text("review_state IN ('none','pending','approved','adjusted','rejected')"),
                           name="review_state"),
        sa.CheckConstraint(sa.text("ended_at IS NULL OR ended_at >= started_at"), name="ends_after_start"),
        sa.CheckConstraint(sa.text("(status = 'open') = (ended_at IS NULL)"), name="open_has_no_end"),
        sa.CheckConstraint(sa.text("credited_minutes >= 0 AND persuasions >= 0"), name="non_negative"),
        sa.CheckConstraint(sa.text("questionnaires >= 0"), name="questionnaires"),
    )

    volunteer = db.relationship("User", foreign_keys=[volunteer_id])
    post = db.relationship("Post")


class AuditLog(db.Model):
    """Append-only: database triggers refuse UPDATE and DELETE (see the first migration)."""

    __tablename__ = "audit_log"
    id = sa.Column(sa.Integer, primary_key=True)
    at = sa.Column(UTCDateTime, nullable=False)
    actor_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    action = sa.Column(sa.String(32), nullable=False)
    entity_type = sa.Column(sa.String(16), nullable=False)
    entity_id = sa.Column(sa.Integer, nullable=False)
    before = sa.Column(sa.JSON)
    after = sa.Column(sa.JSON)
    reason = sa.Column(sa.String(500))

    __table_args__ = (sa.Index("ix_audit_log_entity", "entity_type", "entity_id", "id"),)


class GroupCheckin(db.Model):
    """A shift a post leader started for a member from their card (source ``leader``): who, with
    which group photo, from which of the leader's own shifts; and who ended it, if a leader did."""

    __tablename__ = "group_checkins"
    shift_id = sa.Column(sa.Integer, sa.ForeignKey("shifts.id"), primary_key=True)
    leader_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=False)
    leader_shift_id = sa.Column(sa.Integer, sa.ForeignKey("shifts.id"), nullable=False)
    photo_id = sa.Column(sa.Integer, sa.ForeignKey("photos.id"), nullable=False, index=True)
    created_at = sa.Column(UTCDateTime, nullable=False)
    ended_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))

    # A leader's group check-ins of a day (the daily limit).
    __table_args__ = (sa.Index("ix_group_checkins_leader_created", "leader_id", "created_at"),)
