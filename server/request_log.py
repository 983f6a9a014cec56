"""One JSON line per request on stderr, and the request id that ties it to the proxy's log.

Keys: ``request_id`` (the caller's ``X-Request-Id`` when it looks like one, else a new one;
sent back in the same header), ``method``, ``path`` (the route's template, e.g.
``/api/mp/v1/shifts/<int:shift_id>/end``: never the concrete URL, which may carry a QR
token or a certificate code), ``status``, ``duration_ms`` and ``user_id``. Nothing else
about the person: no phone, openid, token or photo URL reaches this log (PIPL).
"""
from __future__ import annotations

import logging
import re
import sys
import time
import uuid

import orjson
from flask import Flask, Response, g, request

from server import metrics

log = logging.getLogger("redvest.access")
HEADER = "X-Request-Id"
_GOOD_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is now (journald under systemd; pytest's capture in tests)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def init_app(app: Flask) -> None:
    if app.config.get("ACCESS_LOG", True) and not log.handlers:
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False  # the line is already complete JSON; no second, prefixed copy
    app.before_request(_start)
    app.after_request(_finish)


def _start() -> None:
    g.request_started = time.perf_counter()
    given = request.headers.get(HEADER, "")
    g.request_id = given if _GOOD_ID.fullmatch(given) else uuid.uuid4().hex


def _finish(response: Response) -> Response:
    started = g.get("request_started")
    if started is None:  # a before_request earlier in the chain answered first
        _start()
        started = g.request_started
    seconds = time.perf_counter() - started
    rule = request.url_rule
    error_code = _error_code(response)
    metrics.observe(request.endpoint, request.method, response.status_code, seconds, error_code)
    response.headers[HEADER] = g.request_id
    if log.handlers:
        line = {"request_id": g.request_id, "method": request.method,
                "path": rule.rule if rule is not None else "<unmatched>", "status": response.status_code,
                "duration_ms": round(seconds * 1000, 2), "user_id": _user_id()}
        if error_code:
            line["error"] = error_code
        log.info(orjson.dumps(line).decode())
    return response


def _user_id() -> int | None:
    user_id = g.get("user_id")  # API callers (bearer token)
    if user_id is None and g.get("caller") is not None:  # console pages (session cookie)
        user_id = getattr(g.caller, "id", None)
    return user_id


def _error_code(response: Response) -> str | None:
    if response.status_code < 400 or not response.is_json or response.is_streamed:
        return None
    body = response.get_json(silent=True)
    error = body.get("error") if isinstance(body, dict) else None
    return error.get("code") if isinstance(error, dict) else None
