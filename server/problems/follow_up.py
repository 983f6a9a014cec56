"""Following a problem up (督办): assign it to a unit with a deadline, the unit's fix, the command
office's acceptance or return, or its rejection.

Every decision is checked in the order the review queue uses: scope (404, whatever the body
holds), role (403), the problem's state (409 PROBLEM_STATE), then the fields (422). It is
written only if the problem is still as it was read, with its audit entry, in one transaction.
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from server import audit, permissions
from server.callers import Caller
from server.clock import local_date
from server.db import db
from server.errors import BadRequest, Conflict, Forbidden, ValidationError
from server.inputs import PhotoUpload, date_field, integer, string
from server.models import ProblemCategory, Unit
from server.problems import photos, records
from server.problems.reporting import AUDIT_FIELDS
from server.records import workdays

p = records.p
_ID_MAX = 2**31 - 1
MAX_DEADLINE_DAYS = 366


def _body(body) -> dict:
    if not isinstance(body, dict):
        raise BadRequest("请求体必须是 JSON 对象")
    return body


def require_state(problem: dict, *states: str) -> None:
    if problem["status"] not in states:
        names = "、".join(records.STATUS_LABELS[s] for s in states)
        raise Conflict(f"该问题当前为「{records.STATUS_LABELS[problem['status']]}」，只有{names}的问题可以这样处理",
                       code="PROBLEM_STATE", status_now=problem["status"])


def assign(caller: Caller, problem_id: int, body, now: datetime, tz) -> dict:
    """交办: to a unit with a deadline (default: the category's working days from today)."""
    problem = records.in_scope(caller, problem_id)
    if not permissions.may_dispatch_problem(caller, problem["post_district_id"]):
        raise Forbidden("只有领导、管理员和问题所在片区的协调员可以交办问题", code="FORBIDDEN")
    body = _body(body)
    require_state(problem, "open", "assigned")
    unit_id = integer(body, "unit_id", low=1, high=_ID_MAX, label="责任单位")
    if unit_id is None or db.session.get(Unit, unit_id) is None:
        raise ValidationError("请选择存在的责任单位", field="unit_id")
    today = local_date(now, tz)
    deadline = date_field(body, "deadline", label="整改期限", required=False)
    if deadline is None:
        days = db.session.get(ProblemCategory, problem["category_id"]).deadline_working_days
        deadline = workdays.add_working_days(today, days)
    elif not today <= deadline <= date.fromordinal(today.toordinal() + MAX_DEADLINE_DAYS):
        raise ValidationError("整改期限应在今天到一年以内", field="deadline")
    note = string(body, "note", max_length=500, required=False, label="交办说明")
    changes = dict(status="assigned", unit_id=unit_id, deadline=deadline, assigned_at=now)
    return _apply(caller, problem, changes, "problem_assign", note, now)


def fix(caller: Caller, problem_id: int, body, now: datetime) -> dict:
    """整改完成: the assigned unit's coordinator, with a note and an after photo already uploaded."""
    problem = records.in_scope(caller, problem_id)
    require_fixer(caller, problem)
    body = _body(body)
    require_state(problem, "assigned")
    note = string(body, "note", max_length=500, label="整改说明")
    photo_id = integer(body, "photo_id", low=1, high=_ID_MAX, label="整改后照片")
    if photo_id is None:
        raise ValidationError("请先上传整改后的照片", field="photo_id")
    if not photos.is_after_photo(problem_id, photo_id):
        raise ValidationError("照片不是该问题的整改后照片", field="photo_id")
    changes = dict(status="fixed", fix_note=note, fix_photo_id=photo_id, fixed_at=now, status_reason=None)
    if problem["notify_reporter"] and problem["notice_state"] == "none":
        changes["notice_state"] = "due"  # one message per accepted subscription: sent once
    return _apply(caller, problem, changes, "problem_fix", note, now)


def require_fixer(caller: Caller, problem: dict) -> None:
    if not permissions.may_fix_problem(caller, problem["unit_id"]):
        raise Forbidden("只有责任单位的协调员可以提交整改", code="FORBIDDEN")


def for_after_photo(caller: Caller, problem_id: int) -> dict:
    """The problem an "after" photo is sent for: in scope, the caller fixes it, still assigned."""
    problem = records.in_scope(caller, problem_id)
    require_fixer(caller, problem)
    require_state(problem, "assigned")
    return problem


def fix_with_photo(caller: Caller, problem_id: int, data: bytes, note: str | None, now: datetime) -> dict:
    """The console page's single form: the after photo and the note sent together."""
    problem = for_after_photo(caller, problem_id)
    note = string({"note": note}, "note", max_length=500, label="整改说明")  # before storing any photo
    photo, _ = photos.add(caller, problem, "after", PhotoUpload(data), now)
    return fix(caller, problem_id, {"note": note, "photo_id": photo["id"]}, now)


def units() -> list[dict]:
    """The units a problem may be assigned to."""
    return [{"id": unit_id, "name": name}
            for unit_id, name in db.session.execute(sa.select(Unit.id, Unit.name).order_by(Unit.id))]


def verify(caller: Caller, problem_id: int, body, now: datetime) -> dict:
    """验收: accepted -> verified; not accepted -> back to the unit with the reason."""
    problem = records.in_scope(caller, problem_id)
    if not permissions.may_verify_problem(caller):
        raise Forbidden("只有领导和管理员可以验收整改", code="FORBIDDEN")
    body = _body(body)
    require_state(problem, "fixed")
    accepted = body.get("accepted")
    if not isinstance(accepted, bool):
        raise ValidationError("请说明是否通过验收（accepted 为 true 或 false）", field="accepted")
    reason = string(body, "reason", max_length=500, required=not accepted, label="退回理由")
    if accepted:
        changes = dict(status="verified", closed_at=now, status_reason=reason)
        return _apply(caller, problem, changes, "problem_verify", reason, now)
    # The fix that was sent back no longer stands: whether the next one is on time is judged afresh.
    changes = dict(status="assigned", status_reason=reason, fixed_at=None, fix_note=None, fix_photo_id=None)
    return _apply(caller, problem, changes, "problem_return", reason, now)


def reject(caller: Caller, problem_id: int, body, now: datetime) -> dict:
    """不予受理: not a real problem, or a duplicate of another (duplicate_of)."""
    problem = records.in_scope(caller, problem_id)
    if not permissions.may_dispatch_problem(caller, problem["post_district_id"]):
        raise Forbidden("只有领导、管理员和问题所在片区的协调员可以处理问题", code="FORBIDDEN")
    body = _body(body)
    require_state(problem, "open", "assigned")
    reason = string(body, "reason", max_length=500, label="不予受理的理由")
    duplicate_of = integer(body, "duplicate_of", low=1, high=_ID_MAX, label="重复的问题")
    if duplicate_of is not None:
        if duplicate_of == problem_id or db.session.execute(
                sa.select(p.id).where(p.id == duplicate_of, permissions.problem_filter(caller))).first() is None:
            raise ValidationError("重复的问题不存在", field="duplicate_of")
    changes = dict(status="rejected", status_reason=reason, closed_at=now, duplicate_of_id=duplicate_of)
    return _apply(caller, problem, changes, "problem_reject", reason, now)


def _apply(caller: Caller, problem: dict, changes: dict, action: str, reason: str | None, now: datetime) -> dict:
    updated = db.session.execute(sa.update(records.problems_t).where(
        p.id == problem["id"], p.status == problem["status"], p.updated_at == problem["updated_at"])
        .values(**changes, updated_at=now))
    if updated.rowcount != 1:
        db.session.rollback()
        raise Conflict("该问题刚被其他人处理，请刷新后重试", code="PROBLEM_CHANGED")
    after = records.touch(problem, changes, now)
    audit.record(actor_id=caller.id, action=action, entity_type="problem", entity_id=problem["id"],
                 before=audit.snapshot(problem, AUDIT_FIELDS), after=audit.snapshot(after, AUDIT_FIELDS),
                 reason=reason, now=now)
    db.session.commit()
    return records.by_id(problem["id"])


def audit_trail(caller: Caller, problem_id: int, tz) -> list[dict]:
    records.in_scope(caller, problem_id)
    return audit.history("problem", problem_id, tz)
