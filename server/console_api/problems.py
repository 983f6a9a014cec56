"""Problems found at posts, followed up in the console: list, detail, assign, fix, verify,
reject, photos and the audit trail. Scope and roles are decided in server.problems."""
from __future__ import annotations

from flask import current_app, request

from server import callers
from server.clock import county_zone, local_date, utcnow
from server.console_api import bp
from server.errors import ValidationError
from server.inputs import json_body, photo_upload, query_int
from server.problems import categories, follow_up, listing, notices, photos, records, reporting

_ID_MAX = 2**31 - 1


def _json(row: dict, *, with_photos: bool = True) -> dict:
    tz, now = county_zone(), utcnow()
    body = records.as_json(row, tz, local_date(now, tz))
    if with_photos:
        body["photos"] = photos.of_problem(row["id"], now)
    return body


def _optional_id(field: str) -> int | None:
    return query_int(field, low=1, high=_ID_MAX, default=0) or None


def _overdue() -> bool | None:
    raw = request.args.get("overdue")
    if raw is None or raw == "":
        return None
    if raw not in ("true", "false", "1", "0"):
        raise ValidationError("overdue 只能是 true 或 false", field="overdue")
    return raw in ("true", "1")


@bp.get("/problem-categories")
def console_problem_categories():
    return {"items": [categories.as_json(c) for c in categories.active()]}


@bp.post("/problem-categories")
def add_problem_category():
    """Admins: {name, deadline_working_days}."""
    return categories.as_json(categories.save(callers.current(), None, json_body())), 201


@bp.patch("/problem-categories/<int:category_id>")
def change_problem_category(category_id: int):
    """Admins: {name?, deadline_working_days?, active?}; a category is deactivated, never deleted."""
    return categories.as_json(categories.save(callers.current(), category_id, json_body()))


@bp.get("/problems")
def problem_list():
    """?status=&category=&unit_id=&district_id=&overdue=&cursor=&limit= ; overdue first."""
    tz, caller = county_zone(), callers.current()
    limit = query_int("limit", low=1, high=200, default=50)
    offset = listing.decode_offset(request.args.get("cursor"))
    filters = listing.Filters(status=request.args.get("status") or None, category_id=_optional_id("category"),
                              unit_id=_optional_id("unit_id"), district_id=_optional_id("district_id"),
                              overdue=_overdue()).check()
    rows = listing.problems(caller, filters, local_date(utcnow(), tz), offset=offset, limit=limit + 1)
    return {"items": [_json(row, with_photos=False) for row in rows[:limit]],
            "next_cursor": listing.encode_offset(offset + limit) if len(rows) > limit else None}


@bp.post("/problems")
def console_report_problem():
    """Console users report too (a leader on an inspection)."""
    row, created = reporting.report(callers.current(), json_body(), utcnow(), county_zone())
    return _json(row), 201 if created else 200


@bp.get("/problems/<int:problem_id>")
def problem_detail(problem_id: int):
    return _json(records.in_scope(callers.current(), problem_id))


@bp.post("/problems/<int:problem_id>/assign")
def assign_problem(problem_id: int):
    # The body is read leniently: scope is checked before anything in it (404 whatever it holds).
    row = follow_up.assign(callers.current(), problem_id, request.get_json(silent=True), utcnow(), county_zone())
    return _json(row)


@bp.post("/problems/<int:problem_id>/photos")
def problem_after_photo(problem_id: int):
    """The unit's "after" photo (multipart ``file``), sent before POST .../fix names it."""
    caller = callers.current()
    problem = follow_up.for_after_photo(caller, problem_id)
    photo, created = photos.add(caller, problem, "after", photo_upload(), utcnow())
    return photo, 201 if created else 200


@bp.post("/problems/<int:problem_id>/fix")
def fix_problem(problem_id: int):
    row = follow_up.fix(callers.current(), problem_id, request.get_json(silent=True), utcnow())
    notices.send_if_due(problem_id, current_app.config)  # after the fix is committed; never undoes it
    return _json(row)


@bp.post("/problems/<int:problem_id>/verify")
def verify_problem(problem_id: int):
    return _json(follow_up.verify(callers.current(), problem_id, request.get_json(silent=True), utcnow()))


@bp.post("/problems/<int:problem_id>/reject")
def reject_problem(problem_id: int):
    return _json(follow_up.reject(callers.current(), problem_id, request.get_json(silent=True), utcnow()))


@bp.get("/problems/<int:problem_id>/audit")
def problem_audit(problem_id: int):
    return {"items": follow_up.audit_trail(callers.current(), problem_id, county_zone()), "next_cursor": None}
