"""The coordinators' review queue and their decisions on shifts: approve, adjust, reject, void.

Decisions never edit a shift's times. They set the credited minutes and the
review state, keep the system's own figure in ``original_minutes`` the first
time it changes, and append an audit entry (who, when, before, after, why)
in the same transaction.

- approve: the minutes stand as shown (approving a rejected shift restores
  the system's figure);
- adjust: the coordinator sets the minutes, 0 to the shift's actual length,
  never above MAX_SHIFT_MINUTES unless an admin adjusts;
- reject: the shift stays on record but credits 0 and never counts;
- void: the record was a mistake (a test scan, a duplicate): status voided.

Any decision resolves the volunteer's pending correction request on the shift.
"""
from __future__ import annotations

import importlib.util
from datetime import datetime

import sqlalchemy as sa

from server import audit, permissions
from server.checkin import serialize
from server.checkin import hours as rules
from server.callers import Caller
from server.clock import local_iso
from server.db import db
from server.errors import BadRequest, Conflict, Forbidden, NotFound, ValidationError
from server.inputs import string
from server.models import CorrectionRequest, Post, Shift, Unit, User
from server.records.shift_records import FLAG_LABELS
from server.checkin.shift_reads import LEADER_COLUMNS, SHIFT_COLUMNS, with_post_and_leader

shifts_t, posts_t, users_t, units_t = Shift.__table__, Post.__table__, User.__table__, Unit.__table__
corrections_t = CorrectionRequest.__table__
s = shifts_t.c

DECISIONS = ("approve", "adjust", "reject")
_REVIEWABLE = ("closed", "auto_closed")


def photo_thumbnails(shift_ids: list[int], caller: Caller, now: datetime) -> dict[int, list[dict]]:
    """Photo thumbnails per shift for the review queue; empty until photos exist.

    Hook for the photos feature: once a module ``server.photos`` defines
    ``thumbnails_for_shifts(shift_ids, caller, now) -> {shift_id: [thumbnail, ...]}``
    the queue and the shift detail show what it returns, unchanged.
    """
    if not shift_ids or importlib.util.find_spec("server.evidence.photos") is None:
        return {}
    from server.evidence import photos  # noqa: PLC0415  (optional feature)

    provider = getattr(photos, "thumbnails_for_shifts", None)
    return provider(shift_ids, caller, now) if provider is not None else {}


def shift_in_scope(caller: Caller, shift_id: int) -> dict:
    """The shift with its post's name, or 404 when it is missing or outside the caller's scope."""
    row = db.session.execute(
        sa.select(*SHIFT_COLUMNS).join(posts_t, posts_t.c.id == s.post_id)
        .where(s.id == shift_id, permissions.shift_filter(caller))).mappings().first()
    if row is None:
        raise NotFound("找不到该上岗记录")
    return dict(row)


def require_changer(caller: Caller) -> None:
    if not permissions.may_change_shifts(caller):
        raise Forbidden("只有协调员和管理员可以审核或修改上岗记录", code="FORBIDDEN")


# --- the queue -----------------------------------------------------------------------------


def queue(caller: Caller, *, flag: str | None, after: tuple[datetime, int] | None, limit: int,
          now: datetime, unit_id: int | None = None, post_id: int | None = None,
          started_from: datetime | None = None, started_before: datetime | None = None) -> list[dict]:
    """Pending shifts in scope, oldest first (the 10-working-day clock runs from the oldest).

    The optional filters narrow the caller's scope; they never widen it."""
    conditions = [s.review_state == "pending", s.status.in_(_REVIEWABLE), permissions.shift_filter(caller)]
    if unit_id is not None:
        conditions.append(s.unit_id == unit_id)
    if post_id is not None:
        conditions.append(s.post_id == post_id)
    if started_from is not None:
        conditions.append(s.started_at >= started_from)
    if started_before is not None:
        conditions.append(s.started_at < started_before)
    if flag is not None:
        if flag not in rules.REVIEW_FLAGS:
            raise ValidationError(f"flag 只能是 {'、'.join(sorted(rules.REVIEW_FLAGS))} 之一", field="flag")
        # Flags are a JSON list; its text holds the quoted name on SQLite and PostgreSQL alike.
        conditions.append(sa.cast(s.flags, sa.Text).like(f'%"{flag}"%'))
    if after is not None:
        started, shift_id = after
        conditions.append(sa.or_(s.started_at > started, sa.and_(s.started_at == started, s.id > shift_id)))
    rows = db.session.execute(
        with_post_and_leader(sa.select(*SHIFT_COLUMNS, *LEADER_COLUMNS)).where(*conditions)
        .order_by(s.started_at, s.id).limit(limit)).mappings().all()
    return [dict(r) for r in rows]


def describe(caller: Caller, shifts: list[dict], tz, now: datetime) -> list[dict]:
    """Shifts as the console shows them: who, the flags in words, photos, the volunteer's request."""
    ids = [row["id"] for row in shifts]
    people = _volunteers({row["volunteer_id"] for row in shifts})
    requests = _pending_requests(ids)
    photos = photo_thumbnails(ids, caller, now)
    full_phone = permissions.sees_full_phone(caller)
    items = []
    for row in shifts:
        person = people.get(row["volunteer_id"])
        body = serialize.shift(row, tz)
        body["volunteer"] = None if person is None else {
            "id": person.id, "name": person.name, "unit": person.unit_name,
            "phone": person.phone if full_phone else serialize.mask_phone(person.phone)}
        body["flag_labels"] = [FLAG_LABELS.get(f, f) for f in row.get("flags") or []]
        body["photos"] = photos.get(row["id"], [])
        body["correction"] = requests.get(row["id"])
        if body["correction"] is not None:
            body["correction"] = correction_json(body["correction"], tz)
        items.append(body)
    return items


def _volunteers(ids: set[int]) -> dict:
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(users_t.c.id, users_t.c.name, users_t.c.phone, units_t.c.name.label("unit_name"))
        .outerjoin(units_t, units_t.c.id == users_t.c.unit_id).where(users_t.c.id.in_(ids))).all()
    return {r.id: r for r in rows}


def _pending_requests(shift_ids: list[int]) -> dict[int, dict]:
    if not shift_ids:
        return {}
    rows = db.session.execute(sa.select(corrections_t).where(
        corrections_t.c.shift_id.in_(shift_ids), corrections_t.c.status == "pending")).mappings()
    return {r["shift_id"]: dict(r) for r in rows}


def correction_json(row: dict, tz) -> dict:
    return {"id": row["id"], "shift_id": row["shift_id"], "kind": row["kind"], "reason": row["reason"],
            "proposed_ended_at": local_iso(row["proposed_ended_at"], tz),
            "proposed_minutes": row["proposed_minutes"], "status": row["status"],
            "resolution": row["resolution"], "created_at": local_iso(row["created_at"], tz)}


# --- decisions -------------------------------------------------------------------------------


def review(caller: Caller, shift_id: int, body, now: datetime, max_minutes: int) -> dict:
    """Checked in this order: scope (404 whatever the body), decision, reason, credited_minutes."""
    shift = shift_in_scope(caller, shift_id)
    require_changer(caller)
    permissions.refuse_own_shift(caller, shift["volunteer_id"])
    if not isinstance(body, dict):
        raise BadRequest("请求体必须是 JSON 对象")
    decision = string(body, "decision", max_length=16, label="审核结果", choices=DECISIONS)
    reason = string(body, "reason", max_length=500, required=decision != "approve", label="理由", multiline=True)
    if shift["status"] not in _REVIEWABLE:
        raise Conflict("只能审核已结束的上岗记录", code="SHIFT_NOT_REVIEWABLE", status_now=shift["status"])
    minutes = _credited_minutes(caller, body, decision, shift, max_minutes)

    if decision == "approve":
        restore = shift["review_state"] == "rejected" and shift["original_minutes"] is not None
        changes = dict(credited_minutes=shift["original_minutes"] if restore else shift["credited_minutes"],
                       review_state="approved", review_reason=reason)
    else:
        original = shift["original_minutes"]
        changes = dict(credited_minutes=minutes if decision == "adjust" else 0,
                       review_state="adjusted" if decision == "adjust" else "rejected", review_reason=reason,
                       original_minutes=shift["credited_minutes"] if original is None else original)
    return _apply(caller, shift, changes, f"review_{decision}", reason, decision, now)


def approve_many(caller: Caller, shift_ids: list[int], now: datetime, max_minutes: int) -> tuple[list[int], dict]:
    """Approve each shift as its own decision (its own audit entry and transaction).

    Returns (approved ids, {shift id: why not}); one refusal does not undo the others."""
    require_changer(caller)
    approved, refused = [], {}
    for shift_id in dict.fromkeys(shift_ids):
        try:
            review(caller, shift_id, {"decision": "approve"}, now, max_minutes)
        except (Conflict, NotFound, ValidationError) as err:
            refused[shift_id] = err.message
        else:
            approved.append(shift_id)
    return approved, refused


def _credited_minutes(caller: Caller, body: dict, decision: str, shift: dict, max_minutes: int) -> int | None:
    value = body.get("credited_minutes")
    if decision != "adjust":
        if value is not None:
            raise ValidationError("只有调整时长时才能填写 credited_minutes", field="credited_minutes")
        return None
    if value is None:
        raise ValidationError("请填写核定的时长（分钟）", field="credited_minutes")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("核定时长必须是整数分钟", field="credited_minutes")
    actual = rules.elapsed_minutes(shift["started_at"], shift["ended_at"])
    if not 0 <= value <= actual:
        raise ValidationError(f"核定时长应在 0～{actual} 分钟之间（不能超过实际在岗时长）",
                              field="credited_minutes", max_minutes=actual)
    if value > max_minutes and not permissions.may_bypass_shift_limits(caller):
        raise ValidationError(f"单次上岗最多计入 {max_minutes} 分钟，超出须由管理员调整",
                              field="credited_minutes", max_minutes=max_minutes)
    return value


def void(caller: Caller, shift_id: int, body, now: datetime) -> dict:
    shift = shift_in_scope(caller, shift_id)
    require_changer(caller)
    permissions.refuse_own_shift(caller, shift["volunteer_id"])
    if not isinstance(body, dict):
        raise BadRequest("请求体必须是 JSON 对象")
    reason = string(body, "reason", max_length=500, label="作废理由", multiline=True)
    if shift["status"] == "voided":
        raise Conflict("该上岗记录已作废", code="SHIFT_VOIDED")
    changes = dict(status="voided", credited_minutes=0, review_reason=reason,
                   original_minutes=shift["original_minutes"] if shift["original_minutes"] is not None
                   else shift["credited_minutes"])
    if shift["status"] == "open":
        changes["ended_at"] = max(now, shift["started_at"])  # an open shift gets an end so it can close
    return _apply(caller, shift, changes, "void", reason, "void", now)


def _apply(caller: Caller, shift: dict, changes: dict, action: str, reason: str | None, resolution: str,
           now: datetime) -> dict:
    """Write the change only if nobody changed the shift since it was read; audit it; resolve requests."""
    seen = [s.id == shift["id"], s.status == shift["status"], s.review_state == shift["review_state"],
            s.credited_minutes == shift["credited_minutes"]]
    updated = db.session.execute(sa.update(shifts_t).where(*seen).values(**changes))
    if updated.rowcount != 1:
        db.session.rollback()
        raise Conflict("该上岗记录刚被其他人修改，请刷新后重试", code="SHIFT_CHANGED")
    after = {**shift, **changes}
    audit.record(actor_id=caller.id, action=action, entity_type="shift", entity_id=shift["id"],
                 before=audit.snapshot(shift), after=audit.snapshot(after), reason=reason, now=now)
    db.session.execute(sa.update(corrections_t).where(
        corrections_t.c.shift_id == shift["id"], corrections_t.c.status == "pending").values(
        status="resolved", resolved_at=now, resolved_by_id=caller.id, resolution=resolution))
    db.session.commit()
    return after


def audit_trail(caller: Caller, shift_id: int, tz) -> list[dict]:
    shift_in_scope(caller, shift_id)
    return audit.history("shift", shift_id, tz)
