"""Official WeChat mini-program codes fetched for posts, kept so each is fetched once."""
from __future__ import annotations

import sqlalchemy as sa

from server.db import UTCDateTime, db


class WxaCode(db.Model):
    """One post's round mini-program code for one QR version.

    In the database rather than the instance folder: every server process and
    host shares it (as they share the access token), it survives a redeploy
    onto a fresh disk, and it is backed up with the posts it belongs to. The
    request that produced it is stored too, so a change of page, app build,
    AppID or SECRET_KEY makes the row stale instead of printing a wrong code.
    """

    __tablename__ = "wxa_codes"
    post_id = sa.Column(sa.Integer, sa.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True)
    qr_version = sa.Column(sa.Integer, primary_key=True)
    appid = sa.Column(sa.String(64), nullable=False)
    scene = sa.Column(sa.String(32), nullable=False)
    page = sa.Column(sa.String(128), nullable=False)
    env_version = sa.Column(sa.String(16), nullable=False)
    content_type = sa.Column(sa.String(32), nullable=False)
    image = sa.Column(sa.LargeBinary, nullable=False)
    sha256 = sa.Column(sa.String(64), nullable=False)
    fetched_at = sa.Column(UTCDateTime, nullable=False)
