"""Shift records in the order they are listed and exported: an index on (started_at, id), so a
period's records stream from the index instead of the whole period being sorted first.

Revision ID: 0016_shift_order
Revises: 0015_post_leaders
"""
from alembic import op

revision = "0016_shift_order"
down_revision = "0015_post_leaders"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_shifts_started_id", "shifts", ["started_at", "id"], unique=False)


def downgrade():
    op.drop_index("ix_shifts_started_id", table_name="shifts")
