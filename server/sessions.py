"""Cookie sessions for the console's pages, none for the JSON APIs.

The APIs under /api/ authenticate every request by its bearer token, and are
exempt from CSRF checks for exactly that reason: a browser never attaches a
bearer token on its own. A cookie session there could only undo that
guarantee, so API requests get Flask's null session: reading it finds nothing,
writing to it raises, and no Set-Cookie ever leaves an API answer. It also
spares every scan the cost of opening a cookie session (building the signing
serializer and checking the cookie), a sizeable share of a Flask request.
"""
from __future__ import annotations

from flask.sessions import SecureCookieSessionInterface

API_PREFIX = "/api/"


class ConsoleOnlySessionInterface(SecureCookieSessionInterface):
    def open_session(self, app, request):
        if request.path.startswith(API_PREFIX):
            return None  # Flask substitutes its NullSession
        return super().open_session(app, request)
