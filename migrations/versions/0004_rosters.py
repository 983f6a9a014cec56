"""Rosters: duty slots and assignments, unit targets, spot checks, reminders; indexes for duty queries.

Revision ID: 0004_rosters
Revises: 0001_core
"""
from alembic import op
import sqlalchemy as sa


revision = "0004_rosters"
down_revision = "0001_core"
branch_labels = None
depends_on = None

# Keep in step with server/models/rosters.py (LONG_SHIFT_*).
_LONG_SQLITE = "julianday(ended_at) - julianday(started_at) > 0.5"
_LONG_POSTGRESQL = "ended_at - started_at > interval '12 hours'"


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    op.create_table(
        "duty_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("needed", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_duty_slots_ends_after_start")),
        sa.CheckConstraint("needed BETWEEN 1 AND 50", name=op.f("ck_duty_slots_needed")),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], name=op.f("fk_duty_slots_post_id_posts")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_duty_slots_unit_id_units")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_duty_slots_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_slots")),
        sa.UniqueConstraint("post_id", "starts_at", "ends_at", name="uq_duty_slots_post_time"),
    )
    op.create_index("ix_duty_slots_date_starts", "duty_slots", ["local_date", "starts_at"])
    op.create_index("ix_duty_slots_unit_date", "duty_slots", ["unit_id", "local_date"])

    op.create_table(
        "slot_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_slot_assignments_ends_after_start")),
        sa.ForeignKeyConstraint(["slot_id"], ["duty_slots.id"], ondelete="CASCADE",
                                name=op.f("fk_slot_assignments_slot_id_duty_slots")),
        sa.ForeignKeyConstraint(["volunteer_id"], ["users.id"],
                                name=op.f("fk_slot_assignments_volunteer_id_users")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_slot_assignments_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slot_assignments")),
        sa.UniqueConstraint("slot_id", "volunteer_id", name="uq_slot_assignments_slot_volunteer"),
    )
    op.create_index("ix_slot_assignments_volunteer_starts", "slot_assignments", ["volunteer_id", "starts_at"])
    op.create_index("ix_slot_assignments_starts", "slot_assignments", ["starts_at"])
    if _postgres():
        # The database itself refuses a volunteer in two overlapping slots, even
        # if two coordinators assign at the same instant. btree_gist is a trusted
        # extension (PostgreSQL 13+): the database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE slot_assignments ADD CONSTRAINT ex_slot_assignments_no_overlap "
            "EXCLUDE USING gist (volunteer_id WITH =, tsrange(starts_at, ends_at) WITH &&)")

    op.create_table(
        "unit_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("target_hours", sa.Float(), nullable=True),
        sa.Column("target_active_volunteers", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("target_hours IS NULL OR target_hours >= 0", name=op.f("ck_unit_targets_hours")),
        sa.CheckConstraint("target_active_volunteers IS NULL OR target_active_volunteers >= 0",
                           name=op.f("ck_unit_targets_active")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_unit_targets_unit_id_units")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_unit_targets_updated_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_targets")),
        sa.UniqueConstraint("unit_id", "month", name="uq_unit_targets_unit_month"),
    )

    op.create_table(
        "spot_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("(post_id IS NULL) <> (district_id IS NULL)", name=op.f("ck_spot_checks_target")),
        sa.CheckConstraint("due_at > created_at", name=op.f("ck_spot_checks_due_after_created")),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], name=op.f("fk_spot_checks_post_id_posts")),
        sa.ForeignKeyConstraint(["district_id"], ["districts.id"], name=op.f("fk_spot_checks_district_id_districts")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_spot_checks_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spot_checks")),
    )
    op.create_index("ix_spot_checks_created", "spot_checks", ["created_at"])

    op.create_table(
        "spot_check_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("spot_check_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("accuracy", sa.Float(), nullable=True),
        sa.Column("distance_m", sa.Float(), nullable=True),
        sa.Column("inside_geofence", sa.Boolean(), nullable=True),
        sa.Column("photo_id", sa.Integer(), nullable=True),
        sa.Column("photo_live", sa.Boolean(), nullable=True),
        sa.Column("photo_captured_at", sa.DateTime(), nullable=True),
        sa.Column("result", sa.String(length=16), nullable=True),
        sa.CheckConstraint("result IS NULL OR result IN ('answered','late','unanswered')",
                           name=op.f("ck_spot_check_tasks_result")),
        sa.ForeignKeyConstraint(["spot_check_id"], ["spot_checks.id"],
                                name=op.f("fk_spot_check_tasks_spot_check_id_spot_checks")),
        sa.ForeignKeyConstraint(["volunteer_id"], ["users.id"], name=op.f("fk_spot_check_tasks_volunteer_id_users")),
        sa.ForeignKeyConstraint(["shift_id"], ["shifts.id"], name=op.f("fk_spot_check_tasks_shift_id_shifts")),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], name=op.f("fk_spot_check_tasks_post_id_posts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spot_check_tasks")),
        sa.UniqueConstraint("spot_check_id", "volunteer_id", name="uq_spot_check_tasks_check_volunteer"),
    )
    op.create_index("ix_spot_check_tasks_volunteer_due", "spot_check_tasks", ["volunteer_id", "due_at"])
    op.create_index("ix_spot_check_tasks_shift", "spot_check_tasks", ["shift_id"])

    op.create_table(
        "slot_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("errcode", sa.Integer(), nullable=True),
        sa.CheckConstraint("result IN ('sending','sent','refused','failed','unreachable','no_openid')",
                           name=op.f("ck_slot_reminders_result")),
        sa.ForeignKeyConstraint(["slot_id"], ["duty_slots.id"], ondelete="CASCADE",
                                name=op.f("fk_slot_reminders_slot_id_duty_slots")),
        sa.ForeignKeyConstraint(["volunteer_id"], ["users.id"], name=op.f("fk_slot_reminders_volunteer_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slot_reminders")),
        sa.UniqueConstraint("slot_id", "volunteer_id", name="uq_slot_reminders_slot_volunteer"),
    )
    op.create_index("ix_slot_reminders_volunteer_result", "slot_reminders", ["volunteer_id", "result", "sent_at"])

    op.create_table(
        "reminder_consents",
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["volunteer_id"], ["users.id"], name=op.f("fk_reminder_consents_volunteer_id_users")),
        sa.PrimaryKeyConstraint("volunteer_id", name=op.f("pk_reminder_consents")),
    )

    # Shifts longer than 12 hours, for exact "who was on duty at" lookups (server/duty/on_duty.py).
    op.create_index("ix_shifts_long_post", "shifts", ["post_id", "started_at"],
                    sqlite_where=sa.text(_LONG_SQLITE), postgresql_where=sa.text(_LONG_POSTGRESQL))
    op.create_index("ix_shifts_long_volunteer", "shifts", ["volunteer_id", "started_at"],
                    sqlite_where=sa.text(_LONG_SQLITE), postgresql_where=sa.text(_LONG_POSTGRESQL))


def downgrade():
    op.drop_index("ix_shifts_long_volunteer", table_name="shifts")
    op.drop_index("ix_shifts_long_post", table_name="shifts")
    op.drop_table("reminder_consents")
    op.drop_table("slot_reminders")
    op.drop_table("spot_check_tasks")
    op.drop_table("spot_checks")
    op.drop_table("unit_targets")
    op.drop_table("slot_assignments")
    op.drop_table("duty_slots")
