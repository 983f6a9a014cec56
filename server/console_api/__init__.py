"""The console's JSON API, under /api/console/v1, for coordinators, leaders and admins.

Deny by default: every request but login is authenticated, and a caller
without a console role (a volunteer's mini-program token) gets 403 before any
view runs. Scope within a role is decided by `server.permissions` inside each
query.
"""
from __future__ import annotations

from flask import Blueprint, g, request

from server import callers, permissions, privacy
from server.clock import utcnow

bp = Blueprint("console_api", __name__, url_prefix="/api/console/v1")

PUBLIC_ENDPOINTS = {"console_api.login"}


@bp.before_request
def _authenticate():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    permissions.require_console(callers.authenticate("console"))


# Console actions on personal data, for the admins' log (PIPL art. 51): which endpoint, when answered
# 200, is which action. Full phones are shown to admins only (permissions.sees_full_phone).
_EXPORTS = {"console_api.hours_report", "console_api.shift_report"}


@bp.after_request
def _log_personal_data(response):
    if response.status_code != 200 or "caller" not in g:
        return response
    caller, endpoint, q = g.caller, request.endpoint, (request.args.get("q") or "").strip()
    action = None
    if endpoint in _EXPORTS and (request.args.get("format") or "json").lower() in ("csv", "xlsx"):
        action = "export"
    elif endpoint == "console_api.list_volunteers" and q and q.isascii() and q.isdigit():
        action = "search_by_number"
    elif endpoint in ("console_api.list_volunteers", "console_api.volunteer_detail") \
            and permissions.sees_full_phone(caller):
        action = "view_full_phone"
    if action is not None:
        privacy.log_access(caller.id, action, utcnow(), subject_id=(request.view_args or {}).get("volunteer_id"),
                           detail=request.full_path[:300])
    return response


from server.console_api import auth  # noqa: E402,F401  (registers the views)
from server.console_api import posters  # noqa: E402,F401  (posters, QR codes, rotation)
from server.console_api import photos  # noqa: E402,F401  (a shift's photos)
from server.console_api import certificates, reports, reviews, volunteers  # noqa: E402,F401  (hours, reviews)
from server.console_api import bulletin, coverage, duty, rankings, rosters, spot_checks  # noqa: E402,F401  (rosters)
from server.console_api import calendar  # noqa: E402,F401  (holidays and swapped working days)
from server.console_api import trust  # noqa: E402,F401  (trust of the record)
from server.console_api import problems  # noqa: E402,F401  (problems found at posts, their follow-up)
from server.console_api import privacy_log  # noqa: E402,F401  (admins: personal-data actions)
from server.console_api import cards, post_leaders  # noqa: E402,F401  (volunteers' cards, post leaders)
