"""Holidays: the public holidays and swapped working days (调休) the working-day limits count by."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from server import permissions
from server.records import workdays
from server.clock import county_zone, local_date, utcnow, weekday_name
from server.console import bp, forms
from server.errors import ApiError, Forbidden, ValidationError

KIND_LABELS = {"holiday": "放假", "workday": "调休上班"}


def _year() -> int:
    return workdays.year_of(request.values.get("year") or "") or local_date(utcnow(), county_zone()).year


def _require_editor() -> None:
    if not permissions.may_edit_calendar(g.caller):
        raise Forbidden("只有管理员可以设置节假日")


@bp.get("/calendar")
def calendar_page():
    year = _year()
    return render_template("console/calendar.html", year=year, days=workdays.entered(year), kinds=KIND_LABELS,
                           weekday_name=weekday_name, may_edit=permissions.may_edit_calendar(g.caller))


@bp.post("/calendar")
def calendar_enter():
    _require_editor()
    try:
        first = forms.optional_date("from", "开始日期")
        if first is None:
            raise ValidationError("请填写开始日期", field="from")
        last = forms.optional_date("to", "结束日期") or first
        kind = request.form.get("kind") or ""
        rows = workdays.enter(first, last, kind, forms.text("name", max_length=64), utcnow())
    except ApiError as err:
        flash(f"未保存：{err.message}", "error")
    else:
        flash(f"已将 {rows[0].day.isoformat()} 至 {rows[-1].day.isoformat()} 设为{KIND_LABELS[kind]}")
    return redirect(url_for("console.calendar_page", year=_year()))


@bp.post("/calendar/clear")
def calendar_clear():
    _require_editor()
    try:
        day = forms.optional_date("day", "日期")
        if day is None:
            raise ValidationError("请填写日期", field="day")
        removed = workdays.clear(day, day)
    except ApiError as err:
        flash(f"未保存：{err.message}", "error")
    else:
        flash(f"已删除 {day.isoformat()} 的设置" if removed else f"{day.isoformat()} 本来就没有设置")
    return redirect(url_for("console.calendar_page", year=_year()))
