"""Volunteers: list and search, detail, suspend, reactivate."""
from __future__ import annotations

from flask import request

from server import callers
from server.records import volunteers
from server.clock import county_zone, utcnow
from server.console_api import bp
from server.errors import BadRequest
from server.inputs import query_int, string


@bp.get("/volunteers")
def list_volunteers():
    caller, limit = callers.current(), query_int("limit", low=1, high=200, default=50)
    rows = volunteers.search(
        caller, q=(request.args.get("q") or "").strip() or None,
        unit_id=query_int("unit_id", low=1, high=2**31 - 1, default=None),
        status=request.args.get("status") or None,
        after_id=query_int("cursor", low=0, high=2**31 - 1, default=None), limit=limit + 1)
    next_cursor = str(rows[limit - 1]["id"]) if len(rows) > limit else None
    return {"items": volunteers.as_json(caller, rows[:limit], county_zone()), "next_cursor": next_cursor}


@bp.get("/volunteers/<int:volunteer_id>")
def volunteer_detail(volunteer_id: int):
    caller = callers.current()
    return volunteers.as_json(caller, [volunteers.get(caller, volunteer_id)], county_zone())[0]


def _change_status(volunteer_id: int, status: str, reason_required: bool):
    caller = callers.current()
    volunteers.manageable(caller, volunteer_id)  # scope (404) and role (403) before the body
    body = request.get_json(silent=True)
    if body is None and not reason_required:
        body = {}
    if not isinstance(body, dict):
        raise BadRequest("请求体必须是 JSON 对象")
    reason = string(body, "reason", max_length=500, required=reason_required, label="理由", multiline=True)
    row = volunteers.set_status(caller, volunteer_id, status, reason, utcnow())
    return volunteers.as_json(caller, [row], county_zone())[0]


@bp.post("/volunteers/<int:volunteer_id>/suspend")
def suspend_volunteer(volunteer_id: int):
    return _change_status(volunteer_id, "suspended", reason_required=True)


@bp.post("/volunteers/<int:volunteer_id>/reactivate")
def reactivate_volunteer(volunteer_id: int):
    return _change_status(volunteer_id, "active", reason_required=False)
