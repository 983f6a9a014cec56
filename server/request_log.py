"""One JSON line per request on stderr, and the request id that ties it to the proxy's log.

Keys: ``request_id`` (the caller's ``X-Request-Id`` when it looks like one, else a new one;
sent back in the same header), ``method``, ``path`` (the route's template, e.g.
``/api/mp/v1/shifts/<int:shift_id>/end``: never the concrete URL, which may carry a QR
token or a certificate code), ``status``, ``duration_ms`` and ``user_id``. Nothing else
about the person: no phone, openid, token or photo URL reaches this log (PIPL).
"""
from __future__ import annotations

import os
import re
import sys
import time

import orjson
from flask import Flask, Response, current_app, g, request

HEADER = "X-Request-Id"
_GOOD_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_ENABLED = "redvest_access_log"
_METRICS = "redvest_metrics"


def init_app(app: Flask) -> None:
    app.extensions[_ENABLED] = bool(app.config.get("ACCESS_LOG", True))
    if app.config.get("METRICS_TOKEN"):  # counted only where someone may read them
        from server import metrics  # prometheus_client: a second or so at start on a busy host

        app.extensions[_METRICS] = metrics
    app.before_request(_start)
    app.after_request(_finish)


def _start() -> None:
    g.request_started = time.perf_counter()
    given = request.headers.get(HEADER, "")
    g.request_id = given if _GOOD_ID.fullmatch(given) else os.urandom(16).hex()


def _finish(response: Response) -> Response:
    # Runs on every request, the scans included: the request and g proxies are resolved once,
    # and the line goes straight to stderr (one write of one line, which the pipe to the
    # journal keeps whole even with several workers) rather than through logging's records.
    req, ctx = request._get_current_object(), g._get_current_object()
    started = getattr(ctx, "request_started", None)
    if started is None:  # a before_request earlier in the chain answered first
        _start()
        started = ctx.request_started
    seconds = time.perf_counter() - started
    status = response.status_code
    error_code = _error_code(response) if status >= 400 else None
    extensions = current_app.extensions
    metrics = extensions.get(_METRICS)
    if metrics is not None:
        metrics.observe(req.endpoint, req.method, status, seconds, error_code)
    response.headers[HEADER] = ctx.request_id
    if extensions.get(_ENABLED):
        rule = req.url_rule
        line = {"request_id": ctx.request_id, "method": req.method,
                "path": rule.rule if rule is not None else "<unmatched>", "status": status,
                "duration_ms": int(seconds * 100000) / 100, "user_id": _user_id(ctx)}
        if error_code:
            line["error"] = error_code
        sys.stderr.write(orjson.dumps(line).decode() + "\n")
        sys.stderr.flush()
    return response


def count(app: Flask, what: str, *labels: str) -> None:
    """Count a failure (``database`` or a dependency's name) when metrics are on."""
    metrics = app.extensions.get(_METRICS)
    if metrics is None:
        return
    if what == "database":
        metrics.DATABASE_ERRORS.inc()
    else:
        metrics.DEPENDENCY_ERRORS.labels(what).inc()


def _user_id(ctx) -> int | None:
    user_id = getattr(ctx, "user_id", None)  # API callers (bearer token)
    caller = getattr(ctx, "caller", None)
    if user_id is None and caller is not None:  # console pages (session cookie)
        user_id = getattr(caller, "id", None)
    return user_id


def _error_code(response: Response) -> str | None:
    if not response.is_json or response.is_streamed:
        return None
    body = response.get_json(silent=True)
    error = body.get("error") if isinstance(body, dict) else None
    return error.get("code") if isinstance(error, dict) else None
