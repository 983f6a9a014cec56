"""Ending credentials before they expire.

Two levers. A user's ``credential_version`` ends every token and console
session they hold (password change or reset, disabling, suspending): it is
read with the user on every request anyway, so it costs nothing. Logging out
ends one token or session: its id goes on a short denylist in the database,
kept until the token would have expired, so every server process sees it.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from server.db import db
from server.models import RevokedToken, User


def bump(user_id: int) -> None:
    """Every token and session the user holds stops working (the caller commits)."""
    db.session.execute(sa.update(User).where(User.id == user_id)
                       .values(credential_version=User.credential_version + 1))


def revoke(token_id: str, expires_at: datetime) -> None:
    """One token or session ends now (commits; logging out twice is fine)."""
    if not token_id:
        return
    db.session.add(RevokedToken(token_id=token_id[:32], expires_at=expires_at))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()


def is_revoked(token_id: str) -> bool:
    return bool(token_id) and db.session.get(RevokedToken, token_id[:32]) is not None


def purge(now: datetime) -> int:
    """Forget denylist entries whose tokens have expired anyway."""
    result = db.session.execute(sa.delete(RevokedToken).where(RevokedToken.expires_at < now))
    db.session.commit()
    return result.rowcount or 0


def expiry(issued: datetime, ttl_seconds: int) -> datetime:
    return issued + timedelta(seconds=ttl_seconds)
