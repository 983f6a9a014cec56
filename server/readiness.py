"""``/readyz``: may a load balancer send this server traffic? (``/healthz`` only says the process is up.)

Checks the database, Redis when REDIS_URL is set, and photo storage; 200 when all answer,
503 naming each that failed. The reasons go to the log, not the answer: this URL is public.
"""
from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from server import redis_client
from server.db import db

bp = Blueprint("readiness", __name__)
log = logging.getLogger(__name__)


def _database() -> None:
    with db.engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))


def _redis() -> None:
    connection = redis_client.connection()
    if connection is not None:
        connection.ping()


_STORAGE_CHECK = "redvest_storage_check"


def init_app(app, storage_check) -> None:
    """``storage_check()`` raises when photo storage does not answer; the app factory hands it
    in, since the platform sits below the evidence package that owns storage."""
    app.extensions[_STORAGE_CHECK] = storage_check
    app.register_blueprint(bp)


def _storage() -> None:
    current_app.extensions[_STORAGE_CHECK]()


CHECKS = (("database", _database), ("redis", _redis), ("storage", _storage))


@bp.get("/readyz")
def ready():
    results, failed = {}, []
    for name, check in CHECKS:
        if name == "redis" and not current_app.config.get("REDIS_URL"):
            results[name] = "not configured"
            continue
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # noqa: BLE001  (any failure means "not ready", whatever raised it)
            log.warning("readyz: %s failed: %s", name, exc.__class__.__name__)
            results[name] = "failed"
            failed.append(name)
    if failed:
        return jsonify({"status": "unavailable", "failed": failed, "checks": results}), 503
    return jsonify({"status": "ready", "checks": results})
