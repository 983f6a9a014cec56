"""Photo evidence: one row per accepted photo of a shift, files in storage by SHA-256.

Revision ID: 0005_photos
Revises: 0001_core
"""
from alembic import op
import sqlalchemy as sa


revision = "0005_photos"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("uploader_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("dhash", sa.BigInteger(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("captured_at", sa.DateTime(), nullable=True),
        sa.Column("exif_lat", sa.Float(), nullable=True),
        sa.Column("exif_lng", sa.Float(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("check_status", sa.String(length=8), nullable=False),
        sa.Column("check_verdict", sa.String(length=8), nullable=True),
        sa.Column("check_label", sa.String(length=16), nullable=True),
        sa.Column("check_trace_id", sa.String(length=64), nullable=True),
        sa.Column("checked_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('start','duty','end')", name=op.f("ck_photos_kind")),
        sa.CheckConstraint("check_status IN ('none','pending','done','failed')",
                           name=op.f("ck_photos_check_status")),
        sa.CheckConstraint("width > 0 AND height > 0 AND bytes > 0", name=op.f("ck_photos_size")),
        sa.ForeignKeyConstraint(["shift_id"], ["shifts.id"], name=op.f("fk_photos_shift_id_shifts")),
        sa.ForeignKeyConstraint(["uploader_id"], ["users.id"], name=op.f("fk_photos_uploader_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photos")),
        sa.UniqueConstraint("check_trace_id", name=op.f("uq_photos_check_trace_id")),
    )
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_photos_shift_id"), ["shift_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_photos_sha256"), ["sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_photos_source_sha256"), ["source_sha256"], unique=False)
        batch_op.create_index("ix_photos_uploader_created", ["uploader_id", "created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.drop_index("ix_photos_uploader_created")
        batch_op.drop_index(batch_op.f("ix_photos_source_sha256"))
        batch_op.drop_index(batch_op.f("ix_photos_sha256"))
        batch_op.drop_index(batch_op.f("ix_photos_shift_id"))
    op.drop_table("photos")
