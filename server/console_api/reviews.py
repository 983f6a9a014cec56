"""The review queue, decisions on shifts, voiding, manual shifts and the audit trail."""
from __future__ import annotations

from flask import current_app, request

from server import callers
from server.records import manual_shifts
from server.records import reviews
from server.clock import county_zone, utcnow
from server.console_api import bp
from server.inputs import encode_cursor, query_cursor, query_int


def _describe_one(row: dict) -> dict:
    return reviews.describe(callers.current(), [row], county_zone(), utcnow())[0]


@bp.get("/reviews")
def review_queue():
    caller, limit = callers.current(), query_int("limit", low=1, high=200, default=50)
    rows = reviews.queue(caller, flag=request.args.get("flag") or None, after=query_cursor(),
                         limit=limit + 1, now=utcnow())
    items = reviews.describe(caller, rows[:limit], county_zone(), utcnow())
    return {"items": items, "next_cursor": encode_cursor(rows[limit - 1]) if len(rows) > limit else None}


@bp.get("/shifts/<int:shift_id>")
def shift_detail(shift_id: int):
    return _describe_one(reviews.shift_in_scope(callers.current(), shift_id))


@bp.post("/shifts/<int:shift_id>/review")
def review_shift(shift_id: int):
    # The body is read leniently: scope is checked before anything in it (404 whatever it holds).
    shift = reviews.review(callers.current(), shift_id, request.get_json(silent=True), utcnow(),
                           current_app.config["MAX_SHIFT_MINUTES"])
    return _describe_one(shift)


@bp.post("/shifts/<int:shift_id>/void")
def void_shift(shift_id: int):
    shift = reviews.void(callers.current(), shift_id, request.get_json(silent=True), utcnow())
    return _describe_one(shift)


@bp.post("/shifts")
def add_manual_shift():
    limits = manual_shifts.Limits.from_config(current_app.config, county_zone())
    shift = manual_shifts.add(callers.current(), request.get_json(silent=True), utcnow(), limits)
    return _describe_one(shift), 201


@bp.get("/shifts/<int:shift_id>/audit")
def shift_audit(shift_id: int):
    return {"items": reviews.audit_trail(callers.current(), shift_id, county_zone()), "next_cursor": None}
