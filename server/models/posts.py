"""Where: duty posts (岗位) with their geofence and QR version."""
from __future__ import annotations

import sqlalchemy as sa

from server.db import UTCDateTime, db

POST_KINDS = ("intersection", "park", "community", "street", "other")


class Post(db.Model):
    __tablename__ = "posts"
    id = sa.Column(sa.Integer, primary_key=True)
    # Short code printed on the poster and read out on support calls.
    code = sa.Column(sa.String(16), unique=True)
    name = sa.Column(sa.String(100), nullable=False)
    kind = sa.Column(sa.String(16), nullable=False, default="intersection")
    district_id = sa.Column(sa.Integer, sa.ForeignKey("districts.id"), nullable=False, index=True)
    # GCJ-02, as Tencent Maps and wx.getLocation({type: 'gcj02'}) give them.
    latitude = sa.Column(sa.Float, nullable=False)
    longitude = sa.Column(sa.Float, nullable=False)
    radius_m = sa.Column(sa.Integer, nullable=False, default=100)
    active = sa.Column(sa.Boolean, nullable=False, default=True)
    qr_version = sa.Column(sa.Integer, nullable=False, default=1)
    created_at = sa.Column(UTCDateTime, nullable=False)
    # Stricter rules a county may set per post (issue 19): a shift stays pending until a camera
    # photo arrives within minutes of the start scan; scans are checked against the roster.
    require_photo_start = sa.Column(sa.Boolean, nullable=False, default=False, server_default=sa.false())
    scan_window = sa.Column(sa.Boolean, nullable=False, default=False, server_default=sa.false())

    __table_args__ = (
        sa.CheckConstraint(sa.text("kind IN ('intersection','park','community','street','other')"), name="kind"),
        sa.CheckConstraint(sa.text("latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180"),
                           name="coordinates"),
        sa.CheckConstraint(sa.text("radius_m > 0"), name="radius"),
        sa.CheckConstraint(sa.text("qr_version >= 1"), name="qr_version"),
    )

    district = db.relationship("District", lazy="joined")


class PostLeader(db.Model):
    """A volunteer who leads a post (岗长): may check the group in and out there with their cards."""

    __tablename__ = "post_leaders"
    id = sa.Column(sa.Integer, primary_key=True)
    post_id = sa.Column(sa.Integer, sa.ForeignKey("posts.id"), nullable=False)
    volunteer_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True)
    added_at = sa.Column(UTCDateTime, nullable=False)
    added_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))  # NULL: the command line

    __table_args__ = (sa.UniqueConstraint("post_id", "volunteer_id", name="uq_post_leaders_post_volunteer"),)
