"""Slowing down password guessing on the console sign-in (pages and API alike).

Three counters, each raised by one upsert statement *before* the password is
checked, so twenty guesses sent at once get exactly as many checks as twenty
sent one after another (counting first and recording afterwards let 18 through):

- username + address: 5 attempts in 15 minutes, then that pair is locked for the rest of the window;
- address: 30 in 15 minutes (the real client address: see TRUSTED_PROXIES);
- username, from anywhere: past 10 in 15 minutes, one attempt per 10 seconds. Failures spread over
  many addresses slow the name down instead of locking its owner out: they can still sign in.

A successful sign-in clears its username + address counter.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from server.db import db
from server.errors import ApiError
from server.models import LoginAttempt, LoginFailure

WINDOW = timedelta(minutes=15)
MAX_PER_PAIR = 5
MAX_PER_ADDRESS = 30
SLOW_AFTER_PER_USERNAME = 10
SLOW_INTERVAL = timedelta(seconds=10)

_t = LoginAttempt.__table__


def _bump(key: str, now: datetime) -> tuple[int, datetime, datetime | None]:
    """Raise the key's counter in one statement; (count, window start, previous attempt)."""
    insert = (postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert)(_t)
    since = now - WINDOW
    fresh = _t.c.window_start <= since
    statement = insert.values(key=key, window_start=now, count=1, last_at=now, previous_at=None).on_conflict_do_update(
        index_elements=[_t.c.key],
        set_={"count": sa.case((fresh, 1), else_=_t.c.count + 1),
              "window_start": sa.case((fresh, now), else_=_t.c.window_start),
              "previous_at": _t.c.last_at, "last_at": now},
    ).returning(_t.c.count, _t.c.window_start, _t.c.previous_at)
    # One write statement and nothing read before it: SQLite cannot deadlock upgrading a read lock.
    count, start, previous = db.session.execute(statement).one()
    db.session.commit()
    return count, start, previous


def _locked(retry_after: float) -> ApiError:
    seconds = max(1, int(retry_after))
    return ApiError(f"登录失败次数过多，请 {seconds // 60 + 1} 分钟后再试" if seconds >= 60
                    else f"登录尝试过于频繁，请 {seconds} 秒后再试",
                    code="LOGIN_LOCKED", status=429, retry_after=seconds)


def attempt(username: str, remote_addr: str | None, now: datetime) -> None:
    """Count this attempt; 429 LOGIN_LOCKED (with retry_after) if it is one too many."""
    address = (remote_addr or "unknown")[:64]
    name = username[:64]
    count, start, _ = _bump(f"a:{address}", now)
    if count > MAX_PER_ADDRESS:
        raise _locked((start + WINDOW - now).total_seconds())
    count, start, _ = _bump(f"p:{name}|{address}", now)
    if count > MAX_PER_PAIR:
        raise _locked((start + WINDOW - now).total_seconds())
    count, start, previous = _bump(f"u:{name}", now)
    if count > SLOW_AFTER_PER_USERNAME and previous is not None and now - previous < SLOW_INTERVAL:
        raise _locked((previous + SLOW_INTERVAL - now).total_seconds())


def record_failure(username: str, remote_addr: str | None, now: datetime) -> None:
    """A history row for the administrator; the counters were raised by ``attempt``."""
    db.session.add(LoginFailure(username=username[:64], remote_addr=remote_addr, at=now))
    db.session.commit()


def clear(username: str, remote_addr: str | None) -> None:
    """A successful sign-in: the pair starts afresh, and it does not count against the address
    (an office of coordinators behind one address signs in every morning) or the name."""
    name, address = username[:64], (remote_addr or "unknown")[:64]
    db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.key == f"p:{name}|{address}"))
    db.session.execute(sa.update(LoginAttempt).where(LoginAttempt.key.in_([f"a:{address}", f"u:{name}"]),
                                                     LoginAttempt.count > 0)
                       .values(count=LoginAttempt.count - 1))
    db.session.commit()
