"""Did each assigned volunteer turn up? Late after LATE_AFTER_MINUTES, missed once the slot ended.

For one assignment (a volunteer on a slot), the volunteer's own shifts at the
slot's post that overlap the slot are what counts; arriving before the start
is arriving at the start. States:

- ``upcoming``: the slot has not started;
- ``pending``: started, not here yet, still within the allowance;
- ``on_time``: here within the allowance;
- ``late``: arrived after the allowance, or still not here while the slot runs;
- ``missed``: the slot ended and the volunteer never scanned in there.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from server.db import db
from server.duty.on_duty import overlapping, s
from server.models import SlotAssignment, Unit, User

assign_t = SlotAssignment.__table__


def assignments(slot_rows: list[dict], *, unit_id: int | None = None) -> list[dict]:
    """(slot, volunteer) pairs for these slots, with names; only one unit's people if ``unit_id``."""
    if not slot_rows:
        return []
    by_id = {row["id"]: row for row in slot_rows}
    query = (sa.select(assign_t.c.slot_id, assign_t.c.volunteer_id, User.name, User.unit_id,
                       Unit.name.label("unit_name"))
             .join(User, User.id == assign_t.c.volunteer_id).outerjoin(Unit, Unit.id == User.unit_id)
             .where(assign_t.c.slot_id.in_(list(by_id))).order_by(assign_t.c.starts_at, assign_t.c.id))
    if unit_id is not None:
        query = query.where(User.unit_id == unit_id)
    return [{"slot": by_id[row.slot_id], "volunteer_id": row.volunteer_id, "name": row.name,
             "unit_id": row.unit_id, "unit_name": row.unit_name} for row in db.session.execute(query)]


def attendance(pairs: list[dict], now: datetime, late_after: timedelta) -> list[dict]:
    """Each pair with ``state``, ``arrived_at`` and ``late_minutes`` added."""
    if not pairs:
        return []
    first = min(pair["slot"]["starts_at"] for pair in pairs)
    end = max(pair["slot"]["ends_at"] for pair in pairs)
    rows = overlapping(s.volunteer_id, {pair["volunteer_id"] for pair in pairs}, first, end, now,
                       columns=(s.id, s.volunteer_id, s.post_id, s.started_at, s.ended_at))
    mine: dict[tuple, list] = {}
    for row in rows:
        mine.setdefault((row.volunteer_id, row.post_id), []).append((row.started_at, row.ended_at or now))
    return [{**pair, **_state(pair["slot"], mine.get((pair["volunteer_id"], pair["slot"]["post_id"]), []),
                              now, late_after)} for pair in pairs]


def _state(slot: dict, spans: list, now: datetime, late_after: timedelta) -> dict:
    start, end = slot["starts_at"], slot["ends_at"]
    arrivals = [max(began, start) for began, ended in spans if began < end and ended > start]
    arrived = min(arrivals) if arrivals else None
    if now < start:
        state, late = "upcoming", None
    elif arrived is not None and arrived <= start + late_after:
        state, late = "on_time", 0
    elif arrived is not None:
        state, late = "late", _minutes(arrived - start)
    elif now < start + late_after:
        state, late = "pending", None
    elif now < end:
        state, late = "late", _minutes(now - start)
    else:
        state, late = "missed", None
    return {"state": state, "arrived_at": arrived, "late_minutes": late}


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)
