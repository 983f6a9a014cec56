"""Who is on duty: now, at an instant, through a day at a post, and where a person served."""
from __future__ import annotations

from datetime import date, timedelta

from flask import current_app, request

from server import callers
from server.duty import on_duty as duty
from server.duty import roster_json
from server.clock import county_zone, day_bounds, local_iso, parse_instant, utcnow
from server.console_api import bp
from server.errors import ValidationError
from server.inputs import query_date, query_int

_ID_MAX = 2**31 - 1
MAX_SERVED_DAYS = 366


def _instant(field: str, tz):
    raw = request.args.get(field)
    if not raw:
        return None
    try:
        return parse_instant(raw, tz)
    except ValueError:
        raise ValidationError(f"{field} 应为 ISO 8601 时刻，如 2026-11-26T07:40:00+08:00", field=field)


def _bound(field: str, tz, *, end: bool):
    """A date (the whole local day) or an instant."""
    raw = request.args.get(field) or ""
    if len(raw) == 10:
        day = query_date(field)
        return day_bounds(day, day, tz)[1 if end else 0]
    return _instant(field, tz)


@bp.get("/duty/now")
def duty_now():
    tz, now = county_zone(), utcnow()
    board = duty.now_board(callers.current(), now, tz,
                           timedelta(minutes=current_app.config["LATE_AFTER_MINUTES"]),
                           district_id=query_int("district_id", low=1, high=_ID_MAX, default=None))

    def person(row: duty.OnDuty):
        return {"shift_id": row.id, "volunteer": {"id": row.volunteer_id, "name": row.volunteer_name},
                "unit": {"id": row.unit_id, "name": row.unit_name} if row.unit_id else None,
                "since": local_iso(row.started_at, tz), "source": row.source,
                "minutes": int((now - row.started_at).total_seconds() // 60),
                "photo": {"id": row.photo["id"], "thumbnail_url": row.photo["thumbnail_url"]} if row.photo else None}

    def entry(e):
        slots = [{**roster_json.slot(slot, tz, post=e["post"]), "assigned": slot["assigned"]} for slot in e["slots"]]
        needed = sum(slot["needed"] for slot in e["slots"])
        return {"post": roster_json.post(e["post"]), "on_duty": [person(r) for r in e["on_duty"]],
                "slots_now": slots, "needed_now": needed,
                "state": ("unplanned" if not e["slots"] else "empty" if not e["on_duty"]
                          else "short" if len(e["on_duty"]) < needed else "staffed")}

    posts = [entry(e) for e in board["posts"]]
    return {
        "at": local_iso(now, tz),
        "posts": posts,
        "unstaffed": [p for p in posts if p["state"] == "empty"],
        "counts": {"posts": len(posts), "volunteers_on_duty": sum(len(p["on_duty"]) for p in posts),
                   "posts_with_slot_now": sum(1 for p in posts if p["slots_now"]),
                   "unstaffed": sum(1 for p in posts if p["state"] == "empty")},
    }


@bp.get("/duty")
def duty_query():
    """?post_id=&at= (who was there), ?post_id=&date= (the day's timeline), ?volunteer_id=&from=&to=."""
    tz, now, caller = county_zone(), utcnow(), callers.current()
    post_id = query_int("post_id", low=1, high=_ID_MAX, default=None)
    volunteer_id = query_int("volunteer_id", low=1, high=_ID_MAX, default=None)
    if post_id is not None and request.args.get("at"):
        found = duty.at_post(caller, post_id, _instant("at", tz), now)
        return {"post": roster_json.post(found["post"]), "at": found["at"].astimezone(tz).isoformat(),
                "on_duty": [roster_json.duty_shift(row, tz) for row in found["shifts"]],
                "slots": [roster_json.slot(slot, tz, post=found["post"]) for slot in found["slots"]]}
    if post_id is not None and request.args.get("date"):
        day: date = query_date("date")
        found = duty.day_at_post(caller, post_id, day, now, tz)
        return {"post": roster_json.post(found["post"]), "date": day.isoformat(),
                "shifts": [roster_json.duty_shift(row, tz) for row in found["shifts"]],
                "slots": [roster_json.slot(slot, tz, post=found["post"]) for slot in found["slots"]]}
    if volunteer_id is not None:
        first, end = _bound("from", tz, end=False), _bound("to", tz, end=True)
        if first is None or end is None:
            raise ValidationError("请提供 from 和 to（日期或时刻）", field="from")
        if end <= first or (end - first).days > MAX_SERVED_DAYS:
            raise ValidationError(f"时间范围应在 {MAX_SERVED_DAYS} 天以内，且开始早于结束", field="to")
        found = duty.served_by(caller, volunteer_id, first, end, now)
        person = found["volunteer"]
        return {"volunteer": {"id": person.id, "name": person.name, "unit_id": person.unit_id},
                "from": local_iso(first, tz), "to": local_iso(end, tz),
                "shifts": [roster_json.duty_shift(row, tz) for row in found["shifts"]]}
    raise ValidationError("请提供 post_id 与 at 或 date，或 volunteer_id 与 from、to", field="post_id")
