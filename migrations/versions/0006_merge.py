"""Join the feature branches of the schema into one head.

Revision ID: 0006_merge
Revises: 0002_console, 0003_posters, 0003_reviews, 0004_rosters, 0005_photos
"""
revision = "0006_merge"
down_revision = ("0002_console", "0003_posters", "0003_reviews", "0004_rosters", "0005_photos")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
