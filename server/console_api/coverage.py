"""Coverage of planned slots, and the daily digest of late, missed and auto-closed shifts."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, request

from server import callers
from server.duty import coverage
from server.duty import digest
from server.duty import roster_json
from server.clock import county_zone, local_date, local_iso, utcnow
from server.console_api import bp
from server.errors import ValidationError
from server.inputs import query_date, query_int

_ID_MAX = 2**31 - 1
MAX_DAYS = 92


@bp.get("/coverage")
def coverage_report():
    tz, now = county_zone(), utcnow()
    today = local_date(now, tz)
    first = query_date("from") or today.replace(day=1)
    last = query_date("to") or today
    if last < first or (last - first).days >= MAX_DAYS:
        raise ValidationError(f"日期范围应在 {MAX_DAYS} 天以内，且开始不晚于结束", field="to")
    scope = coverage.Scope(district_id=query_int("district_id", low=1, high=_ID_MAX, default=None),
                           post_id=query_int("post_id", low=1, high=_ID_MAX, default=None),
                           unit_id=query_int("unit_id", low=1, high=_ID_MAX, default=None))
    coverage.check_scope(callers.current(), scope)
    report = coverage.report(callers.current(), first, last, now, current_app.config["COVERAGE_GRACE_MINUTES"],
                             scope)
    body = {"from": first.isoformat(), "to": last.isoformat(), "generated_at": local_iso(now, tz),
            "grace_minutes": current_app.config["COVERAGE_GRACE_MINUTES"],
            "totals": report["totals"], "districts": report["districts"], "posts": report["posts"]}
    slots = request.args.get("slots") or "1"
    if slots not in ("0", "1", "false", "true", "no", "yes"):
        raise ValidationError("slots 应为 0 或 1", field="slots")
    if slots not in ("0", "false", "no"):
        body["slots"] = [roster_json.covered_slot(row, tz) for row in report["slots"]]
    return body


@bp.get("/digest")
def daily_digest():
    """The caller's daily digest; ``date`` defaults to yesterday, the last whole day."""
    tz, now = county_zone(), utcnow()
    day = query_date("date") or local_date(now, tz) - timedelta(days=1)
    return digest.daily(callers.current(), day, now, tz,
                        timedelta(minutes=current_app.config["LATE_AFTER_MINUTES"]))
