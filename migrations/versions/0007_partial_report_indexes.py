"""Report indexes cover finished shifts only, so a scan-in does not update them.

Revision ID: 0007_partial_report_indexes
Revises: 0006_merge
"""
from alembic import op
import sqlalchemy as sa

revision = "0007_partial_report_indexes"
down_revision = "0006_merge"
branch_labels = None
depends_on = None

FINISHED = "status IN ('closed', 'auto_closed')"  # server/checkin/hours.py FINISHED_SQL, frozen here
BY_DATE = ["local_date", "unit_id", "post_id", "status", "review_state", "source", "volunteer_id",
           "credited_minutes", "persuasions"]
BY_VOLUNTEER = ["volunteer_id", "local_date", "status", "review_state", "source", "credited_minutes",
                "persuasions", "unit_id", "post_id"]


def _recreate(where: str | None) -> None:
    op.drop_index("ix_shifts_report_by_date", table_name="shifts")
    op.drop_index("ix_shifts_report_by_volunteer", table_name="shifts")
    condition = {} if where is None else {"sqlite_where": sa.text(where), "postgresql_where": sa.text(where)}
    op.create_index("ix_shifts_report_by_date", "shifts", BY_DATE, **condition)
    op.create_index("ix_shifts_report_by_volunteer", "shifts", BY_VOLUNTEER, **condition)


def upgrade():
    _recreate(FINISHED)


def downgrade():
    _recreate(None)
