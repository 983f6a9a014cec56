"""Failed console sign-ins, for the lockout after repeated failures."""
from __future__ import annotations

import sqlalchemy as sa

from server.db import UTCDateTime, db


class LoginFailure(db.Model):
    __tablename__ = "login_failures"
    id = sa.Column(sa.Integer, primary_key=True)
    username = sa.Column(sa.String(64), nullable=False)
    remote_addr = sa.Column(sa.String(64))
    at = sa.Column(UTCDateTime, nullable=False)

    __table_args__ = (sa.Index("ix_login_failures_username_at", "username", "at"),
                      sa.Index("ix_login_failures_remote_addr_at", "remote_addr", "at"))
