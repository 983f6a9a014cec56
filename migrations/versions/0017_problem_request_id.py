"""A problem report's client_request_id: a retried report returns the problem it made.

Revision ID: 0017_problem_request_id
Revises: 0016_shift_order
"""
import sqlalchemy as sa
from alembic import op

revision = "0017_problem_request_id"
down_revision = "0016_shift_order"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("problems", sa.Column("client_request_id", sa.String(64), nullable=True))
    op.create_index("uq_problems_client_request", "problems", ["reporter_id", "client_request_id"], unique=True)


def downgrade():
    op.drop_index("uq_problems_client_request", table_name="problems")
    with op.batch_alter_table("problems") as batch:  # SQLite drops a column by copying the table
        batch.drop_column("client_request_id")
