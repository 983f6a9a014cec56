"""Time: stored in UTC, shown in the county's zone. Services take `now` as an argument."""
from __future__ import annotations

import re

from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

from server.config import is_production


def utcnow() -> datetime:
    """Now, in UTC. Outside production, CLOCK_OFFSET_SECONDS moves the server's clock, so an
    end-to-end test can let 20 minutes pass (the mini-program's tests do); production ignores it."""
    now = datetime.now(timezone.utc)
    if has_app_context():
        config = current_app.config
        offset = config.get("CLOCK_OFFSET_SECONDS")
        if offset and not is_production(config):
            now += timedelta(seconds=offset)
    return now


@lru_cache(maxsize=8)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def county_zone() -> ZoneInfo:
    return zone(current_app.config["TIMEZONE"])


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    return instant.astimezone(tz).date()


def local_iso(instant: datetime | None, tz: ZoneInfo | None = None) -> str | None:
    """ISO 8601 with the county's offset, e.g. 2026-11-26T07:40:00+08:00."""
    if instant is None:
        return None
    return instant.astimezone(tz or county_zone()).isoformat(timespec="seconds")


WEEKDAY_NAMES = "一二三四五六日"


def weekday_name(day: date) -> str:
    """一 for Monday … 日 for Sunday, as in 星期一 and 周日."""
    return WEEKDAY_NAMES[day.weekday()]


def day_bounds(first: date, last: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC instants covering the local dates first..last inclusive."""
    start = datetime.combine(first, time(0), tz).astimezone(timezone.utc)
    end = datetime.combine(last + timedelta(days=1), time(0), tz).astimezone(timezone.utc)
    return start, end


def parse_instant(text: str, tz: ZoneInfo) -> datetime:
    """ISO 8601; without an offset it is county-local time. Raises ValueError, also for non-ASCII
    digits and years outside 2000-2100 (timezone arithmetic overflows near years 1 and 9999)."""
    text = text.strip()
    if not text.isascii():
        raise ValueError(text)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # An unencoded '+' in a query string arrives as a space: "07:40:00 08:00".
    text = re.sub(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$", r"\1+\2", text)
    value = datetime.fromisoformat(text)
    if not 2000 <= value.year <= 2100:
        raise ValueError(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(timezone.utc)
