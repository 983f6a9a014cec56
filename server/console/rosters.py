"""Rosters: a week per post, adding slots, assigning volunteers, importing a sheet."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import flash, g, redirect, render_template, request, url_for

from server import permissions
from server.duty import roster_import
from server.duty import rosters
from server.clock import county_zone, local_date, utcnow
from server.console import api, bp, forms
from server.console_api import rosters as rosters_api
from server.db import db
from server.errors import ApiError, ValidationError
from server.models import Post, User

WEEKDAY_NAMES = "一二三四五六日"
MAX_IMPORT_BYTES = roster_import.MAX_BYTES


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _assignable_volunteers():
    return db.session.execute(
        sa.select(User.id, User.name, User.phone).where(
            permissions.volunteer_filter(g.caller), User.registered_at.is_not(None), User.status == "active")
        .order_by(User.name).limit(500)).all()


@bp.get("/rosters")
def rosters_page():
    posts = db.session.execute(sa.select(Post).where(permissions.roster_post_filter(g.caller), Post.active.is_(True))
                               .order_by(Post.code)).scalars().all()
    week = _monday(forms.optional_date("week", "周") or local_date(utcnow(), county_zone()))
    post_id = forms.optional_int("post_id", "岗位") or (posts[0].id if posts else None)
    days = [week + timedelta(days=i) for i in range(7)]
    by_day: dict[str, list] = {d.isoformat(): [] for d in days}
    if post_id is not None:
        request.args = request.args.copy()
        request.args.update({"from": week.isoformat(), "to": days[-1].isoformat(), "post_id": str(post_id)})
        for slot in api.read(rosters_api.list_slots)["items"]:
            by_day.setdefault(slot["date"], []).append(slot)
    return render_template("console/rosters.html", posts=posts, post_id=post_id, week=week, days=days,
                           by_day=by_day, weekday_names=WEEKDAY_NAMES, volunteers=_assignable_volunteers(),
                           prev_week=week - timedelta(days=7), next_week=week + timedelta(days=7),
                           may_plan=permissions.may_plan_rosters(g.caller))


def _back():
    return redirect(url_for("console.rosters_page", post_id=request.form.get("post_id") or None,
                            week=request.form.get("week") or None))


@bp.post("/rosters/slots")
def roster_add_slot():
    try:
        day = forms.optional_date("date", "日期")
        post_id = forms.optional_int("post_id", "岗位")
        if day is None or post_id is None:
            raise ValidationError("请选择岗位和日期", field="date")
        spec = rosters.SlotSpec(post_id=post_id, local_date=day,
                                start=rosters.parse_clock(request.form.get("start") or ""),
                                end=rosters.parse_clock(request.form.get("end") or ""),
                                needed=forms.optional_int("needed", "需要人数") or 1,
                                note=forms.text("note", max_length=200, multiline=True) or None)
        rosters.plan(g.caller, [spec], utcnow(), county_zone())
    except ValueError:
        flash("未保存：时间格式应为 07:30", "error")
    except rosters.PlanRefused as err:
        flash("未保存：" + "；".join(p.message for p in err.problems), "error")
    except ApiError as err:
        flash(f"未保存：{err.message}", "error")
    else:
        flash("已添加排班")
    return _back()


@bp.post("/rosters/slots/<int:slot_id>/assign")
def roster_assign(slot_id: int):
    try:
        volunteer_id = forms.optional_int("volunteer_id", "志愿者")
        if volunteer_id is None:
            raise ValidationError("请选择志愿者", field="volunteer_id")
        rosters.assign(g.caller, slot_id, volunteer_id, utcnow())
    except ApiError as err:
        if err.status == 404 and err.code == "NOT_FOUND" and "排班" in err.message:
            raise
        flash(f"未安排：{err.message}", "error")
    else:
        flash("已安排志愿者")
    return _back()


@bp.post("/rosters/import")
def roster_import_sheet():
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise ValidationError("请选择要导入的排班表", field="file")
        result = roster_import.import_sheet(g.caller, upload.read(MAX_IMPORT_BYTES + 1), utcnow(), county_zone())
    except roster_import.SheetRefused as err:
        rows = err.details.get("rows", [])
        flash(err.message + "：" + "；".join(f"第 {r['row']} 行 {r['reason']}" for r in rows[:10]), "error")
    except ApiError as err:
        flash(f"未导入：{err.message}", "error")
    else:
        flash(f"已导入 {result['created']} 个排班")
    return _back()
