"""Rate limits (Flask-Limiter): per user where a token or console session says who, per address
otherwise (the real address behind TRUSTED_PROXIES). Counters live in Redis when REDIS_URL is set,
so every server process shares them; in memory otherwise (one process, development).

The defaults are far above what an honest county does (volunteers share carrier and office
addresses, so per-address limits are generous); each is a setting. Limits are checked before the
view runs, so failed requests count too (a refused upload still costs its turn).
"""
from __future__ import annotations

from flask import Flask, current_app, request, session
from flask_limiter import Limiter

from server import tokens

# endpoint -> (setting, key: "user" or "address", only when the query has q=)
LIMITS = {
    "mp.login": ("RATE_LIMIT_MP_LOGIN", "address"),
    "mp.register": ("RATE_LIMIT_REGISTRATION", "user"),
    "mp.start_shift": ("RATE_LIMIT_SCANS", "user"),
    "mp.end_shift": ("RATE_LIMIT_SCANS", "user"),
    "mp.upload_photo": ("RATE_LIMIT_UPLOADS", "user"),
    "mp.answer_spot_check": ("RATE_LIMIT_UPLOADS", "user"),
    "mp.my_certificate": ("RATE_LIMIT_CERTIFICATES", "user"),
    "mp.my_data": ("RATE_LIMIT_EXPORTS", "user"),
    "console_api.login": ("RATE_LIMIT_CONSOLE_LOGIN", "address"),
    "console.login": ("RATE_LIMIT_CONSOLE_LOGIN", "address"),
    "console_api.volunteer_certificate": ("RATE_LIMIT_CERTIFICATES", "user"),
    "console_api.hours_report": ("RATE_LIMIT_EXPORTS", "user"),
    "console_api.shift_report": ("RATE_LIMIT_EXPORTS", "user"),
    "console_api.bulletin_pdf": ("RATE_LIMIT_EXPORTS", "user"),
    "console_api.list_volunteers": ("RATE_LIMIT_SEARCH", "user"),
    "console_api.import_slots": ("RATE_LIMIT_ROSTER_IMPORT", "user"),
}



def _address() -> str:
    return request.remote_addr or "unknown"


def _user_or_address() -> str:
    """The user a valid token or console session names; the address for anything else (a forged
    token must not buy a fresh counter per forgery)."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        user_id = tokens.signed_user_id(token.strip())
        return f"user:{user_id}" if user_id is not None else f"addr:{_address()}"
    if not request.path.startswith("/api/") and isinstance(session.get("uid"), int):
        return f"user:{session['uid']}"
    return f"addr:{_address()}"


def _limit_of(setting: str):
    return lambda: current_app.config[setting]


def _search_without_a_query() -> bool:
    return not (request.args.get("q") or "").strip()


def init_app(app: Flask) -> Limiter:
    app.config.setdefault("RATELIMIT_ENABLED", app.config["RATE_LIMITS_ENABLED"])
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # While Redis is down the limits are not counted rather than every limited request failing:
    # volunteers at their posts must still scan (issue 20: Redis is a cache, scans go on).
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_KEY_PREFIX", app.config["RATE_LIMIT_KEY_PREFIX"])
    limiter = Limiter(key_func=_address, app=app)
    for endpoint, (setting, key) in LIMITS.items():
        view = app.view_functions.get(endpoint)
        if view is None:
            continue
        # Flask-Limiter checks a decorated limit inside the wrapper, so the wrapper replaces the view
        # (it runs after the blueprint's authentication, before the view's own work).
        app.view_functions[endpoint] = limiter.limit(
            _limit_of(setting), key_func=_user_or_address if key == "user" else _address, scope=setting,
            per_method=False,
            exempt_when=_search_without_a_query if endpoint == "console_api.list_volunteers" else None)(view)
    # The wrappers hold the limiter weakly, and a disabled Flask-Limiter keeps no reference of its own:
    # without this one the limiter is collected and every wrapped view answers 500.
    app.extensions["redvest_limiter"] = limiter
    return limiter
