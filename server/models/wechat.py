"""WeChat access tokens shared by every server process."""
from __future__ import annotations

import sqlalchemy as sa

from server.db import UTCDateTime, db


class WechatToken(db.Model):
    __tablename__ = "wechat_tokens"
    appid = sa.Column(sa.String(64), primary_key=True)
    access_token = sa.Column(sa.String(1024), nullable=False)
    expires_at = sa.Column(UTCDateTime, nullable=False)
