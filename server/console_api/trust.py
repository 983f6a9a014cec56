"""Trust of the record (扫码记录可信度): the month's flagged shifts as rates by unit, post and volunteer."""
from __future__ import annotations

from flask import request

from server import callers
from server.clock import county_zone, local_date, local_iso, utcnow
from server.console_api import bp
from server.duty import rankings, trust_report


@bp.get("/trust")
def trust():
    """?month=2026-11 (default: this month)."""
    now, tz = utcnow(), county_zone()
    month = request.args.get("month") or local_date(now, tz).strftime("%Y-%m")
    first, last = rankings.month_bounds(month)
    return {"month": first.strftime("%Y-%m"), "generated_at": local_iso(now, tz),
            **trust_report.report(callers.current(), first, last)}
