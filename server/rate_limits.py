"""Rate limits: per user where a token or console session says who, per address otherwise (the
real address behind TRUSTED_PROXIES). Counters live in Redis when REDIS_URL is set, so every
server process shares them; in memory otherwise (one process, development).

The counting is the `limits` library's fixed window (the strategy Flask-Limiter uses by default),
called directly: Flask-Limiter's own per-request machinery (resolving limits, exemptions, header
injection, a second check in before_request) cost a scan about 1 ms of CPU, half the scan itself.

The defaults are far above what an honest county does (volunteers share carrier and office
addresses, so per-address limits are generous); each is a setting in the `limits` notation
("30 per minute"). Limits are checked before the view runs, so failed requests count too (a
refused upload still costs its turn).
"""
from __future__ import annotations

import functools
import logging
import math
import threading
import time

from flask import Flask, current_app, g, request, session
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from server.errors import ApiError

log = logging.getLogger(__name__)

# endpoint -> (setting, key: "user" or "address")
LIMITS = {
    "mp.login": ("RATE_LIMIT_MP_LOGIN", "address"),
    "mp.register": ("RATE_LIMIT_REGISTRATION", "user"),
    "mp.start_shift": ("RATE_LIMIT_SCANS", "user"),
    "mp.end_shift": ("RATE_LIMIT_SCANS", "user"),
    "mp.start_group": ("RATE_LIMIT_SCANS", "user"),
    "mp.end_group": ("RATE_LIMIT_SCANS", "user"),
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
    "console_api.unit_cards_pdf": ("RATE_LIMIT_EXPORTS", "user"),
    "console_api.cards_pdf": ("RATE_LIMIT_EXPORTS", "user"),
    "console_api.list_volunteers": ("RATE_LIMIT_SEARCH", "user"),
    "console_api.import_slots": ("RATE_LIMIT_ROSTER_IMPORT", "user"),
}
# Requests of these endpoints count only when they do the costly work: a volunteer list is not
# a lookup by name until it searches, and opening the sign-in page (an office behind one address
# may open it many times a minute) is no sign-in.
COUNTS_ONLY_WHEN = {
    "console_api.list_volunteers": lambda: bool((request.args.get("q") or "").strip()),
    "console.login": lambda: request.method == "POST",
}


class RateLimited(ApiError):
    status, code, message = 429, "RATE_LIMITED", "请求过于频繁，请稍后再试"


def _address() -> str:
    return request.remote_addr or "unknown"


def _user_or_address() -> str:
    """The user the request was authenticated as (the blueprint's check ran before the view);
    the address for anything else, so a forged token cannot buy a fresh counter per forgery."""
    user_id = g.get("user_id")
    if isinstance(user_id, int):
        return f"user:{user_id}"
    if not request.path.startswith("/api/") and isinstance(session.get("uid"), int):
        return f"user:{session['uid']}"
    return f"addr:{_address()}"


class _ProcessWindows:
    """Fixed windows counted in this process's memory, for a single process without Redis. The
    `limits` library's own memory store starts a timer thread to expire keys, which cost a scan
    about 1 ms of waiting under gunicorn; here a spent window is simply replaced when next hit."""

    def __init__(self) -> None:
        self.counts: dict[tuple, tuple[float, int]] = {}
        self.lock = threading.Lock()  # threads of one process (`flask run`, gthread) count in the same windows

    def hit(self, item, *identifiers: str) -> bool:
        key, now = (item.amount, item.get_expiry(), *identifiers), time.time()
        with self.lock:
            started, count = self.counts.get(key, (0.0, 0))
            if now >= started + item.get_expiry():
                if len(self.counts) > 100_000:  # forget spent windows now and then
                    self.counts = {k: v for k, v in self.counts.items() if now < v[0] + k[1]}
                started, count = now, 0
            self.counts[key] = (started, count + 1)
        return count + 1 <= item.amount

    def reset_time(self, item, *identifiers: str) -> float:
        started, _ = self.counts.get((item.amount, item.get_expiry(), *identifiers), (time.time(), 0))
        return started + item.get_expiry()


class _StoredWindows:
    """Fixed windows in Redis, shared by every process (the `limits` library's strategy)."""

    def __init__(self, uri: str) -> None:
        self.window = FixedWindowRateLimiter(storage_from_string(uri))

    def hit(self, item, *identifiers: str) -> bool:
        return self.window.hit(item, *identifiers)

    def reset_time(self, item, *identifiers: str) -> float:
        return self.window.get_window_stats(item, *identifiers).reset_time


class Limiter:
    """One counter store per app; a limit is parsed once per setting value."""

    def __init__(self, app: Flask) -> None:
        redis_url = app.config.get("REDIS_URL")
        self.window = _StoredWindows(redis_url) if redis_url else _ProcessWindows()
        self.prefix = app.config["RATE_LIMIT_KEY_PREFIX"]
        self._parsed: dict[str, object] = {}

    def item(self, setting: str):
        text = current_app.config[setting]
        item = self._parsed.get(text)
        if item is None:
            item = self._parsed[text] = parse(text)
        return item

    def check(self, setting: str, key: str) -> None:
        """Count this request; 429 RATE_LIMITED with Retry-After once the window is spent. While
        the store (Redis) is down the request is let through uncounted: volunteers at their
        posts must still scan (Redis is a cache, scans go on)."""
        item = self.item(setting)
        try:
            if self.window.hit(item, self.prefix, setting, key):
                return
            reset_at = self.window.reset_time(item, self.prefix, setting, key)
        except Exception as err:  # noqa: BLE001  (any store failure: connection, timeout, script)
            log.warning("rate limit store unavailable: %s", err.__class__.__name__)
            return
        raise RateLimited(retry_after=max(1, math.ceil(reset_at - time.time())))


def _limited(view, limiter: Limiter, setting: str, key_of, counts=None):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if counts is None or counts():
            limiter.check(setting, key_of())
        return view(*args, **kwargs)

    return wrapper


def init_app(app: Flask) -> Limiter | None:
    """Wrap each limited endpoint's view, so the limit is checked after the blueprint's
    authentication and before the view's own work. RATE_LIMITS_ENABLED=0 leaves views as they are."""
    if not app.config["RATE_LIMITS_ENABLED"]:
        return None
    limiter = app.extensions["redvest_rate_limits"] = Limiter(app)
    for endpoint, (setting, key) in LIMITS.items():
        view = app.view_functions.get(endpoint)
        if view is None:
            continue
        app.view_functions[endpoint] = _limited(view, limiter, setting,
                                                _user_or_address if key == "user" else _address,
                                                COUNTS_ONLY_WHEN.get(endpoint))
    return limiter
