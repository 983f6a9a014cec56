"""Lockout after repeated failed console sign-ins, shared by the console pages and the console API.

Five failures for one username within 15 minutes lock that username for the
rest of the window; thirty from one address lock the address. Failures are
rows in the database so every server process sees them.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from server.db import db
from server.errors import ApiError
from server.models import LoginFailure

WINDOW = timedelta(minutes=15)
MAX_PER_USERNAME = 5
MAX_PER_ADDRESS = 30


def check(username: str, remote_addr: str | None, now: datetime) -> None:
    since = now - WINDOW
    for column, value, limit in ((LoginFailure.username, username, MAX_PER_USERNAME),
                                 (LoginFailure.remote_addr, remote_addr, MAX_PER_ADDRESS)):
        if value is None:
            continue
        count, first = db.session.execute(
            sa.select(sa.func.count(LoginFailure.id), sa.func.min(LoginFailure.at))
            .where(column == value, LoginFailure.at > since)).one()
        if count >= limit:
            retry_after = max(1, int((first + WINDOW - now).total_seconds()))
            raise ApiError(f"登录失败次数过多，请 {retry_after // 60 + 1} 分钟后再试", code="LOGIN_LOCKED",
                           status=429, retry_after=retry_after)


def record_failure(username: str, remote_addr: str | None, now: datetime) -> None:
    db.session.add(LoginFailure(username=username[:64], remote_addr=remote_addr, at=now))
    db.session.commit()


def clear(username: str) -> None:
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.username == username))
    db.session.commit()
