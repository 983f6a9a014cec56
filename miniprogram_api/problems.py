"""Problems a volunteer finds at the post: the categories, reporting one with photos, and
following one's own reports."""
from __future__ import annotations

from miniprogram_api import bp
from server import callers
from server.clock import county_zone, local_date, utcnow
from server.inputs import json_body, photo_upload, query_int
from server.problems import categories, photos, records, reporting


def _json(row: dict, *, with_photos: bool = False) -> dict:
    tz, now = county_zone(), utcnow()
    body = records.as_json(row, tz, local_date(now, tz), reporter=False)
    if with_photos:
        body["photos"] = photos.of_problem(row["id"], now)
    return body


@bp.get("/problem-categories")
def problem_categories():
    return {"items": [categories.as_json(c) for c in categories.active()]}


@bp.post("/problems")
def report_problem():
    """201 with the new problem (200 with it again for a retried client_request_id), or 409
    PROBLEM_LIKELY_DUPLICATE naming ``duplicate_of``."""
    row, created = reporting.report(callers.current(), json_body(), utcnow(), county_zone())
    return _json(row), 201 if created else 200


@bp.get("/problems")
def own_problems():
    limit = query_int("limit", low=1, high=100, default=20)
    before = query_int("cursor", low=1, high=2**31 - 1, default=0) or None  # the last id seen
    rows = reporting.own_list(callers.current(), before_id=before, limit=limit + 1)
    next_cursor = str(rows[limit - 1]["id"]) if len(rows) > limit else None
    return {"items": [_json(row) for row in rows[:limit]], "next_cursor": next_cursor}


@bp.get("/problems/<int:problem_id>")
def own_problem(problem_id: int):
    return _json(records.own(callers.current(), problem_id), with_photos=True)


@bp.post("/problems/<int:problem_id>/photos")
def problem_photo(problem_id: int):
    """A "before" photo of one's own report while it is open (multipart ``file``, as wx.uploadFile)."""
    caller = callers.current()
    problem = photos.own_problem_for_photo(caller, problem_id)
    photo, created = photos.add(caller, problem, "before", photo_upload(), utcnow())
    return photo, 201 if created else 200
