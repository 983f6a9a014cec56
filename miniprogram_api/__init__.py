"""The JSON API the mini-program calls, under /api/mp/v1.

Deny by default: every request is authenticated before its view runs, except
the views listed in PUBLIC_ENDPOINTS.
"""
from __future__ import annotations

from flask import Blueprint, request

from server import callers

bp = Blueprint("mp", __name__, url_prefix="/api/mp/v1")

PUBLIC_ENDPOINTS = {"mp.login", "mp.privacy_policy"}
# The scans (the hot path) read the volunteer in the same statement as the post or the shift,
# so before them only the token is checked, and the view gets the user id.
TOKEN_ONLY_ENDPOINTS = {"mp.start_shift", "mp.end_shift"}


@bp.before_request
def _authenticate():
    endpoint = request.endpoint
    if endpoint in PUBLIC_ENDPOINTS:
        return
    if endpoint in TOKEN_ONLY_ENDPOINTS:
        callers.authenticate_token()
    else:
        callers.authenticate()


from miniprogram_api import auth, me, posts, shifts  # noqa: E402,F401  (registers the views)
from miniprogram_api import photos  # noqa: E402,F401  (photo upload)
from miniprogram_api import certificates, corrections  # noqa: E402,F401  (own certificate, correction requests)
from miniprogram_api import roster  # noqa: E402,F401  (own roster, reminder consent, spot checks)
from miniprogram_api import problems  # noqa: E402,F401  (problems found at the post)
from miniprogram_api import privacy  # noqa: E402,F401  (the first-run notice of what is collected)
