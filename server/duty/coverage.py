"""Coverage of planned duty: was each slot staffed, and what share of planned minutes was.

A slot needing N volunteers for M minutes plans N×M person-minutes. At each
moment the post counts min(N, volunteers on duty there), whoever they are:
the point is that the post was staffed, not by whom. A slot is

- ``covered`` when at most COVERAGE_GRACE_MINUTES per needed volunteer are missing,
- ``missed`` when nobody was there at any moment of it,
- ``partial`` otherwise, with the person-minutes missing and the lateness
  (minutes from the start until the first volunteer was there).

Slots still running are ``in_progress`` and slots not begun ``upcoming``;
neither counts in the shares. Shifts outside every slot count as hours
(server/checkin/hours.py) but never as coverage. Voided and rejected shifts never
count; a pending one does (someone was there; the review is about the hours).
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa

from server import driver_rows, permissions
from server.callers import Caller
from server.db import db
from server.duty.on_duty import LOOKBACK, overlapping, s
from server.errors import NotFound
from server.models import District, DutySlot, Post

slots_t, posts_t = DutySlot.__table__, Post.__table__
_combine = datetime.combine
STATES = ("covered", "partial", "missed", "in_progress", "upcoming")
SETTLED = ("covered", "partial", "missed")


@dataclass(frozen=True)
class Scope:
    district_id: int | None = None
    post_id: int | None = None
    unit_id: int | None = None


def check_scope(caller: Caller, scope: Scope) -> None:
    """A filter naming a district, post or unit outside the caller's scope is 404, like any row.
    (A unit coordinator's slots may be in any district; its slot scope already narrows them.)"""
    if scope.district_id is not None:
        found = db.session.get(District, scope.district_id)
        other = caller.scope_district_id is not None and caller.scope_district_id != scope.district_id
        if found is None or other:
            raise NotFound("找不到该片区")
    if scope.post_id is not None and db.session.execute(sa.select(Post.id).where(
            Post.id == scope.post_id, permissions.visible_post(caller))).first() is None:
        raise NotFound("找不到该岗位")
    if scope.unit_id is not None and caller.scope_unit_id not in (None, scope.unit_id):
        raise NotFound("找不到该单位")


def slots(caller: Caller | None, first: date, last: date, scope: Scope = Scope()) -> list[dict]:
    """The slots of the local dates first..last; ``caller=None`` means county-wide."""
    query = (sa.select(slots_t.c.id, slots_t.c.post_id, slots_t.c.unit_id, slots_t.c.local_date,
                       driver_rows.aware(slots_t.c.starts_at), driver_rows.aware(slots_t.c.ends_at), slots_t.c.needed,
                       slots_t.c.note, posts_t.c.district_id, posts_t.c.code, posts_t.c.name)
             .join(posts_t, posts_t.c.id == slots_t.c.post_id)
             .where(slots_t.c.local_date >= first, slots_t.c.local_date <= last)
             .order_by(slots_t.c.starts_at, slots_t.c.id))
    if caller is not None:
        query = query.where(permissions.slot_filter(caller))
    if scope.district_id is not None:
        query = query.where(posts_t.c.district_id == scope.district_id)
    if scope.post_id is not None:
        query = query.where(slots_t.c.post_id == scope.post_id)
    if scope.unit_id is not None:
        query = query.where(slots_t.c.unit_id == scope.unit_id)
    # 9,000 a month: the driver's rows, and only the dates and times converted (in C), not every
    # value through SQLAlchemy's result processing, which cost more than the rest of the report.
    dialect = driver_rows.dialect_name()
    aware, as_date = driver_rows.aware_reader(dialect), driver_rows.date_reader(dialect)
    return [{"id": slot_id, "post_id": post_id, "unit_id": unit_id, "local_date": as_date(day),
             "starts_at": aware(starts_at), "ends_at": aware(ends_at), "needed": needed, "note": note,
             "district_id": district_id, "post_code": code, "post_name": name}
            for (slot_id, post_id, unit_id, day, starts_at, ends_at, needed, note, district_id, code, name)
            in driver_rows.session_rows(query)]


def measure(slot_rows: list[dict], now: datetime, grace_minutes: int) -> list[dict]:
    """Each slot with its figures added. Every shift at the slots' posts counts, in scope or not:
    coverage says whether a post was staffed and names nobody.

    The sweep works in naive UTC, the shifts' times as the driver returns them (converted from
    text on SQLite only): a conversion per value cost more than the sweep itself on a month."""
    if not slot_rows:
        return []
    first = min(row["starts_at"] for row in slot_rows)
    end = max(row["ends_at"] for row in slot_rows)
    shift_rows = overlapping(s.post_id, {row["post_id"] for row in slot_rows}, first, end, now,
                             columns=(s.id, s.post_id, s.volunteer_id, s.started_at, s.ended_at), raw=True)
    naive = driver_rows.naive_reader(driver_rows.dialect_name())
    naive_now = _naive_utc(now)
    by_post: dict[int, list] = {}
    for _, post_id, volunteer_id, started_at, ended_at in shift_rows:
        if naive is not None:
            started_at, ended_at = naive(started_at), ended_at and naive(ended_at)
        by_post.setdefault(post_id, []).append((started_at, ended_at or naive_now, volunteer_id))
    index = {post_id: _Index(rows) for post_id, rows in by_post.items()}
    empty = _Index([])
    return [{**row, **_figures(row, index.get(row["post_id"], empty), now, naive_now, grace_minutes)}
            for row in slot_rows]


def _naive_utc(instant: datetime) -> datetime:
    if instant.tzinfo is not timezone.utc:
        instant = instant.astimezone(timezone.utc)
    return _combine(instant, instant.time())  # time() has no zone; replace(tzinfo=None) costs 5 times this


class _Index:
    """A post's shifts by start, plus the long ones that a look-back window would miss."""

    def __init__(self, rows: list) -> None:
        rows = sorted(rows, key=lambda r: r[0])
        self.starts = [r[0] for r in rows]
        self.rows = rows
        self.long = [r for r in rows if r[1] - r[0] > LOOKBACK]

    def around(self, first: datetime, end: datetime) -> list:
        lo = bisect.bisect_right(self.starts, first - LOOKBACK)
        hi = bisect.bisect_left(self.starts, end)
        if not self.long:  # the common case: every row in [lo, hi) starts in the window
            return [r for r in self.rows[lo:hi] if r[1] > first]
        found = {id(r): r for r in self.rows[lo:hi]}
        for r in self.long:
            if r[0] < end:
                found.setdefault(id(r), r)
        return [r for r in found.values() if r[0] < end and r[1] > first]


def _figures(slot: dict, shifts: _Index, now: datetime, naive_now: datetime, grace_minutes: int) -> dict:
    start, end, needed = slot["starts_at"], slot["ends_at"], slot["needed"]
    planned = needed * int((end - start).total_seconds() // 60)
    if now <= start:
        return {"state": "upcoming", "planned_person_minutes": planned, "covered_person_minutes": 0,
                "missing_person_minutes": None, "late_minutes": None}
    start = _naive_utc(start)
    horizon = min(_naive_utc(end), naive_now)
    covered_seconds, first_arrival = _sweep(shifts.around(start, horizon), start, horizon, needed)
    covered = int(covered_seconds // 60)
    late = None if first_arrival is None else int((first_arrival - start).total_seconds() // 60)
    if now < end:
        state = "in_progress"
    elif covered_seconds == 0:
        state = "missed"
    elif planned - covered <= grace_minutes * needed:
        state = "covered"
    else:
        state = "partial"
    return {"state": state, "planned_person_minutes": planned, "covered_person_minutes": covered,
            "missing_person_minutes": None if state == "in_progress" else planned - covered,
            "late_minutes": late}


def _sweep(shifts: list, start: datetime, end: datetime, needed: int):
    """Seconds of min(needed, people present) over [start, end), and when the first person was there."""
    if len(shifts) <= 1:  # most slots: nobody, or one person (needed is at least 1)
        if not shifts:
            return 0.0, None
        began, ended, _ = shifts[0]
        began, ended = max(began, start), min(ended, end)
        return ((ended - began).total_seconds(), began) if ended > began else (0.0, None)
    spans = [(max(began, start), min(ended, end), volunteer_id) for began, ended, volunteer_id in shifts]
    if len({volunteer_id for _, _, volunteer_id in spans}) < len(spans):
        spans = _merged_per_person(spans)
    spans = [(began, ended) for began, ended, _ in spans if ended > began]
    if not spans:
        return 0.0, None
    if len(spans) <= needed:  # never more people than needed: every minute of each counts
        return sum((ended - began).total_seconds() for began, ended in spans), min(began for began, _ in spans)
    events = []
    for began, ended in spans:
        events += [(began, 1), (ended, -1)]
    events.sort()
    covered, present, last, first_arrival = 0.0, 0, start, None
    for at, change in events:
        if present:
            covered += (at - last).total_seconds() * min(present, needed)
        present += change
        last = at
        if present and first_arrival is None:
            first_arrival = at
    return covered, first_arrival


def _merged_per_person(spans: list) -> list:
    """One person counts once even if their records overlap: each person's spans, merged."""
    per_person: dict[int, list] = {}
    for began, ended, volunteer_id in spans:
        per_person.setdefault(volunteer_id, []).append((began, ended))
    merged = []
    for volunteer_id, own in per_person.items():
        own.sort()
        current = list(own[0])
        for began, ended in own[1:]:
            if began <= current[1]:
                current[1] = max(current[1], ended)
            else:
                merged.append((current[0], current[1], volunteer_id))
                current = [began, ended]
        merged.append((current[0], current[1], volunteer_id))
    return merged


def summarize(measured: list[dict], key: str) -> dict:
    """Settled slots grouped by ``key``: planned and covered person-minutes, share, counts by state."""
    groups: dict = {}
    for row in measured:
        group = groups.get(row[key])
        if group is None:
            group = groups[row[key]] = _empty()
        _add(group, row)
    for group in groups.values():
        _share(group)
    return groups


def _empty() -> dict:
    return {"slots": 0, "covered": 0, "partial": 0, "missed": 0, "in_progress": 0, "upcoming": 0,
            "planned_person_minutes": 0, "covered_person_minutes": 0, "share": None}


def _add(group: dict, row: dict) -> None:
    """Counts and sums; the share is worked out once the group is complete (``_share``)."""
    state = row["state"]
    group["slots"] += 1
    group[state] += 1
    if state in SETTLED:
        group["planned_person_minutes"] += row["planned_person_minutes"]
        group["covered_person_minutes"] += row["covered_person_minutes"]


def _share(group: dict) -> None:
    group["share"] = share(group["covered_person_minutes"], group["planned_person_minutes"])


def share(covered: int, planned: int) -> float | None:
    return round(covered / planned, 4) if planned else None


def totals(measured: list[dict]) -> dict:
    group = _empty()
    for row in measured:
        _add(group, row)
    _share(group)
    return group


def report(caller: Caller | None, first: date, last: date, now: datetime, grace_minutes: int,
           scope: Scope = Scope()) -> dict:
    """The coverage report: each slot, each post, each district and the total."""
    measured = measure(slots(caller, first, last, scope), now, grace_minutes)
    by_post = summarize(measured, "post_id")
    by_district = summarize(measured, "district_id")
    post_names = {row["post_id"]: (row["post_code"], row["post_name"], row["district_id"]) for row in measured}
    district_names = dict(db.session.execute(
        sa.select(District.id, District.name).where(District.id.in_(by_district))).all()) if by_district else {}
    return {
        "slots": measured,
        "posts": [{"post": {"id": pid, "code": post_names[pid][0], "name": post_names[pid][1],
                            "district_id": post_names[pid][2]}, **figures}
                  for pid, figures in sorted(by_post.items(), key=lambda kv: post_names[kv[0]][0] or "")],
        "districts": [{"district": {"id": did, "name": district_names.get(did)}, **figures}
                      for did, figures in sorted(by_district.items())],
        "totals": totals(measured),
    }


def missed_by_post(measured: list[dict], limit: int = 10) -> list[dict]:
    """Posts whose slots were missed most often, with the dates (the bulletin's 空岗 list)."""
    missed: dict[int, list] = {}
    for row in measured:
        if row["state"] == "missed":
            missed.setdefault(row["post_id"], []).append(row)
    ranked = sorted(missed.values(), key=lambda rows: (-len(rows), rows[0]["post_code"] or ""))
    return [{"post": {"id": rows[0]["post_id"], "code": rows[0]["post_code"], "name": rows[0]["post_name"]},
             "missed": len(rows), "dates": sorted({row["local_date"] for row in rows})}
            for rows in ranked[:limit]]


def day_range(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
