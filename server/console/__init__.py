"""The web console for coordinators and leaders, at /console.

Server-rendered pages on the same services as the console API: a page parses
its form, calls one service function and renders. Sign-in uses a session
cookie (HttpOnly, SameSite=Lax, Secure outside dev mode); every form carries a
CSRF token (Flask-WTF). Deny by default: every page but sign-in needs a
signed-in console user.
"""
from __future__ import annotations

from flask import Blueprint, g, redirect, request, session, url_for

from server import console_session, permissions

bp = Blueprint("console", __name__, url_prefix="/console")

PUBLIC_ENDPOINTS = {"console.login"}


@bp.before_request
def _require_sign_in():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    caller = console_session.current()
    if caller is None or not caller.is_console or caller.status != "active":
        session.clear()
        return redirect(url_for("console.login", next=request.full_path if request.method == "GET" else None))
    g.caller = caller
    return None


def _everyone(caller) -> bool:
    return True


# (endpoint, label, who sees it): the menu offers only what the server lets the caller use.
NAVIGATION = [
    ("console.dashboard", "总览", _everyone), ("console.duty_now", "在岗情况", _everyone),
    ("console.duty_lookup", "在岗查询", _everyone), ("console.hours", "时长统计", _everyone),
    ("console.reviews_page", "审核", _everyone), ("console.corrections_page", "更正申请", _everyone),
    ("console.volunteers_page", "志愿者", _everyone), ("console.posts", "岗位", _everyone),
    ("console.rosters_page", "排班", _everyone), ("console.coverage_page", "覆盖", _everyone),
    ("console.digest_page", "迟到缺岗", _everyone), ("console.rankings_page", "排名", permissions.sees_unit_rankings),
    ("console.bulletin_page", "通报", permissions.sees_county_assessment),
    ("console.spot_checks_page", "抽查", permissions.may_run_spot_checks),
    ("console.accounts_page", "账号", lambda caller: caller.role == "admin"),
    ("console.organisation_page", "单位片区", lambda caller: caller.role == "admin"),
    ("console.trust_page", "可信度", _everyone), ("console.problems_page", "问题督办", _everyone),
    ("console.calendar_page", "节假日", _everyone),
]


@bp.app_template_global()
def nav_items():
    from flask import current_app
    return [(endpoint, label) for endpoint, label, allowed in NAVIGATION
            if endpoint in current_app.view_functions and allowed(g.caller)]


@bp.app_template_global()
def has_endpoint(endpoint: str) -> bool:
    from flask import current_app
    return endpoint in current_app.view_functions


@bp.app_template_global()
def openable_volunteers(ids) -> set[int]:
    """Which of these volunteers the signed-in user may open (a name links only when the page would open)."""
    from server.records import volunteers
    return volunteers.visible_ids(g.caller, {i for i in ids if i})


@bp.app_template_global()
def may_import_volunteers() -> bool:
    return permissions.may_import_volunteers(g.caller)


@bp.app_template_filter("pct")
def percent(share) -> str:
    """A share (0.875) as the console shows it (87.5%); no figure is a dash, not 0%."""
    return "—" if share is None else f"{share * 100:.1f}%"


from server.console import auth, dashboard, duty, hours, posts, reviews, rosters, volunteers  # noqa: E402,F401
from server.console import calendar  # noqa: E402,F401  (holidays)
from server.console import leaders  # noqa: E402,F401  (coverage, digest, rankings, bulletin, spot checks)
from server.console import volunteer_import  # noqa: E402,F401  (a unit's volunteer list)
from server.console import accounts  # noqa: E402,F401  (console users, units, districts, own password)
from server.console import trust  # noqa: E402,F401  (trust of the record)
from server.console import problems  # noqa: E402,F401  (problems found at posts)
from server.console import cards  # noqa: E402,F401  (post leaders, volunteers' cards, volunteers added by hand)
