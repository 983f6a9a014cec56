"""Who is on duty: now, at an instant at a post, through a day at a post, and where a person served.

A shift covers ``started_at <= t < ended_at``; an open shift covers up to now.
Voided and rejected shifts never count. Times are compared exactly as stored
(microseconds), never rounded to the minute.

These answer in milliseconds on a year of data because no query walks a
post's or a person's history. A shift that covers ``t`` either started within
LONG_SHIFT_HOURS before ``t`` (a short range of the ordinary (post, start)
index), or is a long one (a partial index holding only shifts longer than
that, which are rare), or is still open (the (status, start) index). The three
are asked in one UNION ALL.
"""
from __future__ import annotations

import operator
from datetime import date, datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa

from server import driver_rows, fastsql, permissions
from server.evidence import photos
from server.callers import Caller
from server.clock import day_bounds, local_date
from server.db import db
from server.errors import NotFound
from server.fastsql import Prepared
from server.models import DutySlot, Photo, Post, Shift, SlotAssignment, Unit, User
from server.models.rosters import LONG_SHIFT_HOURS, LONG_SHIFT_POSTGRESQL, LONG_SHIFT_SQLITE, MAX_SLOT_HOURS

s = Shift.__table__.c
shifts_t, slots_t, assign_t = Shift.__table__, DutySlot.__table__, SlotAssignment.__table__
posts_t, users_t, units_t, photos_t = Post.__table__, User.__table__, Unit.__table__, Photo.__table__
LOOKBACK = timedelta(hours=LONG_SHIFT_HOURS)
ONE_TICK = timedelta(microseconds=1)  # [at, at + 1 µs) is the instant `at` at the stored precision
_OPEN = shifts_t.alias("o")  # built once: an alias's column collection costs more than the query
# What server/evidence/photos.entry() reads of a photo.
_PHOTO_KEYS = ("id", "sha256", "kind", "width", "height", "bytes", "captured_at")


def _long_shift():
    """The partial indexes' condition, verbatim, so the planner can use them."""
    dialect = db.session.get_bind().dialect.name
    return sa.text(LONG_SHIFT_POSTGRESQL if dialect == "postgresql" else LONG_SHIFT_SQLITE)


def _counts():
    return sa.and_(s.status != "voided", s.review_state != "rejected")


class PostRef(NamedTuple):
    id: int
    code: str | None
    name: str
    district_id: int


class OnDuty(NamedTuple):
    """One person on duty on the board (a tuple, not a dict: with 300 people on duty, making
    their dicts was a sixth of the board's time against its SQL floor, the tuples half that)."""
    id: int  # the shift
    volunteer_id: int
    unit_id: int | None
    started_at: datetime
    source: str
    volunteer_name: str
    unit_name: str | None
    photo: dict | None  # server/evidence/photos.entry()


def overlapping(key, values, first: datetime, end: datetime, now: datetime, columns=(s.id,), *,
                raw: bool = False) -> list:
    """Shifts whose ``key`` (post_id or volunteer_id) is one of ``values`` and that cover some of
    [first, end), as rows of ``columns`` (which must include the id; with ``raw``, first, and the
    rows are tuples as the driver returns them, unconverted). One statement, and no scope: a
    scope condition could lure the planner onto another index; callers apply it after."""
    values = [values] if isinstance(values, int) else list(values)
    if not values:
        return []

    def matches(column):
        return column == values[0] if len(values) == 1 else column.in_(values)

    # An open shift covers up to now, so it reaches into [first, end) only if now is past first.
    covers = sa.or_(s.ended_at > first, s.status == "open") if now > first else s.ended_at > first
    branches = [
        sa.select(*columns).where(
            matches(key), s.started_at < end, s.started_at > first - LOOKBACK, covers, _counts()),
        sa.select(*columns).where(
            matches(key), _long_shift(), s.started_at < end, s.ended_at > first, _counts()),
    ]
    if now > first:
        # Open since before the look-back: only the (status, start) index may serve this, as open
        # shifts are few and a post's history is not. ``key + 0`` keeps the planner off the key's index.
        branches.append(sa.select(*columns).where(
            s.status == "open", s.started_at <= first - LOOKBACK, s.started_at < end, matches(key + 0),
            _counts()))
    statement = sa.union_all(*branches)
    if raw:  # a shift in two branches (a long one started within the look-back) is listed once
        return list({row[0]: row for row in driver_rows.session_rows(statement)}.values())
    rows = {row.id: row for row in db.session.execute(statement).all()}
    return list(rows.values())


def overlapping_ids(key, values, first: datetime, end: datetime, now: datetime) -> list[int]:
    return [row.id for row in overlapping(key, values, first, end, now)]


def _details(ids: list[int], scope) -> list[dict]:
    """The shifts with these ids that the caller may see, with names, oldest first."""
    if not ids:
        return []
    rows = db.session.execute(
        sa.select(s.id, s.volunteer_id, s.post_id, s.unit_id, s.status, s.source, s.started_at, s.ended_at,
                  s.review_state, s.credited_minutes, users_t.c.name.label("volunteer_name"),
                  units_t.c.name.label("unit_name"), posts_t.c.name.label("post_name"),
                  posts_t.c.code.label("post_code"))
        .join(users_t, users_t.c.id == s.volunteer_id).join(posts_t, posts_t.c.id == s.post_id)
        .outerjoin(units_t, units_t.c.id == s.unit_id)
        .where(s.id.in_(ids), scope).order_by(s.started_at, s.id)).mappings()
    return [dict(row) for row in rows]


def _require_post(caller: Caller, post_id: int) -> "PostRef":
    post = db.session.execute(
        sa.select(posts_t.c.id, posts_t.c.code, posts_t.c.name, posts_t.c.district_id)
        .where(posts_t.c.id == post_id, permissions.visible_post(caller))).first()
    if post is None:
        raise NotFound("找不到该岗位")
    return PostRef(*post)


def at_post(caller: Caller, post_id: int, at: datetime, now: datetime) -> dict:
    """Who was on duty at the post at the instant ``at``, and which slots were planned then."""
    post = _require_post(caller, post_id)
    ids = overlapping_ids(s.post_id, post_id, at, at + ONE_TICK, now)
    slots = db.session.execute(sa.select(slots_t).where(
        slots_t.c.post_id == post_id, slots_t.c.starts_at <= at, slots_t.c.ends_at > at,
        slots_t.c.starts_at > at - timedelta(hours=MAX_SLOT_HOURS),
        permissions.slot_filter(caller))).mappings().all()
    return {"post": post, "at": at, "shifts": _details(ids, permissions.shift_filter(caller)),
            "slots": [dict(row) for row in slots]}


def day_at_post(caller: Caller, post_id: int, day: date, now: datetime, tz) -> dict:
    """The post's day: every shift that covered part of it, and the day's slots."""
    post = _require_post(caller, post_id)
    first, end = day_bounds(day, day, tz)
    ids = overlapping_ids(s.post_id, post_id, first, end, now)
    slots = db.session.execute(sa.select(slots_t).where(
        slots_t.c.post_id == post_id, slots_t.c.local_date == day,
        permissions.slot_filter(caller)).order_by(slots_t.c.starts_at)).mappings().all()
    return {"post": post, "date": day, "shifts": _details(ids, permissions.shift_filter(caller)),
            "slots": [dict(row) for row in slots]}


def served_by(caller: Caller, volunteer_id: int, first: datetime, end: datetime, now: datetime) -> dict:
    """Where a volunteer served between two instants, oldest first."""
    person = db.session.execute(sa.select(users_t.c.id, users_t.c.name, users_t.c.unit_id).where(
        users_t.c.id == volunteer_id, permissions.volunteer_filter(caller))).first()
    if person is None:
        raise NotFound("找不到该志愿者")
    ids = overlapping_ids(s.volunteer_id, volunteer_id, first, end, now)
    return {"volunteer": person, "from": first, "to": end,
            "shifts": _details(ids, permissions.shift_filter(caller))}


# --- the board: who is on duty this minute --------------------------------------------

_BOARD_STATEMENTS: dict[tuple, tuple[Prepared, Prepared]] = {}
_SHIFT_START = operator.itemgetter(4)  # oldest first, as stored (ISO text orders like the times)
_SLOT_ORDER = operator.itemgetter(4, 0, 13)  # start, slot, assignment: a slot's rows together
_new_tuple = tuple.__new__  # PostRef(...) goes through a Python-level __new__


def _board_statements(caller: Caller, by_district: bool) -> tuple[Prepared, Prepared]:
    """The board's two statements for one caller's scope, compiled once and run on the raw cursor
    (server/fastsql.py): SQLAlchemy's per-execution and per-row work cost more than SQLite takes
    to run them. The key is what permissions read of the caller; times and dates come as parameters."""
    key = (caller.id, caller.role, caller.unit_id, caller.scope_unit_id, caller.scope_district_id, by_district)
    found = _BOARD_STATEMENTS.get(key)
    if found is None:
        if len(_BOARD_STATEMENTS) >= 256:
            _BOARD_STATEMENTS.clear()
        on_duty, running = _build_board_statements(caller, by_district)
        found = _BOARD_STATEMENTS[key] = (Prepared(on_duty), Prepared(running))
    return found


def _build_board_statements(caller: Caller, by_district: bool) -> tuple:
    """The open shifts with their people, units, posts and latest photo; the slots running now with
    their posts and the people assigned. Only the columns the board shows (on SQLite, turning
    values into Python objects is most of the cost), and no ORDER BY: the few hundred rows are
    put in order in Python for less than the database's sort costs."""
    now = sa.bindparam("now", type_=shifts_t.c.started_at.type)
    where_post = [posts_t.c.district_id == sa.bindparam("district_id")] if by_district else []
    # The open shifts as a subquery through the (status, start) index: joined to users directly,
    # SQLite's planner may start from the users and walk every one of them; and a literal list of
    # hundreds of ids costs more to send than the query does to run.
    o = _OPEN
    # The states as literals, not parameters: PostgreSQL plans a prepared statement afresh on every
    # run when a parameter might be any status (a generic plan would guess a quarter of the shifts).
    open_now = sa.select(o.c.id).where(o.c.status == sa.literal_column("'open'"), o.c.started_at <= now,
                                       o.c.review_state != sa.literal_column("'rejected'"))
    latest_photo = (sa.select(sa.func.max(photos_t.c.id)).where(photos_t.c.shift_id == s.id)
                    .correlate(shifts_t).scalar_subquery())
    on_duty = (
        sa.select(s.id, s.post_id, s.volunteer_id, s.unit_id, driver_rows.aware(s.started_at), s.source,
                  users_t.c.name, units_t.c.name, posts_t.c.code, posts_t.c.name, posts_t.c.district_id,
                  *(photos_t.c[name] for name in _PHOTO_KEYS))
        .join(users_t, users_t.c.id == s.volunteer_id).join(posts_t, posts_t.c.id == s.post_id)
        .outerjoin(units_t, units_t.c.id == s.unit_id)
        .outerjoin(photos_t, photos_t.c.id == latest_photo)
        .where(s.id.in_(open_now), permissions.shift_filter(caller), *where_post))
    day = slots_t.c.local_date.type
    running = (
        sa.select(slots_t.c.id, slots_t.c.post_id, slots_t.c.unit_id, slots_t.c.local_date,
                  driver_rows.aware(slots_t.c.starts_at), driver_rows.aware(slots_t.c.ends_at), slots_t.c.needed,
                  slots_t.c.note, posts_t.c.code, posts_t.c.name, posts_t.c.district_id, assign_t.c.volunteer_id,
                  users_t.c.name, assign_t.c.id)
        .join(posts_t, posts_t.c.id == slots_t.c.post_id)
        .outerjoin(assign_t, assign_t.c.slot_id == slots_t.c.id)
        .outerjoin(users_t, users_t.c.id == assign_t.c.volunteer_id)
        .where(slots_t.c.local_date.in_([sa.bindparam("yesterday", type_=day), sa.bindparam("today", type_=day)]),
               slots_t.c.starts_at <= now, slots_t.c.ends_at > now, permissions.slot_filter(caller), *where_post))
    return on_duty, running


def now_board(caller: Caller, now: datetime, tz, late_after: timedelta, *, district_id: int | None = None) -> dict:
    """Every post in scope with someone on duty or a slot running now.

    A post with a slot now and nobody on duty is listed in ``unstaffed`` too.
    Two statements (the people on duty with their latest photo; the slots running with
    who is assigned), rows read from the cursor as the driver returns them and only the
    times converted: a leader's phone asks for this every minute, and with 300 people on
    duty the Python per row costs more than the queries.
    """
    today = local_date(now, tz)
    params = {"now": now, "today": today, "yesterday": today - timedelta(days=1)}
    if district_id is not None:
        params["district_id"] = district_id
    on_duty_query, running_query = _board_statements(caller, district_id is not None)
    on_duty = fastsql.rows(on_duty_query, params)
    running = fastsql.rows(running_query, params)
    on_duty.sort(key=_SHIFT_START)
    running.sort(key=_SLOT_ORDER)
    dialect = fastsql.dialect_name()
    utc, aware = driver_rows.utc_reader(dialect), driver_rows.aware_reader(dialect)
    as_date = driver_rows.date_reader(dialect)

    # Each post's entry, and its place on the board: by district, code and id. (A slot's post is the
    # entry's; the slot does not repeat it.)
    board: dict[int, dict] = {}
    places: list[tuple] = []
    unstaffed: list[tuple] = []  # the posts first met in the slots: nobody on duty there
    for (shift_id, post_id, volunteer_id, unit_id, started_at, source, volunteer_name, unit_name, code, name,
         district, photo_id, sha256, kind, width, height, size, captured_at) in on_duty:
        person = _new_tuple(OnDuty, (
            shift_id, volunteer_id, unit_id, aware(started_at), source, volunteer_name, unit_name,
            None if photo_id is None else photos.entry({
                "id": photo_id, "sha256": sha256, "kind": kind, "width": width, "height": height,
                "bytes": size, "captured_at": utc(captured_at)}, now)))
        found = board.get(post_id)
        if found is None:
            found = board[post_id] = {"post": _new_tuple(PostRef, (post_id, code, name, district)),
                                      "on_duty": [person], "slots": []}
            places.append((district, code or "", post_id, found))
        else:
            found["on_duty"].append(person)
    slot = None
    for (slot_id, post_id, unit_id, day, starts_at, ends_at, needed, note, code, name, district, volunteer_id,
         volunteer_name, _) in running:
        if slot is None or slot["id"] != slot_id:
            slot = {"id": slot_id, "post_id": post_id, "unit_id": unit_id, "local_date": as_date(day),
                    "starts_at": aware(starts_at), "ends_at": aware(ends_at), "needed": needed, "note": note,
                    "assigned": []}
            found = board.get(post_id)
            if found is None:
                found = board[post_id] = {"post": _new_tuple(PostRef, (post_id, code, name, district)),
                                          "on_duty": [], "slots": [slot]}
                place = (district, code or "", post_id, found)
                places.append(place)
                unstaffed.append(place)
            else:
                found["slots"].append(slot)
        if volunteer_id is not None:
            here = any(person.volunteer_id == volunteer_id for person in found["on_duty"])
            slot["assigned"].append({"volunteer_id": volunteer_id, "name": volunteer_name, "present": here,
                                     "late": not here and now >= slot["starts_at"] + late_after})
    places.sort()  # no two posts share an id: the entries themselves are never compared
    unstaffed.sort()
    return {"at": now, "posts": [place[3] for place in places], "unstaffed": [place[3] for place in unstaffed]}
