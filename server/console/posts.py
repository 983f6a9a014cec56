"""Posts: list, add, edit, rotate the QR code, print posters."""
from __future__ import annotations

import sqlalchemy as sa
from flask import flash, g, redirect, render_template, request, url_for

from server import permissions
from server.checkin import posts as post_service
from server.clock import utcnow
from server.console import bp, forms
from server.console_api import posters as posters_api
from server.db import db
from server.errors import Forbidden, NotFound, ValidationError
from server.models import District, Post


def _districts_i_manage():
    query = sa.select(District).order_by(District.name)
    if g.caller.role != "admin":
        query = query.where(District.id == (g.caller.scope_district_id or -1))
    return db.session.execute(query).scalars().all()


def _post_in_scope(post_id: int) -> Post:
    post = db.session.execute(sa.select(Post).where(Post.id == post_id, permissions.post_filter(g.caller))
                              ).scalar_one_or_none()
    if post is None:
        raise NotFound("找不到该岗位")
    return post


@bp.get("/posts")
def posts():
    district_id = forms.optional_int("district_id", "片区")
    query = sa.select(Post).where(permissions.post_filter(g.caller)).order_by(Post.district_id, Post.code)
    if district_id:
        query = query.where(Post.district_id == district_id)
    rows = db.session.execute(query).scalars().all()
    districts = db.session.execute(sa.select(District).order_by(District.name)).scalars().all()
    return render_template("console/posts.html", posts=rows, districts=districts, district_id=district_id,
                           kinds=post_service.KIND_LABELS, manageable=_districts_i_manage(),
                           may_manage=lambda p: permissions.may_manage_post(g.caller, p.district_id),
                           may_print=lambda d: permissions.may_print_posters(g.caller, d))


def _form_fields() -> dict:
    return dict(name=forms.text("name", max_length=100), kind=request.form.get("kind"),
                district_id=forms.optional_int("district_id", "片区"),
                latitude=forms.optional_float("latitude", "纬度"),
                longitude=forms.optional_float("longitude", "经度"),
                radius_m=forms.optional_int("radius_m", "打卡范围"),
                require_photo_start=forms.checkbox("require_photo_start"),
                scan_window=forms.checkbox("scan_window"))


@bp.route("/posts/new", methods=["GET", "POST"])
def post_new():
    manageable = _districts_i_manage()
    if not manageable:
        raise Forbidden("只有管理员和片区协调员可以添加岗位")
    error = None
    if request.method == "POST":
        try:
            fields = _form_fields()
            if not permissions.may_manage_post(g.caller, fields["district_id"] or -1):
                raise ValidationError("只能在您负责的片区添加岗位", field="district_id")
            post = post_service.create(**fields, now=utcnow())
            flash(f"已添加岗位「{post.name}」（{post.code}）")
            return redirect(url_for("console.posts"))
        except ValidationError as err:
            error = err.message
    return render_template("console/post_form.html", post=None, form=request.form, districts=manageable,
                           kinds=post_service.KIND_LABELS, error=error), 422 if error else 200


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
def post_edit(post_id: int):
    post = _post_in_scope(post_id)
    if not permissions.may_manage_post(g.caller, post.district_id):
        raise Forbidden("只有管理员和该片区的协调员可以修改岗位")
    error = None
    if request.method == "POST":
        try:
            fields = _form_fields()
            if not permissions.may_manage_post(g.caller, fields["district_id"] or -1):
                raise ValidationError("只能移到您负责的片区", field="district_id")
            post_service.update(post, **fields, active=forms.checkbox("active"), actor_id=g.caller.id,
                                now=utcnow())
            flash(f"已保存岗位「{post.name}」")
            return redirect(url_for("console.posts"))
        except ValidationError as err:
            db.session.rollback()
            error = err.message
    return render_template("console/post_form.html", post=post, form=request.form if error else None,
                           districts=_districts_i_manage(), kinds=post_service.KIND_LABELS,
                           error=error), 422 if error else 200


@bp.post("/posts/<int:post_id>/rotate-qr")
def post_rotate_qr(post_id: int):
    post = _post_in_scope(post_id)
    if not permissions.may_manage_post(g.caller, post.district_id):
        raise Forbidden("只有管理员和该片区的协调员可以更换二维码")
    post_service.rotate_qr(post, actor_id=g.caller.id, now=utcnow(), reason=forms.text("reason") or None)
    flash(f"「{post.name}」已更换二维码（第 {post.qr_version} 版），请打印新海报，旧海报已作废")
    return redirect(url_for("console.posts"))


@bp.get("/posts/<int:post_id>/poster.<any(png, pdf):fmt>")
def post_poster(post_id: int, fmt: str):
    """The console API's poster, for the signed-in user (same scope rules, same cache)."""
    view = posters_api.post_poster_png if fmt == "png" else posters_api.post_poster_pdf
    return view(post_id)


@bp.get("/districts/<int:district_id>/posters.pdf")
def district_posters(district_id: int):
    return posters_api.district_posters_pdf(district_id)
