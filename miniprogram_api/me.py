from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from miniprogram_api import bp
from server import accounts, callers, privacy
from server.checkin import serialize
from server.evidence import photo_files
from server.records import personal_data
from server.checkin import hour_totals
from server.checkin import shift_reads
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
    open_shift = shift_reads.open_shift_of(caller.id)
    return {
        "user": serialize.user(user),
        "open_shift": serialize.shift(open_shift, county_zone()) if open_shift else None,
        "hours": hour_totals.volunteer_totals(caller.id, None, None),
        "spot_checks_pending": _pending_spot_checks(caller),
        "privacy": {"version": privacy.current_version(), "url": privacy.notice_url(),
                    "consent_needed": privacy.consent_needed(user.privacy_version, user.registered)},
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


@bp.get("/privacy")
def privacy_notice():
    """No token: the notice a volunteer reads before registering."""
    return {"version": privacy.current_version(), "url": privacy.notice_url()}


@bp.post("/me/registration")
def register():
    caller = callers.current()
    callers.require_active(caller)  # a suspended volunteer cannot rewrite their name, phone or unit
    body = json_body()
    version = privacy.check_version(body.get("privacy_version"))
    user, first_time = accounts.register(caller.id, body.get("name"), body.get("phone"),
                                         body.get("unit_id"), utcnow(), privacy_version=version)
    return serialize.user(user), 201 if first_time else 200


@bp.post("/me/consent")
def consent():
    """Agreeing again after the privacy notice changed."""
    version = privacy.check_version(json_body().get("privacy_version"))
    user = db.session.get(User, callers.current().id)
    privacy.record(user, version, utcnow())
    db.session.commit()
    return {"privacy_version": version, "consent_needed": False}


@bp.get("/me/data")
def my_data():
    """Everything held about the caller (PIPL art. 45), photos as short-lived links."""
    cfg = current_app.config
    return personal_data.export(callers.current().id, cfg["SECRET_KEY"], utcnow(), cfg["PHOTO_URL_TTL_SECONDS"])


@bp.delete("/me")
def erase_me():
    """Erase the caller (PIPL art. 47); the token in hand ends with it."""
    user_id, now = callers.current().id, utcnow()
    personal_data.erase(user_id, photo_files.storage(), now)
    privacy.log_access(user_id, "erase", now, subject_id=user_id, detail="volunteer erased their account")
    return "", 204


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
