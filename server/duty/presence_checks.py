"""Presence checks: the server's own surprise inspections.

At scan-in, a share of shifts (PRESENCE_CHECK_RATE) draws a moment between 10 minutes in
and the cap (server/checkin/post_rules.py; checkin does not import duty). When that moment
comes and the shift is still open, this module raises a spot check on it, just like a
leader's (server/duty/spot_checks.py): one task for that volunteer, due in
SPOT_CHECK_ANSWER_MINUTES, pending on GET /me and /me/spot-checks, answered with a live photo
and the current location, settled as unanswered (a review flag) when nobody answers.

It runs in two places, and a unique index on spot_checks.shift_id makes them raise each check
once: ``flask --app server presence-checks`` from cron every minute (which also sends a
subscription message to volunteers who accepted them), and on the volunteer's own reads, so a
check is never missed for want of cron.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from server.db import db
from server.models import Post, ReminderConsent, Shift, SpotCheck, SpotCheckTask, User

log = logging.getLogger(__name__)
shifts_t = Shift.__table__
NOTE = "系统随机到岗核验：请拍摄现场照片并上传当前位置"


def due(now: datetime, volunteer_id: int | None = None) -> list:
    """Open shifts whose presence check is due and not raised yet (ix_shifts_presence_check)."""
    raised = sa.exists().where(SpotCheck.shift_id == shifts_t.c.id)
    query = (sa.select(shifts_t.c.id, shifts_t.c.volunteer_id, shifts_t.c.post_id)
             .where(shifts_t.c.status == "open", shifts_t.c.presence_check_at.is_not(None),
                    shifts_t.c.presence_check_at <= now, shifts_t.c.review_state != "rejected", ~raised)
             .order_by(shifts_t.c.presence_check_at))
    if volunteer_id is not None:
        query = query.where(shifts_t.c.volunteer_id == volunteer_id)
    return db.session.execute(query).all()


def raise_due(now: datetime, answer_minutes: int, volunteer_id: int | None = None) -> list[SpotCheckTask]:
    """Raise every due presence check (only the volunteer's, if given); returns the new tasks."""
    raised = []
    for row in due(now, volunteer_id):
        check = SpotCheck(post_id=row.post_id, note=NOTE, created_by_id=None, created_at=now,
                          due_at=now + timedelta(minutes=answer_minutes), shift_id=row.id)
        try:
            db.session.add(check)
            db.session.flush()
            task = SpotCheckTask(spot_check_id=check.id, volunteer_id=row.volunteer_id, shift_id=row.id,
                                 post_id=row.post_id, due_at=check.due_at)
            db.session.add(task)
            db.session.commit()
        except IntegrityError:  # another run raised it first
            db.session.rollback()
            continue
        raised.append(task)
    return raised


def message(task: SpotCheckTask, openid: str, post_name: str, template_id: str, keys: list[str],
            page: str, tz) -> dict:
    """The subscription message (same template fields as slot reminders: post, time, tip)."""
    due_local = task.due_at.astimezone(tz)
    return {"touser": openid, "template_id": template_id, "page": f"{page}?task_id={task.id}", "lang": "zh_CN",
            "data": {keys[0]: {"value": post_name[:20]},
                     keys[1]: {"value": f"{due_local.year}年{due_local.month}月{due_local.day}日 {due_local:%H:%M}"},
                     keys[2]: {"value": "到岗核验：请在此时间前拍照并上传位置"}}}


def recipients(tasks: list[SpotCheckTask]) -> list[tuple[SpotCheckTask, str, str]]:
    """(task, openid, post name) for the tasks whose volunteer accepted subscription messages."""
    if not tasks:
        return []
    rows = db.session.execute(
        sa.select(User.id, User.openid).join(ReminderConsent, ReminderConsent.volunteer_id == User.id)
        .where(User.id.in_([task.volunteer_id for task in tasks]), User.openid.is_not(None))).all()
    openids = dict(rows)
    names = dict(db.session.execute(sa.select(Post.id, Post.name).where(
        Post.id.in_([task.post_id for task in tasks]))).all())
    return [(task, openids[task.volunteer_id], names[task.post_id]) for task in tasks
            if task.volunteer_id in openids]
