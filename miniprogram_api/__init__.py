"""The JSON API the mini-program calls, under /api/mp/v1.

Deny by default: every request is authenticated before its view runs, except
the views listed in PUBLIC_ENDPOINTS.
"""
from __future__ import annotations

from flask import Blueprint, request

from server import callers

bp = Blueprint("mp", __name__, url_prefix="/api/mp/v1")

PUBLIC_ENDPOINTS = {"mp.login"}


@bp.before_request
def _authenticate():
    if request.endpoint not in PUBLIC_ENDPOINTS:
        callers.authenticate()


from miniprogram_api import auth, me, posts, shifts  # noqa: E402,F401  (registers the views)
from miniprogram_api import photos  # noqa: E402,F401  (photo upload)
from miniprogram_api import certificates, corrections  # noqa: E402,F401  (own certificate, correction requests)
from miniprogram_api import roster  # noqa: E402,F401  (own roster, reminder consent, spot checks)
