from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from server import accounts, console_session
from server.console import bp
from server.errors import ApiError


def _safe_next(target: str | None) -> str:
    """Only ever redirect within the console after sign-in (no open redirect)."""
    if target and target.startswith("/console/") and not target.startswith("//"):
        return target
    return url_for("console.dashboard")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("console/login.html", next=request.args.get("next"))
    username = (request.form.get("username") or "").strip()[:64]
    password = request.form.get("password") or ""
    try:
        if not username or not password:
            raise ApiError("请输入用户名和密码", code="LOGIN_FAILED", status=401)
        user = accounts.check_console_login(username, password, remote_addr=request.remote_addr)
        if not user.is_console:
            raise ApiError("该账号不能登录管理后台", code="FORBIDDEN", status=403)
    except ApiError as err:
        return render_template("console/login.html", error=err.message, username=username,
                               next=request.form.get("next")), err.status
    console_session.start(user.id, user.credential_version)
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
def logout():
    console_session.end()
    flash("已退出登录")
    return redirect(url_for("console.login"))
