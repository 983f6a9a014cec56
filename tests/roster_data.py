"""Rosters and shifts written for roster tests, at exact instants in county time."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from server import callers
from server.duty import rosters
from tests import factories

TZ = ZoneInfo("Asia/Shanghai")


def local(text: str) -> datetime:
    """'2026-11-26 07:40' or with seconds/microseconds, county time -> aware UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ).astimezone(timezone.utc)


def shift(volunteer, post, start: str, end: str | None, *, status: str | None = None,
          review_state: str = "none", credited: int | None = None, unit_id: int | None = None):
    """A shift from ``start`` to ``end`` (local text); ``end=None`` leaves it open."""
    started = local(start)
    ended = local(end) if end else None
    status = status or ("open" if ended is None else "closed")
    minutes = int((ended - started).total_seconds() // 60) if ended else 0
    return factories.shift(volunteer, post, started, ended, tz=TZ, unit_id=unit_id or volunteer.unit_id,
                           status=status, review_state=review_state,
                           credited_minutes=0 if status == "open" else (minutes if credited is None else credited))


def slots(planner, post, day: str, start: str, end: str, *, needed: int | None = None, volunteers=(), unit=None,
          now: datetime | None = None) -> int:
    """One slot planned by ``planner`` (a console user) as if it were ``now`` (default: the day before)."""
    when = date.fromisoformat(day)
    now = now or datetime.combine(when - timedelta(days=1), time(12), TZ).astimezone(timezone.utc)
    spec = rosters.SlotSpec(post_id=post.id, local_date=when, start=rosters.parse_clock(start),
                            end=rosters.parse_clock(end), needed=needed or max(1, len(volunteers)),
                            unit_id=unit.id if unit is not None else None,
                            volunteer_ids=tuple(v.id for v in volunteers))
    return rosters.plan(callers.load(planner.id), [spec], now, TZ)[0]
