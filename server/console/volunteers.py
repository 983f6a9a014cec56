"""Volunteers: search, one volunteer's page (record, 补录, void), suspend and reactivate, the certificate."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, flash, g, redirect, render_template, request, url_for

from server import permissions
from server.clock import county_zone, local_date, utcnow
from server.console import api, bp, forms
from server.console_api import certificates as certificates_api, volunteers as volunteers_api
from server.db import db
from server.errors import ApiError, ValidationError
from server.models import Post
from server.records import manual_shifts, reviews, volunteer_history, volunteers


@bp.get("/volunteers")
def volunteers_page():
    listing = api.read(volunteers_api.list_volunteers)
    today = local_date(utcnow(), county_zone())
    this_year = volunteers.minutes_since([v["id"] for v in listing["items"]], today.replace(month=1, day=1))
    return render_template("console/volunteers.html", items=listing["items"], next_cursor=listing["next_cursor"],
                           q=request.args.get("q", ""), year_minutes=this_year, year=today.year)


def _manual_posts(volunteer: dict) -> list[Post]:
    """Posts where this caller may record a shift for this volunteer (permissions decides)."""
    if not permissions.may_change_shifts(g.caller):
        return []
    posts = db.session.execute(sa.select(Post).where(Post.active.is_(True)).order_by(Post.code)).scalars()
    unit_id = volunteer["unit"]["id"] if volunteer["unit"] else None
    return [p for p in posts if permissions.may_add_manual_shift(g.caller, unit_id, p.district_id)]


def _render_volunteer(volunteer_id: int, *, error: str | None = None, kept=None, status: int = 200):
    caller, tz, now = g.caller, county_zone(), utcnow()
    person = volunteers.as_json(caller, [volunteers.get(caller, volunteer_id)], tz)[0]
    rows = volunteer_history.shifts(caller, volunteer_id)
    return render_template(
        "console/volunteer.html", v=person, shifts=reviews.describe(caller, rows, tz, now),
        months=volunteer_history.months(caller, volunteer_id, local_date(now, tz)),
        corrections=volunteer_history.corrections(caller, volunteer_id), tz=tz,
        manual_posts=_manual_posts(person), may_change=permissions.may_change_shifts(caller),
        may_manage=permissions.may_manage_volunteer(caller, person["unit"]["id"] if person["unit"] else None),
        error=error, kept=kept or {}, today=local_date(now, tz).isoformat()), status


@bp.get("/volunteers/<int:volunteer_id>")
def volunteer_page(volunteer_id: int):
    return _render_volunteer(volunteer_id)


def _manual_body(volunteer_id: int) -> dict:
    day = (request.form.get("date") or "").strip()
    start, end = (request.form.get("start") or "").strip(), (request.form.get("end") or "").strip()
    body = {"volunteer_id": volunteer_id, "reason": (request.form.get("reason") or "").strip() or None,
            "started_at": f"{day}T{start}" if day and start else None,
            "ended_at": f"{day}T{end}" if day and end else None,
            "note": (request.form.get("note") or "").strip() or None}
    post = (request.form.get("post_id") or "").strip()
    body["post_id"] = int(post) if post.isdigit() else None
    persuasions = (request.form.get("persuasions") or "").strip()
    if persuasions:
        if not persuasions.isdigit():
            raise ValidationError("劝导人次必须是整数", field="persuasions")
        body["persuasions"] = int(persuasions)
    return body


@bp.post("/volunteers/<int:volunteer_id>/shifts")
def volunteer_add_shift(volunteer_id: int):
    volunteers.get(g.caller, volunteer_id)  # scope first: 404 for a volunteer out of reach
    limits = manual_shifts.Limits.from_config(current_app.config, county_zone())
    try:
        shift = manual_shifts.add(g.caller, _manual_body(volunteer_id), utcnow(), limits)
    except ApiError as err:
        if err.status in (403, 404):
            raise
        return _render_volunteer(volunteer_id, error=f"未补录：{err.message}", kept=request.form, status=err.status)
    flash(f"已补录 {shift['started_at'].astimezone(county_zone()).strftime('%m-%d %H:%M')} 起 "
          f"{shift['credited_minutes']} 分钟")
    return redirect(url_for("console.volunteer_page", volunteer_id=volunteer_id))


@bp.post("/shifts/<int:shift_id>/void")
def shift_void(shift_id: int):
    back = request.form.get("back") or ""
    try:
        shift = reviews.void(g.caller, shift_id, {"reason": (request.form.get("reason") or "").strip() or None},
                             utcnow())
    except ApiError as err:
        if err.status in (403, 404):
            raise
        flash(f"未作废：{err.message}", "error")
    else:
        flash(f"已作废第 {shift['id']} 号上岗记录")
    return redirect(back if back.startswith("/console/") and not back.startswith("//") else url_for("console.dashboard"))


@bp.post("/volunteers/<int:volunteer_id>/status")
def volunteer_status(volunteer_id: int):
    volunteers.manageable(g.caller, volunteer_id)  # scope (404) and role (403) before the form
    status = request.form.get("status")
    if status not in ("active", "suspended"):
        raise ValidationError("状态无效", field="status")
    volunteers.manageable(g.caller, volunteer_id)
    reason = forms.text("reason", multiline=True) or None
    try:
        if status == "suspended" and not reason:
            raise ValidationError("停用账号请填写理由", field="reason")
        row = volunteers.set_status(g.caller, volunteer_id, status, reason, utcnow())
    except ApiError as err:
        flash(f"未保存：{err.message}", "error")
    else:
        flash(f"已{'停用' if status == 'suspended' else '恢复'}「{row['name']}」的账号")
    if request.form.get("back") == "page":
        return redirect(url_for("console.volunteer_page", volunteer_id=volunteer_id))
    return redirect(url_for("console.volunteers_page", q=request.form.get("q") or None))


@bp.get("/volunteers/<int:volunteer_id>/certificate.pdf")
def volunteer_certificate(volunteer_id: int):
    return certificates_api.volunteer_certificate(volunteer_id)
