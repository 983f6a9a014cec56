"""Trust of the record: presence checks, per-post stricter settings, indexes for location signals.

Revision ID: 0010_trust
Revises: 0008_calendar
"""
from alembic import op
import sqlalchemy as sa

revision = "0010_trust"
down_revision = "0008_calendar"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("shifts") as batch:
        batch.add_column(sa.Column("presence_check_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("start_point", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("end_point", sa.BigInteger(), nullable=True))
    # Earlier scans take part in "the same point on another day" too (location_signals.point_key).
    as_int = "CAST(round({}) AS INTEGER)" if op.get_bind().dialect.name == "sqlite" else "round({})::bigint"
    for which in ("start", "end"):
        key = (f"{as_int.format(f'{which}_lat * 1000000')} * 400000000 + "
               f"{as_int.format(f'{which}_lng * 1000000')}")
        op.execute(f"UPDATE shifts SET {which}_point = {key} WHERE {which}_lat IS NOT NULL")
    op.create_index("ix_shifts_start_point", "shifts", ["start_point", "local_date"])
    op.create_index("ix_shifts_end_point", "shifts", ["end_point", "local_date"],
                    sqlite_where=sa.text("end_point IS NOT NULL"), postgresql_where=sa.text("end_point IS NOT NULL"))
    op.create_index("ix_shifts_presence_check", "shifts", ["presence_check_at"],
                    sqlite_where=sa.text("status = 'open' AND presence_check_at IS NOT NULL"),
                    postgresql_where=sa.text("status = 'open' AND presence_check_at IS NOT NULL"))
    with op.batch_alter_table("posts") as batch:
        batch.add_column(sa.Column("require_photo_start", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("scan_window", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("spot_checks") as batch:
        batch.alter_column("created_by_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("shift_id", sa.Integer(), nullable=True))
        batch.create_unique_constraint(op.f("uq_spot_checks_shift_id"), ["shift_id"])
        batch.create_foreign_key(op.f("fk_spot_checks_shift_id_shifts"), "shifts", ["shift_id"], ["id"])


def downgrade():
    with op.batch_alter_table("spot_checks") as batch:
        batch.drop_constraint(op.f("fk_spot_checks_shift_id_shifts"), type_="foreignkey")
        batch.drop_constraint(op.f("uq_spot_checks_shift_id"), type_="unique")
        batch.drop_column("shift_id")
        batch.alter_column("created_by_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("scan_window")
        batch.drop_column("require_photo_start")
    op.drop_index("ix_shifts_presence_check", table_name="shifts")
    op.drop_index("ix_shifts_end_point", table_name="shifts")
    op.drop_index("ix_shifts_start_point", table_name="shifts")
    with op.batch_alter_table("shifts") as batch:
        batch.drop_column("end_point")
        batch.drop_column("start_point")
        batch.drop_column("presence_check_at")
