"""Post leaders (岗长) on a post's page, and volunteers' printed cards: print a unit's or one
volunteer's, revoke a lost one, add a volunteer without WeChat. Through the console API's views
and services, with the same scope rules."""
from __future__ import annotations

import sqlalchemy as sa
from flask import flash, g, redirect, render_template, request, url_for

from server import permissions
from server.checkin import cards, post_leaders
from server.clock import county_zone, utcnow
from server.console import bp, forms
from server.console.posts import _post_in_scope
from server.console_api import cards as cards_api
from server.db import db
from server.errors import ApiError
from server.models import Unit
from server.records import hand_added


def _leaders_page(post_id: int, *, error: str | None = None, status: int = 200):
    post = _post_in_scope(post_id)
    leaders = post_leaders.list_for(g.caller, post_id, county_zone())
    return render_template("console/post_leaders.html", post=post, leaders=leaders, error=error,
                           may_manage=permissions.may_manage_post(g.caller, post.district_id)), status


@bp.get("/posts/<int:post_id>/leaders")
def post_leaders_page(post_id: int):
    return _leaders_page(post_id)


@bp.post("/posts/<int:post_id>/leaders")
def post_leaders_add(post_id: int):
    try:
        volunteer_id = forms.optional_int("volunteer_id", "志愿者编号")
        if volunteer_id is None:
            return _leaders_page(post_id, error="请填写志愿者编号", status=422)
        added = post_leaders.add(g.caller, post_id, volunteer_id, utcnow())
    except ApiError as err:
        if err.status == 403:
            raise
        return _leaders_page(post_id, error=f"未设置：{err.message}", status=err.status)
    flash("已设为岗长" if added else "该志愿者已是本岗位的岗长")
    return redirect(url_for("console.post_leaders_page", post_id=post_id))


@bp.post("/posts/<int:post_id>/leaders/<int:volunteer_id>/remove")
def post_leaders_remove(post_id: int, volunteer_id: int):
    post_leaders.remove(g.caller, post_id, volunteer_id, utcnow())
    flash("已取消岗长")
    return redirect(url_for("console.post_leaders_page", post_id=post_id))


@bp.get("/volunteers/<int:volunteer_id>/card.pdf")
def volunteer_card(volunteer_id: int):
    return cards_api.pdf_response(cards.select(g.caller, volunteer_ids=[volunteer_id]), f"card-{volunteer_id}.pdf")


@bp.get("/units/<int:unit_id>/cards.pdf")
def unit_cards(unit_id: int):
    return cards_api.unit_cards_pdf(unit_id)


@bp.post("/volunteers/<int:volunteer_id>/card/revoke")
def volunteer_card_revoke(volunteer_id: int):
    result = cards.revoke(g.caller, volunteer_id, utcnow(), forms.text("reason", multiline=True) or None)
    flash(f"旧志愿者卡已作废（现为第 {result['card_version']} 版），请打印新卡交给志愿者")
    return redirect(url_for("console.volunteer_page", volunteer_id=volunteer_id))


@bp.route("/volunteers/new", methods=["GET", "POST"])
def volunteer_new():
    if not permissions.may_import_volunteers(g.caller):
        raise ApiError("只有单位协调员和管理员可以添加志愿者", code="FORBIDDEN", status=403)
    query = sa.select(Unit).order_by(Unit.name)
    if g.caller.role != "admin":
        query = query.where(Unit.id == g.caller.scope_unit_id)
    units = db.session.execute(query).scalars().all()
    error = None
    if request.method == "POST":
        try:
            unit_id = forms.optional_int("unit_id", "单位")
            new_id = hand_added.add(g.caller, name=request.form.get("name"), phone=request.form.get("phone"),
                                    unit_id=unit_id, now=utcnow())
        except ApiError as err:
            if err.status == 403:
                raise
            error = err.message
        else:
            flash("已添加志愿者，可以为其打印志愿者卡")
            return redirect(url_for("console.volunteer_page", volunteer_id=new_id))
    return render_template("console/volunteer_new.html", units=units, form=request.form, error=error), \
        422 if error else 200
