"""A volunteer asks for a shift to be corrected, or for a missing one to be recorded."""
from __future__ import annotations

from flask import current_app, request

from miniprogram_api import bp
from server import callers
from server.checkin import serialize
from server.records import corrections
from server.records import manual_shifts
from server.clock import county_zone, utcnow
from server.records.reviews import correction_json


def _limits() -> manual_shifts.Limits:
    return manual_shifts.Limits.from_config(current_app.config, county_zone())


def _created(request_row: dict, shift: dict):
    tz = county_zone()
    return {"correction": correction_json(request_row, tz), "shift": serialize.shift(shift, tz)}, 201


@bp.post("/shifts/<int:shift_id>/correction")
def request_correction(shift_id: int):
    request_row, shift = corrections.request_correction(
        callers.current(), shift_id, request.get_json(silent=True), utcnow(), _limits())
    return _created(request_row, shift)


@bp.post("/shifts/missing")
def request_missing_shift():
    request_row, shift = corrections.request_missing(
        callers.current(), request.get_json(silent=True), utcnow(), _limits())
    return _created(request_row, shift)


@bp.get("/corrections")
def my_corrections():
    tz = county_zone()
    rows = corrections.list_own(callers.current())
    return {"items": [correction_json(r, tz) for r in rows], "next_cursor": None}
