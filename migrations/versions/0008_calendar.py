"""The working-day calendar: public holidays and swapped working days (调休).

Revision ID: 0008_calendar
Revises: 0007_partial_report_indexes
"""
from alembic import op
import sqlalchemy as sa

revision = "0008_calendar"
down_revision = "0007_partial_report_indexes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "calendar_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('holiday', 'workday')", name=op.f("ck_calendar_days_kind")),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_days")),
    )


def downgrade():
    op.drop_table("calendar_days")
