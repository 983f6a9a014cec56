"""Official mini-program codes for posters, one per post and QR version.

Revision ID: 0003_posters
Revises: 0001_core
"""
from alembic import op
import sqlalchemy as sa


revision = "0003_posters"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "wxa_codes",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("qr_version", sa.Integer(), nullable=False),
        sa.Column("appid", sa.String(length=64), nullable=False),
        sa.Column("scene", sa.String(length=32), nullable=False),
        sa.Column("page", sa.String(length=128), nullable=False),
        sa.Column("env_version", sa.String(length=16), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("image", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], name=op.f("fk_wxa_codes_post_id_posts"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("post_id", "qr_version", name=op.f("pk_wxa_codes")),
    )


def downgrade():
    op.drop_table("wxa_codes")
