"""Hours rules: how a shift's length becomes credited minutes.

The server's clock decides; the phone's clock is never trusted. Credited
minutes are whole minutes (seconds are dropped), capped at MAX_SHIFT_MINUTES;
a shift shorter than MIN_SHIFT_MINUTES credits 0 and is flagged for review.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

# Which shifts count as hours served, in Python and as SQL: the models define them,
# since the report indexes are partial on exactly that term.
from server.models.shifts import COUNTED_STATUSES, FINISHED_SQL  # noqa: F401  (re-exported)

# National star levels (全国志愿服务信息系统): lifetime hours for 一星 … 五星.
STAR_THRESHOLDS_HOURS = (100, 300, 600, 1000, 1500)

# Flags that send a shift to the coordinators' review queue.
REVIEW_FLAGS = frozenset({
    "too_short", "capped", "auto_closed", "outside_geofence_end",
    "photo_reused", "photo_time_mismatch", "no_photo", "manual", "correction_requested",
    "photo_content_risky", "spot_check_unanswered", "spot_check_photo_not_live",
    # location_signals.py and post_rules.py: signs a shift was not earned at the post
    "location_at_post_exact", "location_repeated", "location_static", "location_jump",
    "accuracy_implausible", "persuasions_implausible", "unrostered", "start_photo_pending", "no_start_photo",
    "offline_sync",  # the time came from the phone (a scan kept offline), not the server's clock
    "leader_checkin",  # a post leader checked the member in while bending a rule (group_checkin.py)
})

COUNTED_REVIEW_STATES = ("none", "approved", "adjusted")


@dataclass(frozen=True)
class Credit:
    minutes: int
    flags: list[str] = field(default_factory=list)


def finished(table: sa.Table):
    """``<table>.status IN ('closed', 'auto_closed')`` as literal SQL, for report queries."""
    return sa.text(f"{table.name}.{FINISHED_SQL}")


def elapsed_minutes(started_at: datetime, ended_at: datetime) -> int:
    return max(0, int((ended_at - started_at).total_seconds() // 60))


def credit(started_at: datetime, ended_at: datetime, *, min_minutes: int, max_minutes: int) -> Credit:
    minutes = elapsed_minutes(started_at, ended_at)
    if minutes < min_minutes:
        return Credit(0, ["too_short"])
    if minutes > max_minutes:
        return Credit(max_minutes, ["capped"])
    return Credit(minutes)


def merge_flags(existing: list[str] | None, new: list[str]) -> list[str]:
    """Flags only accumulate: ending a shift never clears what a photo upload raised."""
    merged = list(existing or [])
    for flag in new:
        if flag not in merged:
            merged.append(flag)
    return merged


def needs_review(flags: list[str]) -> bool:
    return any(flag in REVIEW_FLAGS for flag in flags)


def star_level(lifetime_minutes: int) -> int:
    hours = lifetime_minutes / 60
    return sum(1 for threshold in STAR_THRESHOLDS_HOURS if hours >= threshold)


def next_star(lifetime_minutes: int) -> dict | None:
    """The next star level and the minutes still needed for it; None past the top level."""
    level = star_level(lifetime_minutes)
    if level >= len(STAR_THRESHOLDS_HOURS):
        return None
    return {"level": level + 1, "hours": STAR_THRESHOLDS_HOURS[level],
            "minutes_needed": STAR_THRESHOLDS_HOURS[level] * 60 - lifetime_minutes}


def as_hours(minutes: int) -> float:
    return round(minutes / 60, 2)
