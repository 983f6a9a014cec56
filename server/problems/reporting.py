"""Reporting a problem, and a reporter's own list.

A report within DUPLICATE_RADIUS_M of an open one of the same category from the
last DUPLICATE_WINDOW is answered with that one (409 PROBLEM_LIKELY_DUPLICATE,
``duplicate_of``) and nothing is written; the reporter may send it again with
``confirm_new: true`` when it really is another problem.

A report may carry the phone's ``client_request_id``. Sent again (the first answer
was lost to a timeout), it is answered with the problem the first one made, not
with that problem as a likely duplicate: otherwise the reporter would be told that
someone else reported it, and the photos would never follow.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from server import audit
from server.callers import Caller, require_active
from server.checkin import geo
from server.clock import local_iso
from server.db import db
from server.errors import Conflict, Forbidden, ValidationError
from server.inputs import boolean, integer, number, string
from server.models import Post, Problem, Shift
from server.problems import categories, records

p = records.p
DUPLICATE_RADIUS_M = 50
DUPLICATE_WINDOW = timedelta(hours=24)
# 50 m is about 0.00045 degrees of latitude; a box a little wider lets the index narrow the search.
_BOX_DEGREES = 0.001
AUDIT_FIELDS = ("status", "category_id", "description", "post_id", "unit_id", "deadline", "fix_note",
                "fix_photo_id", "fixed_at", "status_reason")
_ID_MAX = 2**31 - 1


def report(caller: Caller, body: dict, now: datetime, tz) -> tuple[dict, bool]:
    """File a report; (the row as records.own reads it, created). A retry returns its problem."""
    require_active(caller)
    if not caller.registered and not caller.is_console:
        raise Forbidden("请先完成注册再上报问题", code="NOT_REGISTERED")
    request_id = string(body, "client_request_id", max_length=64, required=False, label="请求编号")
    retried = _retried(caller, request_id)
    if retried is not None:
        return retried
    category = _category(body)
    description = string(body, "description", max_length=500, label="问题描述")
    latitude = number(body, "latitude", low=-90, high=90, label="纬度")
    longitude = number(body, "longitude", low=-180, high=180, label="经度")
    post_id = _post_id(caller, body)
    notify = boolean(body, "notify", default=False)
    if not boolean(body, "confirm_new", default=False):
        try:
            _refuse_likely_duplicate(category.id, latitude, longitude, now, tz)
        except Conflict:
            # The likely duplicate may be this very request, sent twice at once and written
            # by the other one since it was looked for above.
            retried = _retried(caller, request_id)
            if retried is None:
                raise
            return retried
    problem = Problem(category_id=category.id, description=description, latitude=latitude, longitude=longitude,
                      post_id=post_id, reporter_id=caller.id, status="open", notify_reporter=notify,
                      notice_state="none", client_request_id=request_id, created_at=now, updated_at=now)
    db.session.add(problem)
    try:
        db.session.flush()
    except IntegrityError:
        # The same request, sent twice at once: the other one wrote it first.
        db.session.rollback()
        retried = _retried(caller, request_id)
        if retried is None:
            raise
        return retried
    row = {name: getattr(problem, name) for name in AUDIT_FIELDS}
    audit.record(actor_id=caller.id, action="problem_report", entity_type="problem", entity_id=problem.id,
                 before=None, after=audit.snapshot(row, AUDIT_FIELDS), reason=None, now=now)
    db.session.commit()
    return records.own(caller, problem.id), True


def _retried(caller: Caller, request_id: str | None) -> tuple[dict, bool] | None:
    """The answer to a retry: the problem this reporter's request already made; None if none."""
    if request_id is None:
        return None
    made = db.session.execute(sa.select(p.id).where(p.reporter_id == caller.id,
                                                    p.client_request_id == request_id)).scalar()
    return None if made is None else (records.own(caller, made), False)


def _category(body: dict) -> ProblemCategory:
    value = body.get("category", body.get("category_id"))
    if value is not None and not isinstance(value, str) and (
            isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= _ID_MAX):
        raise ValidationError("问题类别无效", field="category")
    return categories.usable(value)


def _post_id(caller: Caller, body: dict) -> int | None:
    """The post named, or else the post of the reporter's open shift (found while on duty)."""
    post_id = integer(body, "post_id", low=1, high=_ID_MAX, label="岗位")
    if post_id is not None:
        if db.session.get(Post, post_id) is None:
            raise ValidationError("岗位不存在", field="post_id")
        return post_id
    return db.session.execute(sa.select(Shift.post_id).where(Shift.volunteer_id == caller.id,
                                                             Shift.status == "open")).scalar()


def _refuse_likely_duplicate(category_id: int, latitude: float, longitude: float, now: datetime, tz) -> None:
    nearby = db.session.execute(
        sa.select(p.id, p.description, p.status, p.latitude, p.longitude, p.created_at)
        .where(p.category_id == category_id, p.status.in_(("open", "assigned")), p.created_at >= now - DUPLICATE_WINDOW,
               p.latitude.between(latitude - _BOX_DEGREES, latitude + _BOX_DEGREES),
               p.longitude.between(longitude - _BOX_DEGREES * 1.3, longitude + _BOX_DEGREES * 1.3))
        .order_by(p.created_at.desc())).all()
    for row in nearby:
        distance = geo.haversine_m(latitude, longitude, row.latitude, row.longitude)
        if distance <= DUPLICATE_RADIUS_M:
            raise Conflict("附近已有人上报了同类问题，请确认是否为同一问题；如不是，请确认后重新提交",
                           code="PROBLEM_LIKELY_DUPLICATE", duplicate_of={
                               "id": row.id, "description": row.description, "status": row.status,
                               "status_label": records.STATUS_LABELS[row.status],
                               "distance_m": round(distance, 1), "created_at": local_iso(row.created_at, tz)})


def own_list(caller: Caller, *, before_id: int | None, limit: int) -> list[dict]:
    """The caller's reports, newest first."""
    query = records.select_rows().where(p.reporter_id == caller.id)
    if before_id is not None:
        query = query.where(p.id < before_id)
    return [dict(r) for r in db.session.execute(query.order_by(p.id.desc()).limit(limit)).mappings()]


