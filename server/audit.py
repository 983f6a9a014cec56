"""The audit trail: who changed what, when, from what to what, and why.

Entries are appended in the same transaction as the change they describe
(the caller commits), and the table refuses UPDATE and DELETE (see the first
migration), so the trail cannot be tidied up afterwards.
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from server.clock import local_iso
from server.db import db
from server.models import AuditLog, User

ACTION_LABELS = {
    "review_approve": "审核通过", "review_adjust": "调整时长", "review_reject": "驳回",
    "void": "作废", "manual_add": "补录上岗记录", "correction_request": "志愿者申请更正",
    "missing_shift_request": "志愿者申请补录", "auto_close": "系统自动结束",
    "suspend": "停用", "reactivate": "恢复",
    "problem_report": "上报问题", "problem_photo": "上传照片", "problem_assign": "交办",
    "problem_fix": "整改完成", "problem_verify": "验收通过", "problem_return": "退回整改",
    "problem_reject": "不予受理",
    "post_leader_add": "设为岗长", "post_leader_remove": "取消岗长", "volunteer_add": "手工添加志愿者",
    "card_revoke": "作废志愿者卡",
}

SHIFT_FIELDS = ("status", "started_at", "ended_at", "credited_minutes", "review_state", "review_reason",
                "original_minutes", "flags")


def _plain(value):
    if isinstance(value, datetime):
        return local_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return list(value)
    return value


def snapshot(row: dict, fields: tuple[str, ...] = SHIFT_FIELDS) -> dict:
    """JSON-safe copy of the fields a change may touch."""
    return {name: _plain(row.get(name)) for name in fields}


def record(*, actor_id: int | None, action: str, entity_type: str, entity_id: int, before: dict | None,
           after: dict | None, reason: str | None, now: datetime) -> None:
    db.session.add(AuditLog(at=now, actor_id=actor_id, action=action, entity_type=entity_type,
                            entity_id=entity_id, before=before, after=after, reason=reason))


def history(entity_type: str, entity_id: int, tz) -> list[dict]:
    """Every entry for one record, oldest first, with who made it (None: the system)."""
    rows = db.session.execute(
        sa.select(AuditLog, User.name, User.username, User.role)
        .outerjoin(User, User.id == AuditLog.actor_id)
        .where(AuditLog.entity_type == entity_type, AuditLog.entity_id == entity_id)
        .order_by(AuditLog.id)).all()
    return [{
        "id": entry.id,
        "at": local_iso(entry.at, tz),
        "action": entry.action,
        "action_label": ACTION_LABELS.get(entry.action, entry.action),
        "actor": ({"id": entry.actor_id, "name": name or username, "role": role}
                  if entry.actor_id is not None else None),
        "before": entry.before,
        "after": entry.after,
        "reason": entry.reason,
    } for entry, name, username, role in rows]
