"""Volunteers listed by their unit before registering (the console's volunteer import); an index
for a district coordinator's scope (who served at which post).

Revision ID: 0014_console
Revises: 0011_problems
"""
from alembic import op
import sqlalchemy as sa

revision = "0014_console"
down_revision = "0009_security"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "listed_volunteers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("phone", sa.String(length=11), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("imported_by_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["imported_by_id"], ["users.id"],
                                name=op.f("fk_listed_volunteers_imported_by_id_users")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_listed_volunteers_unit_id_units")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_listed_volunteers_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listed_volunteers")),
        sa.UniqueConstraint("phone", name=op.f("uq_listed_volunteers_phone")),
        sa.UniqueConstraint("user_id", name=op.f("uq_listed_volunteers_user_id")),
    )
    op.create_index(op.f("ix_listed_volunteers_unit_id"), "listed_volunteers", ["unit_id"], unique=False)
    op.create_index("ix_shifts_post_people", "shifts", ["post_id", "unit_id", "volunteer_id"], unique=False)


def downgrade():
    op.drop_index("ix_shifts_post_people", table_name="shifts")
    op.drop_index(op.f("ix_listed_volunteers_unit_id"), table_name="listed_volunteers")
    op.drop_table("listed_volunteers")
