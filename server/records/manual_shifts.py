"""Shifts added by hand: by a coordinator for a volunteer who forgot to scan, or asked for by the
volunteer (a missing shift) and then decided on in the review queue.

Both are ``source = 'manual'`` and flagged ``manual``, so their minutes are
reported apart from scanned ones. The 办法 (Art 11) wants records entered
within 10 working days of the service: older additions are refused unless an
admin makes them. Working days are Monday to Friday, corrected by the public
holidays and swapped working days (调休) entered in the calendar
(server/records/workdays.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from server import audit, permissions
from server.checkin import hours as rules
from server.records import workdays
from server.callers import Caller
from server.clock import local_date, parse_instant
from server.db import db
from server.errors import ApiError, BadRequest, Conflict, Forbidden, NotFound, ValidationError
from server.inputs import PERSUASIONS_MAX, integer, string
from server.models import Post, Shift, User
from server.checkin.shift_reads import SHIFT_COLUMNS

shifts_t, posts_t = Shift.__table__, Post.__table__
s = shifts_t.c


@dataclass(frozen=True)
class Limits:
    max_minutes: int
    working_days: int
    tz: object  # ZoneInfo

    @classmethod
    def from_config(cls, config, tz) -> "Limits":
        return cls(config["MAX_SHIFT_MINUTES"], config["MANUAL_SHIFT_WORKING_DAYS"], tz)


def instant(body: dict, field: str, tz, label: str) -> datetime:
    raw = body.get(field)
    if not isinstance(raw, str) or not raw.strip():
        raise ValidationError(f"请填写{label}", field=field)
    try:
        return parse_instant(raw, tz)
    except ValueError:
        raise ValidationError(f"{label}格式应为 2026-11-26T07:30:00+08:00", field=field)


def parse_times(body: dict, now: datetime, limits: Limits, *, may_exceed: bool) -> tuple[datetime, datetime]:
    started = instant(body, "started_at", limits.tz, "上岗时间")
    ended = instant(body, "ended_at", limits.tz, "下岗时间")
    if ended <= started:
        raise ValidationError("下岗时间必须晚于上岗时间", field="ended_at")
    if ended > now:
        raise ValidationError("下岗时间不能晚于现在", field="ended_at")
    minutes = rules.elapsed_minutes(started, ended)
    if minutes > limits.max_minutes and not may_exceed:
        raise ValidationError(f"单次上岗最多 {limits.max_minutes} 分钟", field="ended_at",
                              max_minutes=limits.max_minutes)
    return started, ended


def check_deadline(started: datetime, now: datetime, limits: Limits, *, may_exceed: bool) -> None:
    day, today = local_date(started, limits.tz), local_date(now, limits.tz)
    if may_exceed or workdays.working_days_since_on_record(day, today) <= limits.working_days:
        return
    raise ApiError(f"服务结束已超过 {limits.working_days} 个工作日，不能再补录，请联系管理员",
                   code="MANUAL_SHIFT_TOO_OLD", status=422, field="started_at",
                   working_days=limits.working_days)


def check_overlap(volunteer_id: int, started: datetime, ended: datetime) -> None:
    """A shift that overlaps another counted or pending one would credit the same time twice."""
    clash = db.session.execute(sa.select(s.id).where(
        s.volunteer_id == volunteer_id, s.status != "voided", s.review_state != "rejected",
        s.started_at < ended, sa.or_(s.ended_at.is_(None), s.ended_at > started)).limit(1)).scalar()
    if clash is not None:
        raise Conflict("该时段已有上岗记录", code="SHIFT_OVERLAP", shift_id=clash)


def insert(*, volunteer: User, post_id: int, started: datetime, ended: datetime, review_state: str,
           reason: str, actor_id: int, persuasions: int, note: str | None, tz, action: str,
           now: datetime, flags: list[str]) -> int:
    """Insert the manual shift and its audit entry; the caller commits."""
    minutes = rules.elapsed_minutes(started, ended)
    values = dict(
        volunteer_id=volunteer.id, unit_id=volunteer.unit_id, post_id=post_id, status="closed",
        source="manual", started_at=started, ended_at=ended, local_date=local_date(started, tz),
        credited_minutes=minutes, persuasions=persuasions, note=note, flags=flags,
        review_state=review_state, review_reason=reason, created_by_id=actor_id,
    )
    shift_id = db.session.execute(sa.insert(shifts_t).values(**values)).inserted_primary_key[0]
    audit.record(actor_id=actor_id, action=action, entity_type="shift", entity_id=shift_id, before=None,
                 after=audit.snapshot({**values, "id": shift_id}), reason=reason, now=now)
    return shift_id


def load(shift_id: int) -> dict:
    row = db.session.execute(sa.select(*SHIFT_COLUMNS).join(posts_t, posts_t.c.id == s.post_id)
                             .where(s.id == shift_id)).mappings().one()
    return dict(row)


def add(caller: Caller, body, now: datetime, limits: Limits) -> dict:
    """A coordinator records a shift the volunteer forgot to scan; it counts at once (approved)."""
    if not permissions.may_change_shifts(caller):
        raise Forbidden("只有协调员和管理员可以补录上岗记录", code="FORBIDDEN")
    if not isinstance(body, dict):
        raise BadRequest("请求体必须是 JSON 对象")
    volunteer_id = integer(body, "volunteer_id", low=1, high=2**31 - 1, label="志愿者")
    post_id = integer(body, "post_id", low=1, high=2**31 - 1, label="岗位")
    if volunteer_id is None:
        raise ValidationError("请选择志愿者", field="volunteer_id")
    if post_id is None:
        raise ValidationError("请选择岗位", field="post_id")
    permissions.refuse_own_shift(caller, volunteer_id)
    volunteer = db.session.get(User, volunteer_id)
    post = db.session.get(Post, post_id)
    if volunteer is None or volunteer.registered_at is None:
        raise NotFound("找不到该志愿者")
    if post is None:
        raise NotFound("找不到该岗位")
    if not permissions.may_add_manual_shift(caller, volunteer.unit_id, post.district_id):
        # Outside the caller's scope: as for any row, say it is not there.
        raise NotFound("找不到该志愿者" if caller.scope_unit_id is not None else "找不到该岗位")
    reason = string(body, "reason", max_length=500, label="补录理由", multiline=True)
    may_exceed = permissions.may_bypass_shift_limits(caller)
    started, ended = parse_times(body, now, limits, may_exceed=may_exceed)
    check_deadline(started, now, limits, may_exceed=may_exceed)
    check_overlap(volunteer.id, started, ended)
    shift_id = insert(
        volunteer=volunteer, post_id=post.id, started=started, ended=ended, review_state="approved",
        reason=reason, actor_id=caller.id, tz=limits.tz, action="manual_add", now=now, flags=["manual"],
        persuasions=integer(body, "persuasions", low=0, high=PERSUASIONS_MAX, default=0, label="劝导人次"),
        note=string(body, "note", max_length=500, required=False, label="备注", multiline=True),
    )
    db.session.commit()
    return load(shift_id)
