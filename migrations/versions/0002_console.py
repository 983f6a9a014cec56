"""Failed console sign-ins (lockout after repeated failures).

Revision ID: 0002_console
Revises: 0001_core
"""
from alembic import op
import sqlalchemy as sa

revision = "0002_console"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("remote_addr", sa.String(length=64), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index("ix_login_failures_username_at", "login_failures", ["username", "at"])
    op.create_index("ix_login_failures_remote_addr_at", "login_failures", ["remote_addr", "at"])


def downgrade():
    op.drop_index("ix_login_failures_remote_addr_at", table_name="login_failures")
    op.drop_index("ix_login_failures_username_at", table_name="login_failures")
    op.drop_table("login_failures")
