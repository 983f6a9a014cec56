from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from miniprogram_api import bp
from server import accounts, callers
from server.checkin import serialize
from server.checkin import hour_totals
from server.checkin import shifts
from server.duty import spot_checks
from server.clock import county_zone, local_iso, utcnow
from server.db import db
from server.errors import ValidationError
from server.inputs import json_body, query_date
from server.models import Unit, User


@bp.get("/me")
def me():
    caller = callers.current()
    user = db.session.get(User, caller.id)
    open_shift = shifts.open_shift_of(caller.id)
    return {
        "user": serialize.user(user),
        "open_shift": serialize.shift(open_shift, county_zone()) if open_shift else None,
        "hours": hour_totals.volunteer_totals(caller.id, None, None),
        "spot_checks_pending": _pending_spot_checks(caller),
    }


def _pending_spot_checks(caller) -> list[dict]:
    """Spot checks waiting for this volunteer's answer (a leader's or the server's presence
    check, raised here if due): the mini-program opens the answer page from them."""
    tz = county_zone()
    tasks = spot_checks.tasks_for(caller, utcnow(), days=1,
                                  answer_minutes=current_app.config["SPOT_CHECK_ANSWER_MINUTES"])
    return [{"id": task["id"], "shift_id": task["shift_id"], "note": task["note"],
             "post": {"id": task["post_id"], "code": task["post_code"], "name": task["post_name"]},
             "due_at": local_iso(task["due_at"], tz)} for task in tasks if task["state"] == "pending"]


@bp.post("/me/registration")
def register():
    body = json_body()
    user, first_time = accounts.register(callers.current().id, body.get("name"), body.get("phone"),
                                         body.get("unit_id"), utcnow())
    return serialize.user(user), 201 if first_time else 200


@bp.get("/units")
def units():
    rows = db.session.execute(sa.select(Unit.id, Unit.name).order_by(Unit.name)).all()
    return {"items": [{"id": r.id, "name": r.name} for r in rows], "next_cursor": None}


@bp.get("/me/hours")
def my_hours():
    first, last = query_date("from"), query_date("to")
    if first and last and first > last:
        raise ValidationError("开始日期不能晚于结束日期", field="from")
    return hour_totals.volunteer_totals(callers.current().id, first, last)
