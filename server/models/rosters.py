"""Plans: duty slots and who is assigned, unit targets, spot checks and reminders sent."""
from __future__ import annotations

import sqlalchemy as sa

from server.db import UTCDateTime, db
from server.models.shifts import Shift

# A slot lasts at most this long; "slots running now" look back no further.
MAX_SLOT_HOURS = 12
# Shifts longer than this are rare (a forgotten scan-out closed by hand); the
# partial indexes below list them so "who was on duty at" can look back only
# LONG_SHIFT_HOURS through the ordinary indexes and still be exact.
LONG_SHIFT_HOURS = 12

# The same condition, spelled per dialect; a query must repeat it verbatim for
# the planner to use the partial index (see server/duty/on_duty.py).
LONG_SHIFT_SQLITE = f"julianday(ended_at) - julianday(started_at) > {LONG_SHIFT_HOURS / 24}"
LONG_SHIFT_POSTGRESQL = f"ended_at - started_at > interval '{LONG_SHIFT_HOURS} hours'"

sa.Index("ix_shifts_long_post", Shift.__table__.c.post_id, Shift.__table__.c.started_at,
         sqlite_where=sa.text(LONG_SHIFT_SQLITE), postgresql_where=sa.text(LONG_SHIFT_POSTGRESQL))
sa.Index("ix_shifts_long_volunteer", Shift.__table__.c.volunteer_id, Shift.__table__.c.started_at,
         sqlite_where=sa.text(LONG_SHIFT_SQLITE), postgresql_where=sa.text(LONG_SHIFT_POSTGRESQL))


class DutySlot(db.Model):
    """A planned stretch of duty at a post (排班): local date, start and end, how many people."""

    __tablename__ = "duty_slots"
    id = sa.Column(sa.Integer, primary_key=True)
    post_id = sa.Column(sa.Integer, sa.ForeignKey("posts.id"), nullable=False)
    # The unit responsible for staffing the slot (包保单位); its coverage counts in
    # that unit's monthly assessment. Null: the district staffs it itself.
    unit_id = sa.Column(sa.Integer, sa.ForeignKey("units.id"))
    # The county-local date the slot starts on; it may end after midnight.
    local_date = sa.Column(sa.Date, nullable=False)
    starts_at = sa.Column(UTCDateTime, nullable=False)
    ends_at = sa.Column(UTCDateTime, nullable=False)
    needed = sa.Column(sa.Integer, nullable=False, default=1)
    note = sa.Column(sa.String(200))
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    created_at = sa.Column(UTCDateTime, nullable=False)

    __table_args__ = (
        # Importing the same sheet twice must not plan every slot twice.
        sa.UniqueConstraint("post_id", "starts_at", "ends_at", name="uq_duty_slots_post_time"),
        sa.Index("ix_duty_slots_date_starts", "local_date", "starts_at"),
        sa.Index("ix_duty_slots_unit_date", "unit_id", "local_date"),
        sa.CheckConstraint(sa.text("ends_at > starts_at"), name="ends_after_start"),
        sa.CheckConstraint(sa.text("needed BETWEEN 1 AND 50"), name="needed"),
    )

    post = db.relationship("Post", lazy="joined")
    unit = db.relationship("Unit", lazy="joined")


class SlotAssignment(db.Model):
    """A volunteer put on a slot. The slot's times are copied here so the database
    itself can refuse overlapping assignments (PostgreSQL exclusion constraint)."""

    __tablename__ = "slot_assignments"
    id = sa.Column(sa.Integer, primary_key=True)
    slot_id = sa.Column(sa.Integer, sa.ForeignKey("duty_slots.id", ondelete="CASCADE"), nullable=False)
    volunteer_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=False)
    starts_at = sa.Column(UTCDateTime, nullable=False)
    ends_at = sa.Column(UTCDateTime, nullable=False)
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    created_at = sa.Column(UTCDateTime, nullable=False)

    __table_args__ = (
        sa.UniqueConstraint("slot_id", "volunteer_id", name="uq_slot_assignments_slot_volunteer"),
        sa.Index("ix_slot_assignments_volunteer_starts", "volunteer_id", "starts_at"),
        sa.Index("ix_slot_assignments_starts", "starts_at"),
        sa.CheckConstraint(sa.text("ends_at > starts_at"), name="ends_after_start"),
    )


class UnitTarget(db.Model):
    """A unit's monthly target (月考核指标): hours served and volunteers active."""

    __tablename__ = "unit_targets"
    id = sa.Column(sa.Integer, primary_key=True)
    unit_id = sa.Column(sa.Integer, sa.ForeignKey("units.id"), nullable=False)
    month = sa.Column(sa.Date, nullable=False)  # the first day of the month
    target_hours = sa.Column(sa.Float)
    target_active_volunteers = sa.Column(sa.Integer)
    updated_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    updated_at = sa.Column(UTCDateTime, nullable=False)

    __table_args__ = (
        sa.UniqueConstraint("unit_id", "month", name="uq_unit_targets_unit_month"),
        sa.CheckConstraint(sa.text("target_hours IS NULL OR target_hours >= 0"), name="hours"),
        sa.CheckConstraint(sa.text("target_active_volunteers IS NULL OR target_active_volunteers >= 0"),
                           name="active"),
    )


class SpotCheck(db.Model):
    """A surprise inspection (督查暗访): a leader asks whoever is on duty at a post,
    or at every post of a district, for proof within a set time."""

    __tablename__ = "spot_checks"
    id = sa.Column(sa.Integer, primary_key=True)
    post_id = sa.Column(sa.Integer, sa.ForeignKey("posts.id"))
    district_id = sa.Column(sa.Integer, sa.ForeignKey("districts.id"))
    note = sa.Column(sa.String(200))
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))  # NULL: the server's presence check
    # A presence check (server/duty/presence_checks.py) asks one shift; unique, so two runs raise it once.
    shift_id = sa.Column(sa.Integer, sa.ForeignKey("shifts.id"), unique=True)
    created_at = sa.Column(UTCDateTime, nullable=False)
    due_at = sa.Column(UTCDateTime, nullable=False)

    __table_args__ = (
        sa.CheckConstraint(sa.text("(post_id IS NULL) <> (district_id IS NULL)"), name="target"),
        sa.CheckConstraint(sa.text("due_at > created_at"), name="due_after_created"),
        sa.Index("ix_spot_checks_created", "created_at"),
    )


class SpotCheckTask(db.Model):
    """One volunteer's part of a spot check; the answer carries a live photo and location."""

    __tablename__ = "spot_check_tasks"
    id = sa.Column(sa.Integer, primary_key=True)
    spot_check_id = sa.Column(sa.Integer, sa.ForeignKey("spot_checks.id"), nullable=False)
    volunteer_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=False)
    shift_id = sa.Column(sa.Integer, sa.ForeignKey("shifts.id"), nullable=False)
    post_id = sa.Column(sa.Integer, sa.ForeignKey("posts.id"), nullable=False)
    due_at = sa.Column(UTCDateTime, nullable=False)
    answered_at = sa.Column(UTCDateTime)
    latitude = sa.Column(sa.Float)
    longitude = sa.Column(sa.Float)
    accuracy = sa.Column(sa.Float)
    distance_m = sa.Column(sa.Float)
    inside_geofence = sa.Column(sa.Boolean)
    # The answer's photo, stored as a photo of the shift (server/evidence/photos.py); no foreign key so
    # this table does not depend on the order the two migrations run in.
    photo_id = sa.Column(sa.Integer)
    photo_live = sa.Column(sa.Boolean)  # False: the camera says it was taken before the check
    photo_captured_at = sa.Column(UTCDateTime)
    # Written once the result is known: answered | late | unanswered.
    result = sa.Column(sa.String(16))

    __table_args__ = (
        sa.UniqueConstraint("spot_check_id", "volunteer_id", name="uq_spot_check_tasks_check_volunteer"),
        sa.Index("ix_spot_check_tasks_volunteer_due", "volunteer_id", "due_at"),
        sa.Index("ix_spot_check_tasks_shift", "shift_id"),
        sa.CheckConstraint(sa.text("result IS NULL OR result IN ('answered','late','unanswered')"),
                           name="result"),
    )


class SlotReminder(db.Model):
    """A reminder for one volunteer and one slot. The unique pair is what makes
    "at most once" hold even when two cron runs overlap."""

    __tablename__ = "slot_reminders"
    id = sa.Column(sa.Integer, primary_key=True)
    slot_id = sa.Column(sa.Integer, sa.ForeignKey("duty_slots.id", ondelete="CASCADE"), nullable=False)
    volunteer_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=False)
    sent_at = sa.Column(UTCDateTime, nullable=False)
    # sending: claimed, the call is under way (or the process died: never resent)
    # sent | refused (43101) | failed (another errcode) | unreachable | no_openid
    result = sa.Column(sa.String(16), nullable=False, default="sending")
    errcode = sa.Column(sa.Integer)

    __table_args__ = (
        sa.UniqueConstraint("slot_id", "volunteer_id", name="uq_slot_reminders_slot_volunteer"),
        sa.Index("ix_slot_reminders_volunteer_result", "volunteer_id", "result", "sent_at"),
        sa.CheckConstraint(
            sa.text("result IN ('sending','sent','refused','failed','unreachable','no_openid')"),
            name="result"),
    )


class ReminderConsent(db.Model):
    """The last time a volunteer accepted reminder messages in the mini-program
    (wx.requestSubscribeMessage). After a 43101 refusal we stop trying until then."""

    __tablename__ = "reminder_consents"
    volunteer_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), primary_key=True)
    accepted_at = sa.Column(UTCDateTime, nullable=False)
