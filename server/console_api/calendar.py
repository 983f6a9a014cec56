"""The working-day calendar: public holidays and swapped working days (调休)."""
from __future__ import annotations

from flask import request

from server import callers, permissions
from server.records import workdays
from server.clock import utcnow
from server.console_api import bp
from server.errors import Forbidden, ValidationError
from server.inputs import date_field, json_body, string
from server.models.calendar import KINDS


def _require_editor() -> None:
    if not permissions.may_edit_calendar(callers.current()):
        raise Forbidden("只有管理员可以设置节假日", code="FORBIDDEN")


def _span(body: dict):
    first = date_field(body, "from", label="开始日期")
    return first, date_field(body, "to", label="结束日期", required=False) or first


@bp.get("/calendar")
def calendar_days():
    """?year=2026: the days entered (all console roles: the deadlines depend on them)."""
    raw = request.args.get("year", "")
    year = workdays.year_of(raw)
    if raw and year is None:
        raise ValidationError("year 应为年份，如 2026", field="year")
    return {"items": [workdays.as_json(r) for r in workdays.entered(year)], "next_cursor": None}


@bp.post("/calendar")
def enter_calendar_days():
    """{from, to?, kind: holiday|workday, name?}: replaces what was entered for those days."""
    _require_editor()
    body = json_body()
    first, last = _span(body)
    kind = string(body, "kind", max_length=16, label="类型", choices=KINDS)
    name = string(body, "name", max_length=64, required=False, label="名称")
    return {"items": [workdays.as_json(r) for r in workdays.enter(first, last, kind, name, utcnow())]}, 201


@bp.post("/calendar/clear")
def clear_calendar_days():
    """{from, to?}: those days count by their weekday again."""
    _require_editor()
    first, last = _span(json_body())
    return {"removed": workdays.clear(first, last)}
