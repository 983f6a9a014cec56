"""Problems found at posts (问题上报与整改督办): categories, problems, photos of them,
and the questionnaires handed out on a shift.

Revision ID: 0011_problems
Revises: 0008_calendar
"""
from alembic import op
import sqlalchemy as sa

FINISHED = "status IN ('closed', 'auto_closed')"  # server/models/shifts.py FINISHED_SQL, frozen here
BY_DATE = ["local_date", "unit_id", "post_id", "status", "review_state", "source", "volunteer_id",
           "credited_minutes", "persuasions"]
BY_VOLUNTEER = ["volunteer_id", "local_date", "status", "review_state", "source", "credited_minutes",
                "persuasions", "unit_id", "post_id"]

revision = "0011_problems"
down_revision = "0010_trust"
branch_labels = None
depends_on = None


def upgrade():
    # The default list is installed on first use (server/problems/categories.py).
    op.create_table(
        "problem_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("deadline_working_days", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint("deadline_working_days BETWEEN 1 AND 60",
                           name=op.f("ck_problem_categories_deadline_working_days")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem_categories")),
        sa.UniqueConstraint("name", name=op.f("uq_problem_categories_name")),
    )

    op.create_table(
        "problems",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(), nullable=True),
        sa.Column("fix_note", sa.String(length=500), nullable=True),
        sa.Column("fix_photo_id", sa.Integer(), nullable=True),
        sa.Column("fixed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("status_reason", sa.String(length=500), nullable=True),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        sa.Column("notify_reporter", sa.Boolean(), nullable=False),
        sa.Column("notice_state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("status IN ('open','assigned','fixed','verified','rejected')",
                           name=op.f("ck_problems_status")),
        sa.CheckConstraint("status NOT IN ('assigned','fixed','verified') OR "
                           "(unit_id IS NOT NULL AND deadline IS NOT NULL)",
                           name=op.f("ck_problems_assigned_has_unit")),
        sa.CheckConstraint("status NOT IN ('fixed','verified') OR fixed_at IS NOT NULL",
                           name=op.f("ck_problems_fixed_has_time")),
        sa.CheckConstraint("latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180",
                           name=op.f("ck_problems_coordinates")),
        sa.CheckConstraint("notice_state IN ('none','due','sending','sent','refused','failed','unreachable',"
                           "'no_openid')", name=op.f("ck_problems_notice_state")),
        sa.ForeignKeyConstraint(["category_id"], ["problem_categories.id"],
                                name=op.f("fk_problems_category_id_problem_categories")),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], name=op.f("fk_problems_post_id_posts")),
        sa.ForeignKeyConstraint(["reporter_id"], ["users.id"], name=op.f("fk_problems_reporter_id_users")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_problems_unit_id_units")),
        sa.ForeignKeyConstraint(["fix_photo_id"], ["photos.id"], name="fk_problems_fix_photo_id_photos"),
        sa.ForeignKeyConstraint(["duplicate_of_id"], ["problems.id"],
                                name=op.f("fk_problems_duplicate_of_id_problems")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problems")),
    )
    with op.batch_alter_table("problems", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_problems_post_id"), ["post_id"], unique=False)
        batch_op.create_index("ix_problems_status_deadline", ["status", "deadline"], unique=False)
        batch_op.create_index("ix_problems_unit_status", ["unit_id", "status"], unique=False)
        batch_op.create_index("ix_problems_reporter_created", ["reporter_id", "created_at"], unique=False)
        batch_op.create_index("ix_problems_category_created", ["category_id", "created_at"], unique=False)

    # A photo is evidence of a shift or of a problem: same checks, storage and signed links.
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.alter_column("shift_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("problem_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_photos_problem_id_problems"), "problems",
                                    ["problem_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_photos_problem_id"), ["problem_id"], unique=False)
        batch_op.drop_constraint(batch_op.f("ck_photos_kind"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_photos_kind"),
                                         "kind IN ('start','duty','end','before','after')")
        batch_op.create_check_constraint(
            batch_op.f("ck_photos_subject"),
            "(shift_id IS NOT NULL AND problem_id IS NULL AND kind IN ('start','duty','end'))"
            " OR (problem_id IS NOT NULL AND shift_id IS NULL AND kind IN ('before','after'))")

    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("questionnaires", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_check_constraint(batch_op.f("ck_shifts_questionnaires"), "questionnaires >= 0")
    # The report indexes stay covering: reports sum questionnaires beside persuasions.
    _report_indexes(BY_DATE[:9] + ["questionnaires"], BY_VOLUNTEER[:7] + ["questionnaires"] + BY_VOLUNTEER[7:])


def _report_indexes(by_date: list[str], by_volunteer: list[str]) -> None:
    op.drop_index("ix_shifts_report_by_date", table_name="shifts")
    op.drop_index("ix_shifts_report_by_volunteer", table_name="shifts")
    condition = {"sqlite_where": sa.text(FINISHED), "postgresql_where": sa.text(FINISHED)}
    op.create_index("ix_shifts_report_by_date", "shifts", by_date, **condition)
    op.create_index("ix_shifts_report_by_volunteer", "shifts", by_volunteer, **condition)


def downgrade():
    _report_indexes(BY_DATE, BY_VOLUNTEER)
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_shifts_questionnaires"), type_="check")
        batch_op.drop_column("questionnaires")
    op.execute("UPDATE problems SET fix_photo_id = NULL")
    op.execute("DELETE FROM photos WHERE problem_id IS NOT NULL")
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_photos_subject"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_photos_kind"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_photos_kind"), "kind IN ('start','duty','end')")
        batch_op.drop_index(batch_op.f("ix_photos_problem_id"))
        batch_op.drop_constraint(batch_op.f("fk_photos_problem_id_problems"), type_="foreignkey")
        batch_op.drop_column("problem_id")
        batch_op.alter_column("shift_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("problems")
    op.drop_table("problem_categories")
