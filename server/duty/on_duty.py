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

from datetime import date, datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa

from server import permissions
from server.evidence import photos
from server.callers import Caller
from server.clock import day_bounds, local_date
from server.db import db
from server.errors import NotFound
from server.models import DutySlot, Photo, Post, Shift, SlotAssignment, Unit, User
from server.models.rosters import LONG_SHIFT_HOURS, LONG_SHIFT_POSTGRESQL, LONG_SHIFT_SQLITE, MAX_SLOT_HOURS

s = Shift.__table__.c
shifts_t, slots_t, assign_t = Shift.__table__, DutySlot.__table__, SlotAssignment.__table__
posts_t, users_t, units_t, photos_t = Post.__table__, User.__table__, Unit.__table__, Photo.__table__
LOOKBACK = timedelta(hours=LONG_SHIFT_HOURS)
ONE_TICK = timedelta(microseconds=1)  # [at, at + 1 µs) is the instant `at` at the stored precision
_OPEN = shifts_t.alias("o")  # built once: an alias's column collection costs more than the query
_SLOT_COLUMNS = [slots_t.c[name] for name in ("id", "post_id", "unit_id", "local_date", "starts_at", "ends_at",
                                              "needed", "note")]
# What server/evidence/photos.entry() reads of a photo.
_PHOTO_KEYS = ("id", "shift_id", "sha256", "kind", "width", "height", "bytes", "captured_at")
_PHOTO_COLUMNS = [photos_t.c[name] for name in _PHOTO_KEYS]


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


def overlapping(key, values, first: datetime, end: datetime, now: datetime, columns=(s.id,)) -> list:
    """Shifts whose ``key`` (post_id or volunteer_id) is one of ``values`` and that cover some of
    [first, end), as rows of ``columns`` (which must include the id). One statement, and no
    scope: a scope condition could lure the planner onto another index; callers apply it after."""
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
    rows = {row.id: row for row in db.session.execute(sa.union_all(*branches)).all()}
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

_BOARD_STATEMENTS: dict[tuple, tuple] = {}


def _board_statements(caller: Caller, by_district: bool) -> tuple:
    """The board's two statements for one caller's scope, built once: building and keying
    statements of this size costs SQLAlchemy more than SQLite takes to run them. The key is
    what permissions read of the caller; times and dates come as parameters."""
    key = (caller.id, caller.role, caller.unit_id, caller.scope_unit_id, caller.scope_district_id, by_district)
    found = _BOARD_STATEMENTS.get(key)
    if found is None:
        if len(_BOARD_STATEMENTS) >= 256:
            _BOARD_STATEMENTS.clear()
        found = _BOARD_STATEMENTS[key] = _build_board_statements(caller, by_district)
    return found


def _build_board_statements(caller: Caller, by_district: bool) -> tuple:
    now = sa.bindparam("now")
    where_post = [posts_t.c.district_id == sa.bindparam("district_id")] if by_district else []
    # The open shifts as a subquery through the (status, start) index: joined to users directly,
    # SQLite's planner may start from the users and walk every one of them; and a literal list of
    # hundreds of ids costs more to send than the query does to run.
    o = _OPEN
    open_now = sa.select(o.c.id).where(o.c.status == "open", o.c.started_at <= now, o.c.review_state != "rejected")
    latest_photo = (sa.select(sa.func.max(photos_t.c.id)).where(photos_t.c.shift_id == s.id)
                    .correlate(shifts_t).scalar_subquery())
    on_duty = (
        sa.select(s.id, s.volunteer_id, s.post_id, s.unit_id, s.started_at, s.source,
                  users_t.c.name, units_t.c.name, posts_t.c.code, posts_t.c.name, posts_t.c.district_id,
                  *_PHOTO_COLUMNS)
        .join(users_t, users_t.c.id == s.volunteer_id).join(posts_t, posts_t.c.id == s.post_id)
        .outerjoin(units_t, units_t.c.id == s.unit_id)
        .outerjoin(photos_t, photos_t.c.id == latest_photo)
        .where(s.id.in_(open_now), permissions.shift_filter(caller), *where_post)
        .order_by(s.started_at))
    running = (
        sa.select(*_SLOT_COLUMNS, posts_t.c.code, posts_t.c.name, posts_t.c.district_id,
                  assign_t.c.volunteer_id, users_t.c.name)
        .join(posts_t, posts_t.c.id == slots_t.c.post_id)
        .outerjoin(assign_t, assign_t.c.slot_id == slots_t.c.id)
        .outerjoin(users_t, users_t.c.id == assign_t.c.volunteer_id)
        .where(slots_t.c.local_date.in_([sa.bindparam("yesterday"), sa.bindparam("today")]),
               slots_t.c.starts_at <= now, slots_t.c.ends_at > now, permissions.slot_filter(caller), *where_post)
        .order_by(slots_t.c.starts_at, slots_t.c.id, assign_t.c.id))
    return on_duty, running


def now_board(caller: Caller, now: datetime, tz, late_after: timedelta, *, district_id: int | None = None) -> dict:
    """Every post in scope with someone on duty or a slot running now.

    A post with a slot now and nobody on duty is listed in ``unstaffed`` too.
    Two statements (the people on duty with their latest photo; the slots running with
    who is assigned), rows unpacked as tuples: a leader's phone asks for this every
    minute, and with 300 people on duty the Python per row costs more than the queries.
    """
    today = local_date(now, tz)
    on_duty_query, running_query = _board_statements(caller, district_id is not None)
    params = {"now": now, "today": today, "yesterday": today - timedelta(days=1)}
    if district_id is not None:
        params["district_id"] = district_id
    on_duty = db.session.execute(on_duty_query, params).all()
    running = db.session.execute(running_query, params).all()

    board: dict[int, dict] = {}

    def entry(post_id, code, name, district) -> dict:
        found = board.get(post_id)
        if found is None:
            found = board[post_id] = {"post": PostRef(post_id, code, name, district), "on_duty": [], "slots": []}
        return found

    present: dict[int, set] = {}
    for (shift_id, volunteer_id, post_id, unit_id, started_at, source, volunteer_name, unit_name, code, name,
         district, *photo) in on_duty:
        entry(post_id, code, name, district)["on_duty"].append({
            "id": shift_id, "volunteer_id": volunteer_id, "post_id": post_id, "unit_id": unit_id,
            "started_at": started_at, "source": source, "volunteer_name": volunteer_name, "unit_name": unit_name,
            "post_code": code, "post_name": name, "district_id": district,
            "photo": photos.entry(dict(zip(_PHOTO_KEYS, photo)), now) if photo[0] is not None else None})
        present.setdefault(post_id, set()).add(volunteer_id)
    slots: dict[int, dict] = {}
    for (slot_id, post_id, unit_id, day, starts_at, ends_at, needed, note, code, name, district, volunteer_id,
         volunteer_name) in running:
        slot = slots.get(slot_id)
        if slot is None:
            slot = slots[slot_id] = {
                "id": slot_id, "post_id": post_id, "unit_id": unit_id, "local_date": day, "starts_at": starts_at,
                "ends_at": ends_at, "needed": needed, "note": note, "post_code": code, "post_name": name,
                "district_id": district, "assigned": []}
            entry(post_id, code, name, district)["slots"].append(slot)
        if volunteer_id is not None:
            here = volunteer_id in present.get(post_id, ())
            slot["assigned"].append({"volunteer_id": volunteer_id, "name": volunteer_name, "present": here,
                                     "late": not here and now >= starts_at + late_after})
    entries = sorted(board.values(), key=lambda e: (e["post"].district_id, e["post"].code or "", e["post"].id))
    unstaffed = [e for e in entries if e["slots"] and not e["on_duty"]]
    return {"at": now, "posts": entries, "unstaffed": unstaffed}
