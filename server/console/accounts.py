"""Admins' pages for console accounts, units and districts; everyone's own password page."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from server import console_users
from server.clock import utcnow
from server.console import bp, forms
from server.errors import ApiError

ROLE_LABELS = {"coordinator": "协调员", "leader": "领导", "admin": "管理员"}


def _accounts(*, error=None, kept=None, status=200):
    users = console_users.listing(g.caller)
    org = console_users.organisation(g.caller)
    return render_template("console/accounts.html", users=users, roles=ROLE_LABELS, error=error, kept=kept or {},
                           units=org["unit"], districts=org["district"],
                           unit_names={u.id: u.name for u in org["unit"]},
                           district_names={d.id: d.name for d in org["district"]}), status


@bp.get("/accounts")
def accounts_page():
    console_users.require_admin(g.caller)
    return _accounts()


@bp.post("/accounts")
def account_create():
    console_users.require_admin(g.caller)
    scope = request.form.get("scope") or ""
    kind, _, scope_id = scope.partition(":")
    try:
        user = console_users.create(
            g.caller, username=forms.text("username", max_length=64), name=forms.text("name", max_length=50),
            role=request.form.get("role") or "", password=request.form.get("password") or "",
            unit_id=int(scope_id) if kind == "unit" and scope_id.isdigit() else None,
            district_id=int(scope_id) if kind == "district" and scope_id.isdigit() else None, now=utcnow())
    except ApiError as err:
        if err.status == 403:
            raise
        kept = {k: v for k, v in request.form.items() if k != "password"}  # never echo a password
        return _accounts(error=f"未创建：{err.message}", kept=kept, status=err.status)
    flash(f"已创建账号「{user.username}」（{ROLE_LABELS[user.role]}），请把初始密码当面告知本人")
    return redirect(url_for("console.accounts_page"))


@bp.post("/accounts/<int:user_id>/password")
def account_reset_password(user_id: int):
    console_users.require_admin(g.caller)
    try:
        user = console_users.reset_password(g.caller, user_id, request.form.get("password") or "", utcnow())
    except ApiError as err:
        if err.status in (403, 404):
            raise
        flash(f"未重置：{err.message}", "error")
    else:
        flash(f"已重置「{user.username}」的密码，其原有登录已失效")
    return redirect(url_for("console.accounts_page"))


@bp.post("/accounts/<int:user_id>/status")
def account_status(user_id: int):
    console_users.require_admin(g.caller)
    enable = request.form.get("enabled") == "1"
    user = console_users.set_enabled(g.caller, user_id, enable, utcnow())
    flash(f"已{'启用' if enable else '停用'}账号「{user.username}」")
    return redirect(url_for("console.accounts_page"))


@bp.get("/organisation")
def organisation_page(error=None, kept=None, status=200):
    org = console_users.organisation(g.caller)
    return render_template("console/organisation.html", units=org["unit"], districts=org["district"],
                           error=error, kept=kept or {}), status


@bp.post("/organisation/<kind>")
@bp.post("/organisation/<kind>/<int:place_id>")
def organisation_save(kind: str, place_id: int | None = None):
    console_users.require_admin(g.caller)
    if kind not in ("unit", "district"):
        raise ApiError("找不到该页面", code="NOT_FOUND", status=404)
    try:
        row = console_users.save_place(g.caller, kind, place_id, forms.text("name", max_length=100), utcnow())
    except ApiError as err:
        if err.status in (403, 404):
            raise
        return organisation_page(error=f"未保存：{err.message}", kept={"kind": kind, "id": place_id,
                                                                   "name": request.form.get("name", "")},
                                 status=err.status)
    flash(f"已保存{'单位' if kind == 'unit' else '片区'}「{row.name}」")
    return redirect(url_for("console.organisation_page"))


@bp.route("/password", methods=["GET", "POST"])
def own_password():
    if request.method == "GET":
        return render_template("console/password.html")
    new, again = request.form.get("new_password") or "", request.form.get("new_password_again") or ""
    try:
        if new != again:
            raise ApiError("两次输入的新密码不一致", code="VALIDATION_ERROR", status=422)
        console_users.change_own_password(g.caller, request.form.get("old_password") or "", new, utcnow())
    except ApiError as err:
        return render_template("console/password.html", error=f"未修改：{err.message}"), err.status
    flash("密码已修改")
    return redirect(url_for("console.dashboard"))
