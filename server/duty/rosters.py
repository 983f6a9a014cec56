"""Rosters (排班): planning duty slots at posts and putting volunteers on them.

Every way of making slots (one, a weekly pattern, a sheet) goes through
:func:`plan`, which is all or nothing: each problem is collected with the index
of the spec that caused it, and nothing is written unless there are none.

A volunteer cannot be in two overlapping slots. The check runs inside the
write transaction after a no-op UPDATE of each volunteer's row: that UPDATE
takes the row lock on PostgreSQL and the write lock on SQLite before anything
is read, so two coordinators assigning the same person at the same instant are
serialised and the second one sees the first one's slot. PostgreSQL also has
an exclusion constraint on the assignments as the last word.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from server import permissions
from server.callers import Caller
from server.db import db
from server.errors import ApiError, Conflict, Forbidden, NotFound, ValidationError
from server.models import DutySlot, Post, SlotAssignment, Unit, User
from server.models.rosters import MAX_SLOT_HOURS

slots_t, assign_t, users_t = DutySlot.__table__, SlotAssignment.__table__, User.__table__
MAX_SLOTS_PER_REQUEST = 2000
_CLOCK = re.compile(r"^\s*(\d{1,2})[:：]?(\d{2})(?::(\d{2}))?\s*$", re.ASCII)


@dataclass(frozen=True)
class SlotSpec:
    post_id: int
    local_date: date
    start: time
    end: time  # at or before `start` means the next day; 24:00 is written time(0)
    needed: int = 1
    unit_id: int | None = None
    volunteer_ids: tuple[int, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class Problem:
    index: int  # which spec (a sheet row, a date of a pattern)
    field: str
    message: str
    code: str = "VALIDATION_ERROR"
    details: dict = field(default_factory=dict)


class PlanRefused(ApiError):
    """At least one spec was refused; ``problems`` says which and why."""

    status, code, message = 422, "ROSTER_REFUSED", "排班未保存，请修改后重试"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__()
        self.problems = problems

    def __str__(self) -> str:
        return "; ".join(f"#{p.index} {p.field}: {p.message}" for p in self.problems)


def parse_clock(text: str) -> time:
    """'7:30', '07:30', '0730', '24:00' (end of the day, returned as 00:00). Raises ValueError."""
    match = _CLOCK.match(text or "")
    if not match:
        raise ValueError(text)
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour == 24 and minute == 0:
        return time(0)
    return time(hour, minute)


def bounds(day: date, start: time, end: time, tz) -> tuple[datetime, datetime]:
    """UTC instants of a slot on local ``day``; an end at or before the start is the next day."""
    starts = datetime.combine(day, start, tz)
    ends = datetime.combine(day + timedelta(days=1) if end <= start else day, end, tz)
    return starts.astimezone(timezone.utc), ends.astimezone(timezone.utc)


def weekly(first: date, last: date, weekdays: set[int]) -> list[date]:
    """Dates from first to last whose ISO weekday (1 = Monday) is in ``weekdays``."""
    days, day = [], first
    while day <= last:
        if day.isoweekday() in weekdays:
            days.append(day)
        day += timedelta(days=1)
    return days


# --- planning -----------------------------------------------------------------------

def plan(caller: Caller, specs: list[SlotSpec], now: datetime, tz, *, dry_run: bool = False) -> list[int]:
    """Create the slots and their assignments, all or none; returns the new slot ids."""
    if not permissions.may_plan_rosters(caller):
        raise Forbidden("领导账号只能查看排班", code="FORBIDDEN")
    if len(specs) > MAX_SLOTS_PER_REQUEST:
        raise ValidationError(f"一次最多安排 {MAX_SLOTS_PER_REQUEST} 个时段", field="slots")
    problems, ready = _check(caller, specs, now, tz)
    if problems:
        raise PlanRefused(problems)
    if dry_run or not ready:
        return []
    db.session.commit()  # start the write transaction with the locks, not with stale reads
    try:
        _lock_volunteers({v for item in ready for v in item[0].volunteer_ids})
        problems = _clashes_in_database(ready)
        if problems:
            db.session.rollback()
            raise PlanRefused(problems)
        ids = _insert(caller, ready, now)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("排班与刚刚保存的其他排班冲突，请刷新后重试", code="ROSTER_CONFLICT")
    return ids


def _check(caller: Caller, specs: list[SlotSpec], now: datetime, tz):
    """Everything that can be checked before the write transaction."""
    problems: list[Problem] = []
    posts = _rows(Post, {s.post_id for s in specs})
    volunteers = _rows(User, {v for s in specs for v in s.volunteer_ids})
    units = _rows(Unit, {s.unit_id for s in specs if s.unit_id is not None})
    ready = []
    for index, spec in enumerate(specs):
        found = _check_one(caller, index, spec, posts, volunteers, units, now, tz)
        if isinstance(found, list):
            problems.extend(found)
        else:
            ready.append((found, index))
    problems.extend(_clashes_within(ready, volunteers))
    problems.extend(_clashes_in_database(ready))  # reported with the rest; checked again under the locks
    return sorted(problems, key=lambda p: p.index), ready


def _check_one(caller, index, spec, posts, volunteers, units, now, tz):
    problems = []

    def refuse(field_, message, code="VALIDATION_ERROR", **details):
        problems.append(Problem(index, field_, message, code, details))

    post = posts.get(spec.post_id)
    if post is None or not permissions.may_plan_at(caller, post.district_id):
        refuse("post_id", "找不到该岗位", "NOT_FOUND")
        return problems
    if not post.active:
        refuse("post_id", f"岗位「{post.name}」已停用")
    starts, ends = bounds(spec.local_date, spec.start, spec.end, tz)
    if ends - starts > timedelta(hours=MAX_SLOT_HOURS):
        refuse("end", f"一个时段最长 {MAX_SLOT_HOURS} 小时")
    if ends <= now:
        refuse("date", "不能安排已经结束的时段")
    if not 1 <= spec.needed <= 50:
        refuse("needed", "需要人数应在 1～50 之间")
    unit_id = spec.unit_id
    if caller.role == "coordinator" and caller.scope_unit_id is not None:
        if unit_id not in (None, caller.scope_unit_id):
            refuse("unit_id", "只能为本单位安排排班")
        unit_id = caller.scope_unit_id
    elif unit_id is not None and unit_id not in units:
        refuse("unit_id", "单位不存在")
    if len(spec.volunteer_ids) > spec.needed:
        refuse("volunteer_ids", f"安排了 {len(spec.volunteer_ids)} 人，超过需要的 {spec.needed} 人")
    if len(set(spec.volunteer_ids)) != len(spec.volunteer_ids):
        refuse("volunteer_ids", "同一名志愿者重复出现")
    visible = permissions.visible_volunteers(caller, spec.volunteer_ids)
    for volunteer_id in spec.volunteer_ids:
        person = volunteers.get(volunteer_id)
        if person is None or volunteer_id not in visible \
                or not permissions.may_assign(caller, person.unit_id, post.district_id):
            refuse("volunteer_ids", "找不到该志愿者，或不是本单位的志愿者", "NOT_FOUND", volunteer_id=volunteer_id)
        elif person.registered_at is None or person.status != "active":
            refuse("volunteer_ids", f"{person.name or '该志愿者'}未完成实名登记或已停用", volunteer_id=volunteer_id)
    if problems:
        return problems
    return _Ready(spec, post, unit_id, starts, ends)


@dataclass(frozen=True)
class _Ready:
    spec: SlotSpec
    post: Post
    unit_id: int | None
    starts_at: datetime
    ends_at: datetime

    @property
    def volunteer_ids(self) -> tuple[int, ...]:
        return self.spec.volunteer_ids


def _rows(model, ids: set) -> dict:
    if not ids:
        return {}
    return {row.id: row for row in db.session.execute(sa.select(model).where(model.id.in_(ids))).scalars()}


def _clashes_within(ready: list, volunteers: dict) -> list[Problem]:
    """Two specs of the same request that book one person twice, or plan one slot twice."""
    problems, seen_slots, booked = [], {}, {}
    for item, index in ready:
        key = (item.post.id, item.starts_at, item.ends_at)
        if key in seen_slots:
            problems.append(Problem(index, "date", f"与第 {seen_slots[key]} 项是同一个时段", "DUPLICATE_SLOT",
                                    {"same_as": seen_slots[key]}))
        seen_slots.setdefault(key, index)
        for volunteer_id in item.volunteer_ids:
            for other_start, other_end, other_index in booked.get(volunteer_id, []):
                if other_start < item.ends_at and item.starts_at < other_end:
                    name = volunteers[volunteer_id].name
                    problems.append(Problem(index, "volunteer_ids", f"{name}在第 {other_index} 项已有重叠的排班",
                                            "DOUBLE_BOOKED", {"volunteer_id": volunteer_id,
                                                              "same_as": other_index}))
            booked.setdefault(volunteer_id, []).append((item.starts_at, item.ends_at, index))
    return problems


def _lock_volunteers(volunteer_ids: set[int]) -> None:
    # In id order, so two transactions locking the same people cannot deadlock.
    for volunteer_id in sorted(volunteer_ids):
        db.session.execute(sa.update(users_t).where(users_t.c.id == volunteer_id).values(id=users_t.c.id))


def overlapping_assignment(volunteer_id: int, starts_at: datetime, ends_at: datetime):
    """The volunteer's assignment overlapping [starts_at, ends_at), with its slot and post, or None."""
    # Slots last at most MAX_SLOT_HOURS, so one that overlaps started after this.
    earliest = starts_at - timedelta(hours=MAX_SLOT_HOURS)
    return db.session.execute(
        sa.select(assign_t.c.slot_id, assign_t.c.starts_at, assign_t.c.ends_at, Post.name.label("post_name"))
        .join(slots_t, slots_t.c.id == assign_t.c.slot_id).join(Post, Post.id == slots_t.c.post_id)
        .where(assign_t.c.volunteer_id == volunteer_id, assign_t.c.starts_at > earliest,
               assign_t.c.starts_at < ends_at, assign_t.c.ends_at > starts_at)
        .order_by(assign_t.c.starts_at).limit(1)).first()


def _clashes_in_database(ready: list) -> list[Problem]:
    """Slots already planned at the same post and time, and people already booked then.
    One query for the slots and one per volunteer, however many specs there are."""
    if not ready:
        return []
    problems = []
    first = min(item.starts_at for item, _ in ready)
    last = max(item.ends_at for item, _ in ready)
    planned = {(row.post_id, row.starts_at, row.ends_at): row.id for row in db.session.execute(
        sa.select(slots_t.c.id, slots_t.c.post_id, slots_t.c.starts_at, slots_t.c.ends_at).where(
            slots_t.c.post_id.in_({item.post.id for item, _ in ready}), slots_t.c.starts_at >= first,
            slots_t.c.starts_at < last))}
    booked: dict[int, list] = {}
    for volunteer_id in {v for item, _ in ready for v in item.volunteer_ids}:
        booked[volunteer_id] = db.session.execute(
            sa.select(assign_t.c.slot_id, assign_t.c.starts_at, assign_t.c.ends_at, Post.name.label("post_name"))
            .join(slots_t, slots_t.c.id == assign_t.c.slot_id).join(Post, Post.id == slots_t.c.post_id)
            .where(assign_t.c.volunteer_id == volunteer_id,
                   assign_t.c.starts_at > first - timedelta(hours=MAX_SLOT_HOURS),
                   assign_t.c.starts_at < last)).all()
    for item, index in ready:
        exists = planned.get((item.post.id, item.starts_at, item.ends_at))
        if exists is not None:
            problems.append(Problem(index, "date", f"岗位「{item.post.name}」该时段已有排班", "DUPLICATE_SLOT",
                                    {"slot_id": exists}))
        for volunteer_id in item.volunteer_ids:
            clash = next((row for row in booked[volunteer_id]
                          if row.starts_at < item.ends_at and row.ends_at > item.starts_at), None)
            if clash is not None:
                problems.append(_double_booked(index, volunteer_id, clash))
    return problems


def _double_booked(index: int, volunteer_id: int, clash) -> Problem:
    name = db.session.execute(sa.select(users_t.c.name).where(users_t.c.id == volunteer_id)).scalar()
    return Problem(index, "volunteer_ids", f"{name}在「{clash.post_name}」已有重叠的排班", "DOUBLE_BOOKED",
                   {"volunteer_id": volunteer_id, "slot_id": clash.slot_id})


def _insert(caller: Caller, ready: list, now: datetime) -> list[int]:
    ids = []
    for item, _ in ready:
        slot_id = db.session.execute(sa.insert(slots_t).values(
            post_id=item.post.id, unit_id=item.unit_id, local_date=item.spec.local_date,
            starts_at=item.starts_at, ends_at=item.ends_at, needed=item.spec.needed, note=item.spec.note,
            created_by_id=caller.id, created_at=now)).inserted_primary_key[0]
        for volunteer_id in item.volunteer_ids:
            db.session.execute(sa.insert(assign_t).values(
                slot_id=slot_id, volunteer_id=volunteer_id, starts_at=item.starts_at, ends_at=item.ends_at,
                created_by_id=caller.id, created_at=now))
        ids.append(slot_id)
    return ids


# --- one slot at a time -------------------------------------------------------------

def get(caller: Caller, slot_id: int) -> DutySlot:
    slot = db.session.execute(sa.select(DutySlot).where(
        DutySlot.id == slot_id, permissions.slot_filter(caller))).scalar()
    if slot is None:
        raise NotFound("找不到该排班")
    return slot


def assign(caller: Caller, slot_id: int, volunteer_id: int, now: datetime) -> None:
    slot = get(caller, slot_id)
    if not permissions.may_plan_rosters(caller):
        raise Forbidden("领导账号只能查看排班", code="FORBIDDEN")
    person = db.session.get(User, volunteer_id)
    if person is None or not permissions.visible_volunteers(caller, {volunteer_id}) \
            or not permissions.may_assign(caller, person.unit_id, slot.post.district_id):
        raise NotFound("找不到该志愿者，或不是本单位的志愿者")
    if person.registered_at is None or person.status != "active":
        raise ValidationError(f"{person.name or '该志愿者'}未完成实名登记或已停用", field="volunteer_id")
    if slot.ends_at <= now:
        raise Conflict("该时段已经结束", code="SLOT_ENDED")
    starts_at, ends_at, needed = slot.starts_at, slot.ends_at, slot.needed
    db.session.commit()
    try:
        _lock_volunteers({volunteer_id})
        taken = db.session.execute(sa.select(sa.func.count()).select_from(assign_t).where(
            assign_t.c.slot_id == slot_id)).scalar_one()
        already = db.session.execute(sa.select(assign_t.c.id).where(
            assign_t.c.slot_id == slot_id, assign_t.c.volunteer_id == volunteer_id)).scalar()
        if already is not None:
            db.session.rollback()
            return
        if taken >= needed:
            raise Conflict(f"该时段只需要 {needed} 人，已经排满", code="SLOT_FULL")
        clash = overlapping_assignment(volunteer_id, starts_at, ends_at)
        if clash is not None:
            problem = _double_booked(0, volunteer_id, clash)
            raise Conflict(problem.message, code="DOUBLE_BOOKED", **problem.details)
        db.session.execute(sa.insert(assign_t).values(
            slot_id=slot_id, volunteer_id=volunteer_id, starts_at=starts_at, ends_at=ends_at,
            created_by_id=caller.id, created_at=now))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("该志愿者在重叠的时段已有排班", code="DOUBLE_BOOKED", volunteer_id=volunteer_id)
    except ApiError:
        db.session.rollback()
        raise


def unassign(caller: Caller, slot_id: int, volunteer_id: int, now: datetime) -> None:
    slot = get(caller, slot_id)
    person = db.session.get(User, volunteer_id)
    if person is None or not permissions.may_plan_rosters(caller) \
            or not permissions.may_assign(caller, person.unit_id, slot.post.district_id):
        raise NotFound("找不到该志愿者的排班")
    if slot.starts_at <= now:
        raise Conflict("已经开始的时段不能再调整", code="SLOT_STARTED")
    deleted = db.session.execute(sa.delete(assign_t).where(
        assign_t.c.slot_id == slot_id, assign_t.c.volunteer_id == volunteer_id)).rowcount
    db.session.commit()
    if not deleted:
        raise NotFound("找不到该志愿者的排班")


def delete(caller: Caller, slot_id: int, now: datetime) -> None:
    slot = get(caller, slot_id)
    if not permissions.may_plan_at(caller, slot.post.district_id) or (
            caller.scope_unit_id is not None and slot.unit_id != caller.scope_unit_id):
        raise NotFound("找不到该排班")
    if slot.starts_at <= now:
        raise Conflict("已经开始的时段不能删除", code="SLOT_STARTED")
    db.session.execute(sa.delete(assign_t).where(assign_t.c.slot_id == slot_id))
    db.session.execute(sa.delete(slots_t).where(slots_t.c.id == slot_id))
    db.session.commit()
