"""Spot checks (督查暗访): a leader starts one and watches the answers come in."""
from __future__ import annotations

from flask import current_app

from server import callers
from server.duty import spot_checks
from server.clock import county_zone, local_iso, utcnow
from server.console_api import bp
from server.inputs import integer, json_body, string

_ID_MAX = 2**31 - 1


def _check_json(check, tz) -> dict:
    return {"id": check.id, "post_id": check.post_id, "district_id": check.district_id, "note": check.note,
            "created_by_id": check.created_by_id, "automatic": check.shift_id is not None,
            "created_at": local_iso(check.created_at, tz),
            "due_at": local_iso(check.due_at, tz)}


def _task_json(task: dict, tz) -> dict:
    return {"id": task["id"], "state": task["state"],
            "volunteer": {"id": task["volunteer_id"], "name": task["name"]},
            "post": {"id": task["post_id"], "code": task["post_code"], "name": task["post_name"]},
            "shift_id": task["shift_id"], "due_at": local_iso(task["due_at"], tz),
            "answered_at": local_iso(task["answered_at"], tz),
            "location": ({"latitude": task["latitude"], "longitude": task["longitude"],
                          "accuracy": task["accuracy"], "distance_m": task["distance_m"],
                          "inside_geofence": task["inside_geofence"], "coordinate_system": "gcj02"}
                         if task["answered_at"] else None),
            "photo": task["photo"], "photo_live": task["photo_live"]}


def _result(check_id: int, status: int = 200):
    tz = county_zone()
    found = spot_checks.get(callers.current(), check_id, utcnow())
    tasks = [_task_json(task, tz) for task in found["tasks"]]
    counts = {state: sum(1 for t in tasks if t["state"] == state)
              for state in ("answered", "late", "unanswered", "pending")}
    return {**_check_json(found["check"], tz), "tasks": tasks, "counts": counts,
            "posts_without_anyone": found["posts_without_anyone"]}, status


@bp.post("/spot-checks")
def start_spot_check():
    """{post_id} or {district_id}, optional minutes (default SPOT_CHECK_MINUTES) and note."""
    body = json_body()
    check = spot_checks.start(
        callers.current(),
        post_id=integer(body, "post_id", low=1, high=_ID_MAX, label="岗位"),
        district_id=integer(body, "district_id", low=1, high=_ID_MAX, label="片区"),
        minutes=integer(body, "minutes", low=1, high=spot_checks.MAX_MINUTES,
                        default=current_app.config["SPOT_CHECK_MINUTES"], label="回复时限"),
        note=string(body, "note", max_length=200, required=False, label="说明"),
        now=utcnow())
    return _result(check.id, 201)


@bp.get("/spot-checks")
def list_spot_checks():
    tz = county_zone()
    return {"items": [_check_json(c, tz) for c in spot_checks.recent(callers.current())]}


@bp.get("/spot-checks/<int:check_id>")
def get_spot_check(check_id: int):
    return _result(check_id)
