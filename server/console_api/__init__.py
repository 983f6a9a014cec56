"""The console's JSON API, under /api/console/v1, for coordinators, leaders and admins.

Deny by default: every request but login is authenticated, and a caller
without a console role (a volunteer's mini-program token) gets 403 before any
view runs. Scope within a role is decided by `server.permissions` inside each
query.
"""
from __future__ import annotations

from flask import Blueprint, request

from server import callers, permissions

bp = Blueprint("console_api", __name__, url_prefix="/api/console/v1")

PUBLIC_ENDPOINTS = {"console_api.login"}


@bp.before_request
def _authenticate():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    permissions.require_console(callers.authenticate())


from server.console_api import auth  # noqa: E402,F401  (registers the views)
from server.console_api import posters  # noqa: E402,F401  (posters, QR codes, rotation)
from server.console_api import photos  # noqa: E402,F401  (a shift's photos)
from server.console_api import certificates, reports, reviews, volunteers  # noqa: E402,F401  (hours, reviews)
from server.console_api import bulletin, coverage, duty, rankings, rosters, spot_checks  # noqa: E402,F401  (rosters)
from server.console_api import calendar  # noqa: E402,F401  (holidays and swapped working days)
from server.console_api import trust  # noqa: E402,F401  (trust of the record)
from server.console_api import problems  # noqa: E402,F401  (problems found at posts, their follow-up)
