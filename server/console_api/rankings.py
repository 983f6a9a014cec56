"""Unit assessment (月考核) and the monthly targets it measures against."""
from __future__ import annotations

from flask import current_app, request

from server import callers
from server.duty import rankings
from server.clock import county_zone, local_date, local_iso, utcnow
from server.console_api import bp
from server.errors import ValidationError
from server.inputs import integer, json_body, number, query_date, string

_ID_MAX = 2**31 - 1


@bp.get("/rankings")
def unit_rankings():
    """?month=2026-11 (with targets), or ?from=&to= for any period (no targets)."""
    tz, now = county_zone(), utcnow()
    month = None
    if request.args.get("month") or not (request.args.get("from") or request.args.get("to")):
        month_text = request.args.get("month") or local_date(now, tz).strftime("%Y-%m")
        first, last = rankings.month_bounds(month_text)
        month = first
    else:
        first, last = query_date("from"), query_date("to")
        if first is None or last is None or last < first or (last - first).days > 366:
            raise ValidationError("请提供 from 和 to，范围在一年以内", field="from")
    items = rankings.rank_units(callers.current(), first, last, now,
                                current_app.config["COVERAGE_GRACE_MINUTES"], month=month)
    return {"month": month.strftime("%Y-%m") if month else None, "from": first.isoformat(),
            "to": last.isoformat(), "generated_at": local_iso(now, tz), "items": items}


def _target_json(target) -> dict:
    return {"unit_id": target.unit_id, "month": target.month.strftime("%Y-%m"),
            "target_hours": target.target_hours, "target_active_volunteers": target.target_active_volunteers,
            "updated_at": local_iso(target.updated_at, county_zone())}


@bp.get("/unit-targets")
def unit_targets():
    month, _ = rankings.month_bounds(request.args.get("month") or local_date(utcnow(), county_zone()).strftime("%Y-%m"))
    return {"items": [_target_json(t) for t in rankings.targets_of(callers.current(), month)]}


@bp.put("/unit-targets")
def set_unit_target():
    body = json_body()
    month, _ = rankings.month_bounds(string(body, "month", max_length=7, label="月份"))
    unit_id = integer(body, "unit_id", low=1, high=_ID_MAX, label="单位")
    if unit_id is None:
        raise ValidationError("缺少单位", field="unit_id")
    target = rankings.set_target(
        callers.current(), unit_id, month,
        number(body, "target_hours", low=0, high=1_000_000, required=False, label="目标时长"),
        integer(body, "target_active_volunteers", low=0, high=1_000_000, label="目标在岗人数"),
        utcnow())
    return _target_json(target)
