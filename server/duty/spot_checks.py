"""Spot checks (督查暗访): a leader asks whoever is on duty at a post, or at every post
of a district, for proof right now: a live photo and the phone's location.

Each volunteer on duty at that moment gets a task due in SPOT_CHECK_MINUTES.
An answer before the deadline is ``answered``, after it ``late``; no answer by
the deadline is ``unanswered``. The result joins the volunteer's shift: the
photo is stored as one of the shift's photos (server/evidence/photos.py, which
validates, re-encodes and stores it in STORAGE_URL, and flags re-used
pictures) and the shift gets a flag ``spot_check_answered``, ``spot_check_late``
or ``spot_check_unanswered``, with an audit row when the shift is already closed.
An answer after the deadline is taken as late for LATE_WINDOW more; after
that the task is settled as unanswered for good.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from server import permissions
from server.checkin import shift_flags
from server.checkin import geo
from server.evidence import photos
from server.callers import Caller
from server.db import db
from server.duty import presence_checks
from server.duty.on_duty import s
from server.errors import Conflict, Forbidden, NotFound, ValidationError
from server.models import District, Photo, Post, Shift, SpotCheck, SpotCheckTask, User

tasks_t, shifts_t = SpotCheckTask.__table__, Shift.__table__
MAX_MINUTES = 120
# A photo the camera dates this long before the check was not taken for it.
LIVE_TOLERANCE = timedelta(minutes=2)
# Answers after the deadline are still taken (as late) for this long; then it is unanswered for good.
LATE_WINDOW = timedelta(hours=1)
_FLAGS = {"answered": "spot_check_answered", "late": "spot_check_late", "unanswered": "spot_check_unanswered"}


def start(caller: Caller, *, post_id: int | None, district_id: int | None, minutes: int,
          note: str | None, now: datetime) -> SpotCheck:
    if not permissions.may_run_spot_checks(caller):
        raise Forbidden("督查抽查仅限领导和管理员发起", code="FORBIDDEN")
    if (post_id is None) == (district_id is None):
        raise ValidationError("请选择一个岗位或一个片区", field="post_id")
    if not 1 <= minutes <= MAX_MINUTES:
        raise ValidationError(f"回复时限应在 1～{MAX_MINUTES} 分钟之间", field="minutes")
    post_ids = _target_posts(post_id, district_id)
    on_duty = db.session.execute(sa.select(s.id, s.volunteer_id, s.post_id).where(
        s.status == "open", s.post_id.in_(post_ids), s.review_state != "rejected")).all()
    check = SpotCheck(post_id=post_id, district_id=district_id, note=note, created_by_id=caller.id,
                      created_at=now, due_at=now + timedelta(minutes=minutes))
    db.session.add(check)
    db.session.flush()
    for row in on_duty:
        db.session.add(SpotCheckTask(spot_check_id=check.id, volunteer_id=row.volunteer_id, shift_id=row.id,
                                     post_id=row.post_id, due_at=check.due_at))
    db.session.commit()
    return check


def _target_posts(post_id: int | None, district_id: int | None) -> list[int]:
    if post_id is not None:
        if db.session.get(Post, post_id) is None:
            raise NotFound("找不到该岗位")
        return [post_id]
    if db.session.get(District, district_id) is None:
        raise NotFound("找不到该片区")
    return list(db.session.execute(sa.select(Post.id).where(
        Post.district_id == district_id, Post.active.is_(True))).scalars())


def get(caller: Caller, check_id: int, now: datetime) -> dict:
    """The check with every task's state, and the posts where nobody was on duty to ask."""
    if not permissions.may_run_spot_checks(caller):
        raise Forbidden("督查抽查仅限领导和管理员查看", code="FORBIDDEN")
    check = db.session.get(SpotCheck, check_id)
    if check is None:
        raise NotFound("找不到该抽查")
    settle(now)
    tasks = db.session.execute(
        sa.select(tasks_t, User.name, Post.name.label("post_name"), Post.code.label("post_code"))
        .join(User, User.id == tasks_t.c.volunteer_id).join(Post, Post.id == tasks_t.c.post_id)
        .where(tasks_t.c.spot_check_id == check_id).order_by(tasks_t.c.post_id, tasks_t.c.id)).mappings().all()
    targets = [check.post_id] if check.post_id else _target_posts(None, check.district_id)
    asked = {task["post_id"] for task in tasks}
    empty = db.session.execute(sa.select(Post.id, Post.code, Post.name).where(
        Post.id.in_([pid for pid in targets if pid not in asked])).order_by(Post.code)).all()
    photo_rows = _photos([task["photo_id"] for task in tasks if task["photo_id"]], now)
    return {"check": check, "tasks": [{**task, "state": state(task, now), "photo": photo_rows.get(task["photo_id"])}
                                      for task in tasks],
            "posts_without_anyone": [{"id": p.id, "code": p.code, "name": p.name} for p in empty]}


def recent(caller: Caller, limit: int = 50) -> list[SpotCheck]:
    if not permissions.may_run_spot_checks(caller):
        raise Forbidden("督查抽查仅限领导和管理员查看", code="FORBIDDEN")
    # The server's presence checks (one per picked shift) would bury the leaders' own.
    return list(db.session.execute(sa.select(SpotCheck).where(SpotCheck.shift_id.is_(None))
                                   .order_by(SpotCheck.created_at.desc(), SpotCheck.id.desc())
                                   .limit(limit)).scalars())


def state(task, now: datetime) -> str:
    if task["result"] is not None:
        return task["result"]
    return "unanswered" if now > task["due_at"] else "pending"


def _photos(photo_ids: list[int], now: datetime) -> dict[int, dict]:
    if not photo_ids:
        return {}
    rows = db.session.execute(sa.select(Photo.__table__).where(Photo.id.in_(photo_ids))).mappings()
    return {row["id"]: photos.entry(dict(row), now) for row in rows}


# --- the volunteer's side --------------------------------------------------------------

def tasks_for(caller: Caller, now: datetime, days: int = 7, *, answer_minutes: int | None = None) -> list[dict]:
    """The caller's spot-check tasks of the last days, open ones first. With ``answer_minutes``,
    the caller's presence checks now due are raised first (presence_checks.py)."""
    if answer_minutes is not None:
        presence_checks.raise_due(now, answer_minutes, caller.id)
    settle(now)
    rows = db.session.execute(
        sa.select(tasks_t, Post.name.label("post_name"), Post.code.label("post_code"), SpotCheck.note,
                  SpotCheck.created_at)
        .join(Post, Post.id == tasks_t.c.post_id).join(SpotCheck, SpotCheck.id == tasks_t.c.spot_check_id)
        .where(tasks_t.c.volunteer_id == caller.id, tasks_t.c.due_at > now - timedelta(days=days))
        .order_by(tasks_t.c.due_at.desc())).mappings().all()
    tasks = [{**row, "state": state(row, now)} for row in rows]
    return sorted(tasks, key=lambda task: task["state"] != "pending")


def answer(caller: Caller, task_id: int, photo: bytes, latitude: float, longitude: float,
           accuracy: float | None, now: datetime, accuracy_allowance_m: float) -> dict:
    task = db.session.execute(sa.select(tasks_t).where(
        tasks_t.c.id == task_id, tasks_t.c.volunteer_id == caller.id)).mappings().first()
    if task is None:
        raise NotFound("找不到该抽查任务")
    if task["answered_at"] is not None:  # a retried upload: the first answer stands
        return dict(task)
    if task["result"] == "unanswered":
        raise Conflict("该抽查已超时一小时以上，记为未回复", code="SPOT_CHECK_CLOSED")
    check_created = db.session.execute(sa.select(SpotCheck.created_at).where(
        SpotCheck.id == task["spot_check_id"])).scalar_one()
    post = db.session.get(Post, task["post_id"])
    fence = geo.check_geofence(post.latitude, post.longitude, post.radius_m, latitude, longitude,
                               accuracy, accuracy_allowance_m)
    stored, _ = photos.upload(caller, task["shift_id"], photo, "duty", latitude, longitude, now)
    captured_at = db.session.execute(sa.select(Photo.captured_at).where(Photo.id == stored["id"])).scalar()
    result = "answered" if now <= task["due_at"] else "late"
    live = is_live(captured_at, check_created, now)
    updated = db.session.execute(sa.update(tasks_t).where(
        tasks_t.c.id == task_id, tasks_t.c.answered_at.is_(None)).values(
        answered_at=now, latitude=latitude, longitude=longitude, accuracy=accuracy,
        distance_m=round(fence.distance_m, 1), inside_geofence=fence.inside, photo_id=stored["id"],
        photo_captured_at=captured_at, result=result, photo_live=live))
    if updated.rowcount == 1:
        _mark_shift(task["shift_id"], result, now, caller.id, live=live)
    db.session.commit()
    return dict(db.session.execute(sa.select(tasks_t).where(tasks_t.c.id == task_id)).mappings().one())


def settle(now: datetime) -> int:
    """Record ``unanswered`` on every task past its deadline and the late window (idempotent; run on reads)."""
    overdue = db.session.execute(sa.select(tasks_t.c.id, tasks_t.c.shift_id).where(
        tasks_t.c.result.is_(None), tasks_t.c.answered_at.is_(None), tasks_t.c.due_at < now - LATE_WINDOW)).all()
    for row in overdue:
        updated = db.session.execute(sa.update(tasks_t).where(
            tasks_t.c.id == row.id, tasks_t.c.result.is_(None)).values(result="unanswered"))
        if updated.rowcount == 1:
            _mark_shift(row.shift_id, "unanswered", now, None)
    if overdue:
        db.session.commit()
    return len(overdue)


def is_live(captured_at: datetime | None, asked_at: datetime, now: datetime) -> bool:
    """Taken for this check: the camera dates it between the question and the answer (give or
    take the phone clock's drift). No capture time at all proves nothing, so it is not live."""
    return captured_at is not None and asked_at - LIVE_TOLERANCE <= captured_at <= now + LIVE_TOLERANCE


def _mark_shift(shift_id: int, result: str, now: datetime, actor_id: int | None, *, live: bool = True) -> None:
    flags = [_FLAGS[result]] + ([] if live else ["spot_check_photo_not_live"])
    shift_flags.raise_flags(shift_id, shift_flags.current(shift_id), flags, now, actor_id=actor_id,
                            action="spot_check")
