"""Raising flags on a shift after the fact (a reused photo, a content verdict, a spot check).

Flags only accumulate and never block anything. A flag that needs a
coordinator's eye (server/checkin/hours.py REVIEW_FLAGS) sends the shift back to the
review queue, and a change to a shift that has already closed is recorded in
the audit log, as every change to a closed shift is.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from server.checkin import hours
from server.db import db
from server.models import AuditLog, Shift

shifts_t = Shift.__table__

REASONS = {
    "photo_reused": "照片与其他上岗记录的照片相同或高度相似",
    "photo_time_mismatch": "照片拍摄时间与上岗时间不符",
    "photo_content_risky": "照片未通过内容安全检测",
    "spot_check_answered": "督查抽查按时回复",
    "spot_check_late": "督查抽查超时回复",
    "spot_check_unanswered": "督查抽查未回复",
    "spot_check_photo_not_live": "督查抽查回复的照片不是现场拍摄（无拍摄时间或拍摄时间不在抽查期间）",
    "location_at_post_exact": "上报位置与岗位坐标完全一致（真实定位几乎不可能）",
    "location_repeated": "上报位置与另一天的扫码位置完全相同",
    "location_static": "上岗与下岗位置、精度完全相同",
    "location_jump": "与上一次扫码相比移动速度超过每小时 120 公里",
    "accuracy_implausible": "定位精度缺失或不合理",
    "persuasions_implausible": "劝导人次超出合理范围",
    "unrostered": "不在排班时段内扫码",
    "start_photo_pending": "等待上岗照片",
    "no_start_photo": "上岗后 5 分钟内未拍摄上岗照片",
}


def raise_flags(shift_id: int, shift: dict, new_flags: list[str], now: datetime, *,
                actor_id: int | None, action: str) -> None:
    """Merge flags into a shift inside the caller's transaction. ``shift`` holds its current
    ``flags``, ``status`` and ``review_state``, read FOR UPDATE by the caller."""
    flags = hours.merge_flags(shift["flags"], new_flags)
    if flags == list(shift["flags"] or []):
        return
    changes = {"flags": flags}
    if hours.needs_review(flags) and shift["review_state"] not in ("rejected",):
        changes["review_state"] = "pending"
    db.session.execute(sa.update(shifts_t).where(shifts_t.c.id == shift_id).values(**changes))
    if shift["status"] != "open":
        added = [flag for flag in flags if flag not in (shift["flags"] or [])]
        db.session.add(AuditLog(
            at=now, actor_id=actor_id, action=action, entity_type="shift", entity_id=shift_id,
            before={"flags": list(shift["flags"] or []), "review_state": shift["review_state"]},
            after=changes, reason="；".join(REASONS.get(flag, flag) for flag in added)))


def current(shift_id: int) -> dict:
    """The shift's flags, status and review state, locked for update (PostgreSQL)."""
    return dict(db.session.execute(
        sa.select(shifts_t.c.flags, shifts_t.c.status, shifts_t.c.review_state)
        .where(shifts_t.c.id == shift_id).with_for_update()).mappings().one())
