"""Post leaders (岗长) and volunteers' printed cards: leaders of a post, a card version on every
volunteer, volunteers added by hand without WeChat, and the shifts a leader starts for a group.

Revision ID: 0015_post_leaders
Revises: 0014_console
"""
from alembic import op
import sqlalchemy as sa

revision = "0015_post_leaders"
down_revision = "0014_console"
branch_labels = None
depends_on = None

OLD_LOGIN = "openid IS NOT NULL OR username IS NOT NULL"
NEW_LOGIN = "openid IS NOT NULL OR username IS NOT NULL OR registered_at IS NOT NULL"


def _users_login_rule(rule: str, card_version: bool) -> None:
    # SQLite changes a CHECK constraint by copying the table; every other table refers to users,
    # so foreign keys are off for the copy (a no-op inside a transaction, where nothing refers yet).
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("PRAGMA foreign_keys=OFF")
    with op.batch_alter_table("users", recreate="always" if sqlite else "auto") as batch:
        if card_version:
            batch.add_column(sa.Column("card_version", sa.Integer(), server_default="1", nullable=False))
            batch.create_check_constraint("card_version", sa.text("card_version >= 1"))
        else:
            batch.drop_constraint(op.f("ck_users_card_version"), type_="check")
            batch.drop_column("card_version")
        batch.drop_constraint(op.f("ck_users_has_login"), type_="check")
        batch.create_check_constraint("has_login", sa.text(rule))
    if sqlite:
        op.execute("PRAGMA foreign_keys=ON")


def upgrade():
    _users_login_rule(NEW_LOGIN, card_version=True)
    op.create_table(
        "post_leaders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["added_by_id"], ["users.id"], name=op.f("fk_post_leaders_added_by_id_users")),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], name=op.f("fk_post_leaders_post_id_posts")),
        sa.ForeignKeyConstraint(["volunteer_id"], ["users.id"], name=op.f("fk_post_leaders_volunteer_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_leaders")),
        sa.UniqueConstraint("post_id", "volunteer_id", name="uq_post_leaders_post_volunteer"),
    )
    op.create_index(op.f("ix_post_leaders_volunteer_id"), "post_leaders", ["volunteer_id"], unique=False)
    op.create_table(
        "group_checkins",
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("leader_id", sa.Integer(), nullable=False),
        sa.Column("leader_shift_id", sa.Integer(), nullable=False),
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("ended_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["ended_by_id"], ["users.id"], name=op.f("fk_group_checkins_ended_by_id_users")),
        sa.ForeignKeyConstraint(["leader_id"], ["users.id"], name=op.f("fk_group_checkins_leader_id_users")),
        sa.ForeignKeyConstraint(["leader_shift_id"], ["shifts.id"],
                                name=op.f("fk_group_checkins_leader_shift_id_shifts")),
        sa.ForeignKeyConstraint(["photo_id"], ["photos.id"], name=op.f("fk_group_checkins_photo_id_photos")),
        sa.ForeignKeyConstraint(["shift_id"], ["shifts.id"], name=op.f("fk_group_checkins_shift_id_shifts")),
        sa.PrimaryKeyConstraint("shift_id", name=op.f("pk_group_checkins")),
    )
    op.create_index("ix_group_checkins_leader_created", "group_checkins", ["leader_id", "created_at"], unique=False)
    op.create_index(op.f("ix_group_checkins_photo_id"), "group_checkins", ["photo_id"], unique=False)
    with op.batch_alter_table("certificates") as batch:
        batch.add_column(sa.Column("leader_minutes", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("leader_names", sa.String(length=100), nullable=True))


def downgrade():
    with op.batch_alter_table("certificates") as batch:
        batch.drop_column("leader_names")
        batch.drop_column("leader_minutes")
    op.drop_index(op.f("ix_group_checkins_photo_id"), table_name="group_checkins")
    op.drop_index("ix_group_checkins_leader_created", table_name="group_checkins")
    op.drop_table("group_checkins")
    op.drop_index(op.f("ix_post_leaders_volunteer_id"), table_name="post_leaders")
    op.drop_table("post_leaders")
    _users_login_rule(OLD_LOGIN, card_version=False)
