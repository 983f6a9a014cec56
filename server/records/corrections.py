"""A volunteer asks for a correction (办法 Art 13): a shift recorded wrongly, or one not recorded.

Both land in the coordinators' review queue. A correction puts the shift
back to ``pending`` with the flag ``correction_requested``; its minutes wait
apart until a coordinator approves (the record stands), adjusts (usually to
what was proposed) or rejects. A missing shift becomes a manual shift,
pending, subject to the same 10-working-day limit as a coordinator's addition.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from server import audit
from server.checkin import hours as rules
from server.records import manual_shifts
from server.callers import Caller, require_active
from server.db import db
from server.errors import BadRequest, Conflict, Forbidden, ValidationError
from server.inputs import PERSUASIONS_MAX, integer, string
from server.models import CorrectionRequest, Post, Shift, User
from server.checkin.shift_reads import get_own

shifts_t, corrections_t = Shift.__table__, CorrectionRequest.__table__
s = shifts_t.c


def _require_volunteer(caller: Caller) -> None:
    require_active(caller)
    if not caller.registered:
        raise Forbidden("请先完成实名登记", code="NOT_REGISTERED")


def _body(body) -> dict:
    if not isinstance(body, dict):
        raise BadRequest("请求体必须是 JSON 对象")
    return body


def request_correction(caller: Caller, shift_id: int, body, now: datetime,
                       limits: manual_shifts.Limits) -> tuple[dict, dict]:
    """Returns (request, shift). The proposal is an end time, a number of minutes, or both."""
    _require_volunteer(caller)
    shift = get_own(caller, shift_id)
    body = _body(body)
    reason = string(body, "reason", max_length=500, label="更正理由", multiline=True)
    proposed_end = None
    if body.get("proposed_ended_at") is not None:
        proposed_end = manual_shifts.instant(body, "proposed_ended_at", limits.tz, "建议的下岗时间")
        if proposed_end <= shift["started_at"] or proposed_end > now:
            raise ValidationError("建议的下岗时间应在上岗之后、现在之前", field="proposed_ended_at")
    proposed_minutes = integer(body, "proposed_minutes", low=0, high=limits.max_minutes, label="建议时长")
    if proposed_end is None and proposed_minutes is None:
        raise ValidationError("请填写建议的下岗时间或时长", field="proposed_minutes")
    if shift["status"] == "open":
        raise Conflict("请先下岗，再申请更正", code="SHIFT_OPEN")
    if shift["status"] == "voided":
        raise Conflict("该上岗记录已作废", code="SHIFT_VOIDED")
    if _has_pending_request(shift["id"]):
        raise Conflict("该记录已有待处理的更正申请", code="CORRECTION_PENDING")

    flags = rules.merge_flags(shift["flags"], ["correction_requested"])
    changes = dict(review_state="pending", flags=flags)
    updated = db.session.execute(sa.update(shifts_t).where(
        s.id == shift["id"], s.review_state == shift["review_state"], s.status == shift["status"]).values(**changes))
    if updated.rowcount != 1:
        db.session.rollback()
        raise Conflict("该上岗记录刚被修改，请刷新后重试", code="SHIFT_CHANGED")
    after = {**shift, **changes}
    audit.record(actor_id=caller.id, action="correction_request", entity_type="shift", entity_id=shift["id"],
                 before=audit.snapshot(shift), after=audit.snapshot(after), reason=reason, now=now)
    request = _insert_request(caller, shift["id"], "correction", reason, now,
                              proposed_ended_at=proposed_end, proposed_minutes=proposed_minutes)
    return request, after


def request_missing(caller: Caller, body, now: datetime, limits: manual_shifts.Limits) -> tuple[dict, dict]:
    """A shift the volunteer served without scanning; it waits in the queue as a pending manual shift."""
    _require_volunteer(caller)
    body = _body(body)
    post_id = integer(body, "post_id", low=1, high=2**31 - 1, label="岗位")
    if post_id is None or db.session.get(Post, post_id) is None:
        raise ValidationError("请选择岗位", field="post_id")
    reason = string(body, "reason", max_length=500, label="补录理由", multiline=True)
    started, ended = manual_shifts.parse_times(body, now, limits, may_exceed=False)
    manual_shifts.check_deadline(started, now, limits, may_exceed=False)
    manual_shifts.check_overlap(caller.id, started, ended)
    shift_id = manual_shifts.insert(
        volunteer=db.session.get(User, caller.id), post_id=post_id, started=started, ended=ended,
        review_state="pending", reason=None, actor_id=caller.id, tz=limits.tz,
        action="missing_shift_request", now=now, flags=["manual", "correction_requested"],
        persuasions=integer(body, "persuasions", low=0, high=PERSUASIONS_MAX, default=0, label="劝导人次"),
        note=string(body, "note", max_length=500, required=False, label="备注", multiline=True),
    )
    request = _insert_request(caller, shift_id, "missing", reason, now)
    return request, manual_shifts.load(shift_id)


def _has_pending_request(shift_id: int) -> bool:
    return db.session.execute(sa.select(corrections_t.c.id).where(
        corrections_t.c.shift_id == shift_id, corrections_t.c.status == "pending")).first() is not None


def _insert_request(caller: Caller, shift_id: int, kind: str, reason: str, now: datetime, *,
                    proposed_ended_at: datetime | None = None, proposed_minutes: int | None = None) -> dict:
    values = dict(shift_id=shift_id, volunteer_id=caller.id, kind=kind, reason=reason, status="pending",
                  proposed_ended_at=proposed_ended_at, proposed_minutes=proposed_minutes, created_at=now)
    try:
        request_id = db.session.execute(sa.insert(corrections_t).values(**values)).inserted_primary_key[0]
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("该记录已有待处理的更正申请", code="CORRECTION_PENDING")
    return {**values, "id": request_id, "resolution": None}


def list_own(caller: Caller, limit: int = 50) -> list[dict]:
    rows = db.session.execute(sa.select(corrections_t).where(corrections_t.c.volunteer_id == caller.id)
                              .order_by(corrections_t.c.id.desc()).limit(limit)).mappings()
    return [dict(r) for r in rows]
