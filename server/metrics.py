"""Prometheus metrics at /metrics: off unless METRICS_TOKEN is set, then bearer-protected.

Under gunicorn every worker is its own process, so the counters live in files under
PROMETHEUS_MULTIPROC_DIR (set by deploy/gunicorn.conf.py before the workers start) and
/metrics adds them up across workers; without that variable (flask run, tests) they live
in this process. Labels are route templates and error codes only: never a path with an id
or a token in it, never anything about a person.
"""
from __future__ import annotations

import hmac
import os

from flask import Blueprint, Response, current_app, request
from prometheus_client import (CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram,
                               generate_latest, multiprocess)

bp = Blueprint("metrics", __name__)

REQUESTS = Counter("redvest_http_requests_total", "HTTP requests answered",
                   ["method", "endpoint", "status"])
LATENCY = Histogram("redvest_http_request_duration_seconds", "Time to answer a request",
                    ["endpoint"], buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
SCANS = Counter("redvest_scans_total", "Scans accepted, by kind (start, end)", ["kind"])
SCAN_REFUSALS = Counter("redvest_scan_refusals_total", "Scans refused, by error code", ["kind", "code"])
PHOTO_UPLOADS = Counter("redvest_photo_uploads_total", "Photo uploads, by outcome (stored or the error code)",
                        ["outcome"])
WECHAT_CALLS = Counter("redvest_wechat_calls_total", "Calls to WeChat's servers, by API and outcome",
                       ["api", "outcome"])
DATABASE_ERRORS = Counter("redvest_database_errors_total", "Requests that met an unavailable database")
DEPENDENCY_ERRORS = Counter("redvest_dependency_errors_total",
                            "Requests refused with 503 because a dependency failed", ["dependency"])

# Endpoints whose outcome is a business event worth its own counter.
_SCAN_ENDPOINTS = {"mp.start_shift": "start", "mp.end_shift": "end"}
_PHOTO_ENDPOINTS = {"mp.upload_photo"}


_request_children: dict[tuple, tuple] = {}


def observe(endpoint: str | None, method: str, status: int, seconds: float, error_code: str | None) -> None:
    """Count one answered request (called by the request log, once per request)."""
    name = endpoint or "unmatched"
    key = (method, name, status)
    children = _request_children.get(key)
    if children is None:  # labels() costs more than the increment; keep each series' child
        children = _request_children[key] = (REQUESTS.labels(method, name, str(status)), LATENCY.labels(name))
    children[0].inc()
    children[1].observe(seconds)
    kind = _SCAN_ENDPOINTS.get(name)
    if kind is not None and method == "POST":
        if status < 300:
            SCANS.labels(kind).inc()
        elif error_code:
            SCAN_REFUSALS.labels(kind, error_code).inc()
    if name in _PHOTO_ENDPOINTS and method == "POST":
        PHOTO_UPLOADS.labels("stored" if status < 300 else (error_code or str(status))).inc()


def wechat_call(api: str, outcome: str) -> None:
    WECHAT_CALLS.labels(api, outcome).inc()


@bp.get("/metrics")
def metrics():
    token = current_app.config.get("METRICS_TOKEN") or ""
    if not token:
        return Response("not found\n", status=404, mimetype="text/plain")
    scheme, _, given = (request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        return Response("unauthorized\n", status=401, mimetype="text/plain",
                        headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
