"""The JSON API the mini-program calls, under /api/mp/v1.

Deny by default: every request is authenticated before its view runs, except
the views listed in PUBLIC_ENDPOINTS.
"""
from __future__ import annotations

from flask import Blueprint, request

from server import callers, privacy

bp = Blueprint("mp", __name__, url_prefix="/api/mp/v1")

PUBLIC_ENDPOINTS = {"mp.login", "mp.privacy_notice", "mp.privacy_policy"}
# Recording hours needs consent to the current privacy notice (PIPL); reading and erasing
# one's own data, and agreeing, never do.
CONSENT_ENDPOINTS = {"mp.start_shift", "mp.end_shift", "mp.upload_photo", "mp.start_group", "mp.end_group"}


@bp.before_request
def _authenticate():
    endpoint = request.endpoint
    if endpoint in PUBLIC_ENDPOINTS:
        return
    # Every request loads the user: that one statement also checks the token's credential
    # version and the logout denylist, so no revoked token opens even the scan path.
    caller = callers.authenticate("mp")
    if endpoint in CONSENT_ENDPOINTS:
        privacy.require_consent(caller)


from miniprogram_api import auth, me, posts, shifts  # noqa: E402,F401  (registers the views)
from miniprogram_api import photos  # noqa: E402,F401  (photo upload)
from miniprogram_api import certificates, corrections  # noqa: E402,F401  (own certificate, correction requests)
from miniprogram_api import roster  # noqa: E402,F401  (own roster, reminder consent, spot checks)
from miniprogram_api import problems  # noqa: E402,F401  (problems found at the post)
from miniprogram_api import privacy_policy  # noqa: E402,F401  (the first-run notice of what is collected)
from miniprogram_api import group_checkin  # noqa: E402,F401  (a post leader checks members in with their cards)
