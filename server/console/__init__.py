"""The web console for coordinators and leaders, at /console.

Server-rendered pages on the same services as the console API: a page parses
its form, calls one service function and renders. Sign-in uses a session
cookie (HttpOnly, SameSite=Lax, Secure outside dev mode); every form carries a
CSRF token (Flask-WTF). Deny by default: every page but sign-in needs a
signed-in console user.
"""
from __future__ import annotations

from flask import Blueprint, g, redirect, request, session, url_for

from server import callers

bp = Blueprint("console", __name__, url_prefix="/console")

PUBLIC_ENDPOINTS = {"console.login"}


@bp.before_request
def _require_sign_in():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    user_id = session.get("uid")
    caller = callers.load(user_id) if user_id else None
    if caller is None or not caller.is_console or caller.status != "active":
        session.clear()
        return redirect(url_for("console.login", next=request.full_path if request.method == "GET" else None))
    g.caller = caller
    return None


NAVIGATION = [
    ("console.dashboard", "总览"), ("console.duty_now", "在岗情况"), ("console.duty_lookup", "在岗查询"),
    ("console.hours", "时长统计"), ("console.reviews_page", "审核"), ("console.posts", "岗位"),
    ("console.rosters_page", "排班"), ("console.volunteers_page", "志愿者"),
    ("console.calendar_page", "节假日"), ("console.trust_page", "可信度"), ("console.problems_page", "问题督办"),
]


@bp.app_template_global()
def nav_items():
    from flask import current_app
    return [(endpoint, label) for endpoint, label in NAVIGATION if endpoint in current_app.view_functions]


@bp.app_template_global()
def has_endpoint(endpoint: str) -> bool:
    from flask import current_app
    return endpoint in current_app.view_functions


from server.console import auth, dashboard, duty, hours, posts, reviews, rosters, volunteers  # noqa: E402,F401
from server.console import calendar  # noqa: E402,F401  (holidays)
from server.console import trust  # noqa: E402,F401  (trust of the record)
from server.console import problems  # noqa: E402,F401  (problems found at posts)
