"""The volunteer's roster (我的排班), reminder consent, and spot-check tasks with their answers."""
from __future__ import annotations

import math

from flask import current_app, request

from miniprogram_api import bp
from server import callers
from server.checkin import geo
from server.checkin.location_signals import published_point
from server.duty import reminders
from server.duty import roster_queries
from server.duty import spot_checks
from server.clock import county_zone, local_iso, utcnow
from server.errors import ApiError, ValidationError
from server.inputs import query_int

FILE_FIELD = "file"


@bp.get("/me/roster")
def my_roster():
    """Slots the caller is on that have not ended, soonest first (``days`` ahead, default 30)."""
    caller, tz, now = callers.current(), county_zone(), utcnow()
    rows = roster_queries.upcoming_for(caller.id, now, query_int("days", low=1, high=90, default=30))
    sent = reminders.status_of([row["id"] for row in rows], caller.id)
    return {"items": [{
        "slot_id": row["id"],
        "post": {"id": row["post_id"], "code": row["post_code"], "name": row["post_name"],
                 **dict(zip(("latitude", "longitude"), published_point(row["latitude"], row["longitude"]))),
                 "coordinate_system": "gcj02"},
        "date": row["local_date"].isoformat(),
        "start": row["starts_at"].astimezone(tz).strftime("%H:%M"),
        "end": row["ends_at"].astimezone(tz).strftime("%H:%M"),
        "starts_at": local_iso(row["starts_at"], tz),
        "ends_at": local_iso(row["ends_at"], tz),
        "needed": row["needed"],
        "note": row["note"],
        "now": row["starts_at"] <= now < row["ends_at"],
        "reminder": sent.get(row["id"]),
    } for row in rows], "next_cursor": None}


@bp.post("/me/reminder-consent")
def reminder_consent():
    """The mini-program calls this after wx.requestSubscribeMessage answered "accept"."""
    reminders.consent(callers.current().id, utcnow())
    return {"ok": True, "template_id": current_app.config["WECHAT_REMINDER_TEMPLATE_ID"] or None}


def _task_json(task: dict, tz) -> dict:
    return {"id": task["id"], "state": task["state"], "shift_id": task["shift_id"],
            "post": {"id": task["post_id"], "code": task["post_code"], "name": task["post_name"]},
            "note": task["note"], "asked_at": local_iso(task["created_at"], tz),
            "due_at": local_iso(task["due_at"], tz), "answered_at": local_iso(task["answered_at"], tz)}


@bp.get("/me/spot-checks")
def my_spot_checks():
    tz = county_zone()
    tasks = spot_checks.tasks_for(callers.current(), utcnow(),
                                  answer_minutes=current_app.config["SPOT_CHECK_ANSWER_MINUTES"])
    return {"items": [_task_json(task, tz) for task in tasks],
            "next_cursor": None}


@bp.post("/me/spot-checks/<int:task_id>/answer")
def answer_spot_check(task_id: int):
    """multipart/form-data as wx.uploadFile sends it: the live photo in ``file``, and
    ``latitude``, ``longitude`` (GCJ-02 unless coordinate_system=wgs84), ``accuracy``."""
    upload = request.files.get(FILE_FIELD)
    if upload is None:
        raise ApiError("请拍摄现场照片（表单字段 file）", code="PHOTO_MISSING", status=400, field=FILE_FIELD)
    form = request.form
    latitude = _number(form, "latitude", -90, 90, "纬度", required=True)
    longitude = _number(form, "longitude", -180, 180, "经度", required=True)
    accuracy = _number(form, "accuracy", 0, 100000, "定位精度", required=False)
    if (form.get("coordinate_system") or "gcj02").strip() == "wgs84":
        latitude, longitude = geo.wgs84_to_gcj02(latitude, longitude)
    task = spot_checks.answer(callers.current(), task_id, upload.read(), latitude, longitude, accuracy,
                              utcnow(), current_app.config["GEOFENCE_ACCURACY_ALLOWANCE_M"])
    tz = county_zone()
    return {"id": task["id"], "state": task["result"], "answered_at": local_iso(task["answered_at"], tz),
            "distance_m": task["distance_m"], "inside_geofence": task["inside_geofence"]}


def _number(form, field: str, low: float, high: float, label: str, *, required: bool) -> float | None:
    raw = (form.get(field) or "").strip()
    if not raw:
        if required:
            raise ValidationError(f"缺少{label}", field=field)
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ValidationError(f"{label}必须是数字", field=field)
    if not math.isfinite(value) or not low <= value <= high:
        raise ValidationError(f"{label}超出范围（{low}～{high}）", field=field)
    return value
