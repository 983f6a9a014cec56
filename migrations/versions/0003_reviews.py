"""Reports, reviews and certificates: covering report indexes on shifts, the review
queue's partial index, volunteers' correction requests, issued certificates.

Revision ID: 0003_reviews
Revises: 0001_core
"""
from alembic import op
import sqlalchemy as sa


revision = "0003_reviews"
down_revision = "0001_core"
branch_labels = None
depends_on = None

_PENDING = "review_state = 'pending'"
_OPEN_REQUEST = "status = 'pending'"


def upgrade():
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.create_index("ix_shifts_report_by_date", [
            "local_date", "unit_id", "post_id", "status", "review_state", "source",
            "volunteer_id", "credited_minutes", "persuasions"], unique=False)
        batch_op.create_index("ix_shifts_report_by_volunteer", [
            "volunteer_id", "local_date", "status", "review_state", "source",
            "credited_minutes", "persuasions", "unit_id", "post_id"], unique=False)
        batch_op.create_index("ix_shifts_pending_review", ["started_at"], unique=False,
                              sqlite_where=sa.text(_PENDING), postgresql_where=sa.text(_PENDING))

    op.create_table(
        "correction_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("proposed_ended_at", sa.DateTime(), nullable=True),
        sa.Column("proposed_minutes", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.CheckConstraint("kind IN ('correction','missing')", name=op.f("ck_correction_requests_kind")),
        sa.CheckConstraint("status IN ('pending','resolved')", name=op.f("ck_correction_requests_status")),
        sa.CheckConstraint("proposed_minutes IS NULL OR proposed_minutes >= 0",
                           name=op.f("ck_correction_requests_minutes")),
        sa.ForeignKeyConstraint(["shift_id"], ["shifts.id"], name=op.f("fk_correction_requests_shift_id_shifts")),
        sa.ForeignKeyConstraint(["volunteer_id"], ["users.id"],
                                name=op.f("fk_correction_requests_volunteer_id_users")),
        sa.ForeignKeyConstraint(["resolved_by_id"], ["users.id"],
                                name=op.f("fk_correction_requests_resolved_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_correction_requests")),
    )
    with op.batch_alter_table("correction_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_correction_requests_shift_id"), ["shift_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_correction_requests_volunteer_id"), ["volunteer_id"], unique=False)
        batch_op.create_index("uq_correction_requests_one_pending", ["shift_id"], unique=True,
                              sqlite_where=sa.text(_OPEN_REQUEST), postgresql_where=sa.text(_OPEN_REQUEST))

    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("credited_minutes", sa.Integer(), nullable=False),
        sa.Column("scanned_minutes", sa.Integer(), nullable=False),
        sa.Column("manual_minutes", sa.Integer(), nullable=False),
        sa.Column("shift_count", sa.Integer(), nullable=False),
        sa.Column("star_level", sa.Integer(), nullable=False),
        sa.Column("volunteer_name", sa.String(length=50), nullable=False),
        sa.Column("unit_name", sa.String(length=100), nullable=True),
        sa.Column("organisation", sa.String(length=100), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("period_from <= period_to", name=op.f("ck_certificates_period")),
        sa.ForeignKeyConstraint(["volunteer_id"], ["users.id"], name=op.f("fk_certificates_volunteer_id_users")),
        sa.ForeignKeyConstraint(["issued_by_id"], ["users.id"], name=op.f("fk_certificates_issued_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
    )
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.create_index("ix_certificates_volunteer_issued", ["volunteer_id", "issued_on"], unique=False)


def downgrade():
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_index("ix_certificates_volunteer_issued")
    op.drop_table("certificates")
    with op.batch_alter_table("correction_requests", schema=None) as batch_op:
        batch_op.drop_index("uq_correction_requests_one_pending", sqlite_where=sa.text(_OPEN_REQUEST),
                            postgresql_where=sa.text(_OPEN_REQUEST))
        batch_op.drop_index(batch_op.f("ix_correction_requests_volunteer_id"))
        batch_op.drop_index(batch_op.f("ix_correction_requests_shift_id"))
    op.drop_table("correction_requests")
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.drop_index("ix_shifts_pending_review", sqlite_where=sa.text(_PENDING),
                            postgresql_where=sa.text(_PENDING))
        batch_op.drop_index("ix_shifts_report_by_volunteer")
        batch_op.drop_index("ix_shifts_report_by_date")
