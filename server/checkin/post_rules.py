"""What a scan-in sets in motion beyond the shift itself: a post's stricter settings and the
draw of a presence check.

Per post, a county may ask for more (the console's post form):
- ``require_photo_start``: the shift stays pending review (``start_photo_pending``) until a
  camera photo of kind ``start`` arrives within START_PHOTO_MINUTES of the start scan; if
  none has when the shift ends, it gets ``no_start_photo``.
- ``scan_window``: a scan-in counts as rostered when the volunteer is assigned to a slot at
  that post running from SCAN_EARLY_MINUTES before its start to its end; a scan outside any
  such slot is allowed and flagged ``unrostered`` when the post has a roster that day: a slot
  that touches the scan's local day (a night slot planned the day before and running past
  midnight counts), or one opening for scans already (just before midnight, the next day's).

The presence check itself (an automatic spot check) is raised by server/duty/presence_checks.py
when the drawn moment comes: checkin only draws it, it does not import duty.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta

import sqlalchemy as sa

from server.checkin import hours
from server.fastsql import Prepared
from server.clock import day_bounds, local_date
from server.models import DutySlot, SlotAssignment
from server.models.rosters import MAX_SLOT_HOURS

START_PHOTO_MINUTES = 5
# A presence check comes no sooner than this into the shift, and no later than the cap.
PRESENCE_CHECK_EARLIEST_MINUTES = 10
# A start photo's camera time may run this far before the scan (the phone's clock drifts).
START_PHOTO_CLOCK_SLACK = timedelta(minutes=2)

START_PHOTO_PENDING = "start_photo_pending"
NO_START_PHOTO = "no_start_photo"
UNROSTERED = "unrostered"

_random = random.SystemRandom()  # a cheat must not be able to predict which shifts are checked

slots_t, assignments_t = DutySlot.__table__, SlotAssignment.__table__

_IN_ASSIGNED_SLOT = Prepared(sa.select(sa.exists().where(
    assignments_t.c.volunteer_id == sa.bindparam("volunteer_id"),
    assignments_t.c.starts_at <= sa.bindparam("latest_start"), assignments_t.c.ends_at > sa.bindparam("now"),
    slots_t.c.id == assignments_t.c.slot_id, slots_t.c.post_id == sa.bindparam("post_id"))))
# A slot of the post that overlaps [day_start, horizon): horizon is the day's end, or later when
# a slot opening for scans now starts after midnight. Slots last at most MAX_SLOT_HOURS, so the
# start is bounded on both sides: a range on the (post_id, starts_at, ends_at) index.
_POST_HAS_ROSTER = Prepared(sa.select(sa.exists().where(
    slots_t.c.post_id == sa.bindparam("post_id"),
    slots_t.c.starts_at > sa.bindparam("earliest_start", type_=slots_t.c.starts_at.type),
    slots_t.c.starts_at < sa.bindparam("horizon", type_=slots_t.c.starts_at.type),
    slots_t.c.ends_at > sa.bindparam("day_start", type_=slots_t.c.ends_at.type))))


def presence_check_at(now: datetime, rate: float, max_minutes: int) -> datetime | None:
    """A random share (``rate``) of shifts get a presence check at a random minute
    between 10 minutes in and the cap; None for the others."""
    if rate <= 0 or _random.random() >= rate:
        return None
    return now + timedelta(minutes=_random.uniform(PRESENCE_CHECK_EARLIEST_MINUTES,
                                                    max(max_minutes, PRESENCE_CHECK_EARLIEST_MINUTES)))


def start_flags(post: dict, volunteer_id: int, now: datetime, early_minutes: int, tz) -> list[str]:
    """The flags a post's stricter settings put on a new shift (reads only for such posts)."""
    flags = []
    if post.get("require_photo_start"):
        flags.append(START_PHOTO_PENDING)
    if post.get("scan_window") and not rostered(post["id"], volunteer_id, now, early_minutes, tz):
        flags.append(UNROSTERED)
    return flags


def rostered(post_id: int, volunteer_id: int, now: datetime, early_minutes: int, tz) -> bool:
    """In one of the volunteer's slots at the post (opening ``early_minutes`` before it starts),
    or the post has no roster that day to be outside of (see the module's docstring)."""
    latest_start = now + timedelta(minutes=early_minutes)
    params = {"volunteer_id": volunteer_id, "post_id": post_id, "now": now, "latest_start": latest_start}
    if _first_value(_IN_ASSIGNED_SLOT.first(params)):
        return True
    day = local_date(now, tz)
    day_start, day_end = day_bounds(day, day, tz)
    return not _first_value(_POST_HAS_ROSTER.first({
        "post_id": post_id, "earliest_start": day_start - timedelta(hours=MAX_SLOT_HOURS),
        "horizon": max(day_end, latest_start), "day_start": day_start}))


def _first_value(row: dict | None):
    return next(iter(row.values())) if row else None


def end_flags(flags: list[str]) -> list[str]:
    """A start photo still missing when the shift ends is missing for good."""
    return [NO_START_PHOTO] if START_PHOTO_PENDING in (flags or []) else []


def start_photo_arrived(shift: dict, kind: str, captured_at: datetime | None, now: datetime) -> dict | None:
    """The changes that settle ``start_photo_pending`` when this photo satisfies it: kind
    ``start``, uploaded within 5 minutes of the start scan, with a camera time no older than
    the scan. None when it does not (or nothing is pending)."""
    flags = list(shift["flags"] or [])
    if START_PHOTO_PENDING not in flags or kind != "start" or shift["status"] != "open":
        return None
    if now > shift["started_at"] + timedelta(minutes=START_PHOTO_MINUTES):
        return None
    if captured_at is None or captured_at < shift["started_at"] - START_PHOTO_CLOCK_SLACK:
        return None
    flags.remove(START_PHOTO_PENDING)
    changes = {"flags": flags}
    if shift["review_state"] == "pending" and not hours.needs_review(flags):
        changes["review_state"] = "none"
    return changes
