"""Leaders' pages: coverage of planned duty (a day or a week), the late/missed digest, unit rankings
against monthly targets, the weekly bulletin and spot checks. Each reads through the console API's view,
so a page shows exactly the API's figures and refuses exactly what the API refuses."""
from __future__ import annotations

from datetime import date, timedelta

from flask import flash, g, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from server import permissions
from server.clock import county_zone, local_date, utcnow
from server.console import api, bp, choices, forms
from server.console_api import bulletin as bulletin_api, coverage as coverage_api
from server.console_api import rankings as rankings_api, spot_checks as spot_checks_api
from server.duty import rankings, spot_checks
from server.errors import ApiError, ValidationError


def _today() -> date:
    return local_date(utcnow(), county_zone())


def _with_args(**values) -> None:
    """Hand the API view a query string of our choosing (blank form fields mean 'no filter')."""
    request.args = MultiDict([(k, v) for k, v in values.items() if v not in (None, "")])


@bp.get("/coverage")
def coverage_page():
    span = request.args.get("span") if request.args.get("span") in ("day", "week") else "day"
    error, report = None, None
    try:
        day = forms.optional_date("date", "日期") or _today()
        first = day - timedelta(days=day.weekday()) if span == "week" else day
        last = first + timedelta(days=6) if span == "week" else day
        district_id = forms.optional_int("district_id", "片区")
        _with_args(**{"from": first.isoformat(), "to": last.isoformat(), "district_id": district_id})
        report = api.read(coverage_api.coverage_report)
    except ApiError as err:
        error, day, first, last, district_id = err.message, _today(), _today(), _today(), None
    return render_template("console/coverage.html", report=report, error=error, span=span, day=day, first=first,
                           last=last, district_id=district_id, **choices.lists(g.caller)), 422 if error else 200


@bp.get("/digest")
def digest_page():
    error, digest = None, None
    try:
        day = forms.optional_date("date", "日期") or _today() - timedelta(days=1)
        _with_args(date=day.isoformat())
        digest = api.read(coverage_api.daily_digest)
    except ApiError as err:
        error, day = err.message, _today() - timedelta(days=1)
    return render_template("console/digest.html", digest=digest, day=day, error=error), 422 if error else 200


def _rankings_view(month: str | None, *, error: str | None = None, kept=None, status: int = 200):
    month = month or _today().strftime("%Y-%m")
    data = None
    try:
        _with_args(month=month)
        data = api.read(rankings_api.unit_rankings)
    except ApiError as err:
        error, status, month = err.message, 422, _today().strftime("%Y-%m")
        _with_args(month=month)
        data = api.read(rankings_api.unit_rankings)
    return render_template("console/rankings.html", data=data, month=month, error=error, kept=kept or {},
                           may_set_targets=permissions.sees_county_assessment(g.caller), **choices.lists(g.caller)), status


@bp.get("/rankings")
def rankings_page():
    return _rankings_view(request.args.get("month"))


@bp.post("/rankings/targets")
def rankings_set_target():
    """An admin sets a unit's monthly target; the service checks the role and writes the audit entry."""
    if not permissions.sees_county_assessment(g.caller):  # the role before the form, as the service decides
        raise ApiError("考核指标由领导或管理员设置", code="FORBIDDEN", status=403)
    month_text = (request.form.get("month") or "").strip()
    try:
        first, _ = rankings.month_bounds(month_text)
        unit_id = forms.optional_int("unit_id", "单位")
        if unit_id is None:
            raise ValidationError("请选择单位", field="unit_id")
        hours = forms.optional_float("target_hours", "目标时长")
        people = forms.optional_int("target_active_volunteers", "目标在岗人数")
        if (hours is not None and hours < 0) or (people is not None and people < 0):
            raise ValidationError("目标不能为负数", field="target_hours")
        rankings.set_target(g.caller, unit_id, first, hours, people, utcnow())
    except ApiError as err:
        if err.status in (403, 404):
            raise
        return _rankings_view(month_text if len(month_text) == 7 else None, error=f"未保存：{err.message}",
                              kept=request.form, status=err.status)
    flash("已保存该单位本月目标")
    return redirect(url_for("console.rankings_page", month=month_text))


def _last_week() -> str:
    return "{}-W{:02d}".format(*(_today() - timedelta(days=7)).isocalendar()[:2])


@bp.get("/bulletin")
def bulletin_page():
    week = (request.args.get("week") or "").strip() or _last_week()
    error, data = None, None
    try:
        _with_args(week=week)
        data = api.read(bulletin_api.bulletin_json)
    except ApiError as err:
        if err.status == 403:
            raise
        error, week = err.message, _last_week()
        _with_args(week=week)
        data = api.read(bulletin_api.bulletin_json)
    return render_template("console/bulletin.html", data=data, week=week, error=error), 422 if error else 200


@bp.get("/bulletin.pdf")
def bulletin_pdf():
    _with_args(week=request.args.get("week"))
    return bulletin_api.bulletin_pdf()


@bp.get("/spot-checks")
def spot_checks_page():
    if not permissions.may_run_spot_checks(g.caller):
        raise ApiError("抽查仅限领导和管理员使用", code="FORBIDDEN", status=403)
    return render_template("console/spot_checks.html", checks=api.read(spot_checks_api.list_spot_checks)["items"],
                           **choices.lists(g.caller))


@bp.post("/spot-checks")
def spot_check_start():
    try:
        post_id = forms.optional_int("post_id", "岗位")
        minutes = forms.optional_int("minutes", "回复时限")
        from flask import current_app
        check = spot_checks.start(g.caller, post_id=post_id, district_id=None,
                                  minutes=minutes or current_app.config["SPOT_CHECK_MINUTES"],
                                  note=forms.text("note", max_length=200) or None, now=utcnow())
    except ApiError as err:
        if err.status in (403, 404):
            raise
        flash(f"未发起：{err.message}", "error")
        return redirect(url_for("console.spot_checks_page"))
    flash("已发起抽查，在岗志愿者会收到拍照回复的请求")
    return redirect(url_for("console.spot_check_page", check_id=check.id))


@bp.get("/spot-checks/<int:check_id>")
def spot_check_page(check_id: int):
    return render_template("console/spot_check.html", check=api.read(spot_checks_api.get_spot_check, check_id))
