"""Red Vest (红马甲): the backend of a county's civic volunteer duty mini-program."""
from __future__ import annotations

import logging
import os

from flask import Flask

from server import config as config_module


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, then environment variables, then ``test_config``."""
    settings = config_module.from_environment()  # first: it may read REDVEST_ENV_FILE into os.environ
    if test_config:
        settings.update(test_config)
    # REDVEST_INSTANCE_PATH (or a test's INSTANCE_PATH) moves the instance folder: SQLite database,
    # photos, files commands write; e.g. a second demo beside the first, a test's own folder, or
    # /var/lib/redvest/instance on a server where the code is root's and read-only.
    instance = settings.get("INSTANCE_PATH") or os.environ.get("REDVEST_INSTANCE_PATH") or None
    app = Flask(__name__, instance_relative_config=True,
                instance_path=os.path.abspath(instance) if instance else None)
    from server.routing import LazyBuilderRule

    app.url_rule_class = LazyBuilderRule  # before any route is added (server/routing.py)
    app.config.update(settings)
    os.makedirs(app.instance_path, exist_ok=True)
    _follow_demo(app, test_config or {})

    config_module.check_production(app.config)
    _trust_proxies(app)
    _configure_cookies(app)
    from server.sessions import ConsoleOnlySessionInterface

    app.session_interface = ConsoleOnlySessionInterface()
    _configure_database(app)
    from server.json_provider import OrjsonProvider

    app.json = OrjsonProvider(app)  # UTF-8 out, keys in the order given

    from server.db import db, install_sqlite_pragmas
    from flask_migrate import Migrate

    db.init_app(app)
    migrations_dir = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")
    Migrate(app, db, directory=migrations_dir, render_as_batch=True, compare_type=True)
    with app.app_context():
        install_sqlite_pragmas(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])

    from flask_wtf.csrf import CSRFProtect

    from server import api_docs, converters, errorhandlers, inputs, public, rate_limits, security_headers
    from server.cli import backup as cli_backup, commands as cli
    from server.evidence import photo_files
    from server.records import verify
    from miniprogram_api import bp as mp_bp
    from server.console import bp as console_pages_bp
    from server.console_api import bp as console_bp

    errorhandlers.register(app)
    converters.register(app)  # before the blueprints: their rules bind converters when added
    security_headers.register(app)
    inputs.limit_json_bodies(app)
    inputs.refuse_repeated_query_parameters(app)
    app.register_blueprint(mp_bp)
    app.register_blueprint(console_bp)
    app.register_blueprint(console_pages_bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(api_docs.bp)  # the OpenAPI documents and /api/docs (no login)
    app.register_blueprint(verify.bp)  # /verify/<token>: certificate checks
    # Forms in the console carry a CSRF token; bearer-token APIs are exempt
    # (a browser never attaches their credentials on its own).
    csrf = CSRFProtect(app)
    csrf.exempt(mp_bp)
    csrf.exempt(console_bp)
    photo_files.init_app(app)  # photo storage, signed photo URLs
    from server.evidence import photo_check
    from server.wechat import push as wechat_push

    wechat_push.init_app(app, on_media_verdict=photo_check.record_verdict)
    from server import readiness, request_log

    request_log.init_app(app)
    readiness.init_app(app, storage_check=lambda: photo_files.storage(app).check())
    if app.config.get("METRICS_TOKEN"):  # off: /metrics is an ordinary 404
        from server import metrics

        app.register_blueprint(metrics.bp)
    cli.register(app)
    cli_backup.register(app)
    rate_limits.init_app(app)  # after every blueprint: it attaches limits to their views
    if not app.logger.handlers:
        logging.basicConfig(level=logging.INFO)
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES reverse proxies, the client's address and scheme come from their
    X-Forwarded-* headers (the last N hops); without it every request seems to come from the
    proxy, and one address's lockout or rate limit would hit everyone."""
    hops = app.config["TRUSTED_PROXIES"]
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def _follow_demo(app: Flask, test_config: dict) -> None:
    """In dev mode, with PUBLIC_BASE_URL not set, QR codes and links point at the port the demo
    on this instance folder serves on (``flask demo --port``), not at the default 5000."""
    if os.environ.get("PUBLIC_BASE_URL") or "PUBLIC_BASE_URL" in test_config:
        return
    if config_module.is_production(app.config):
        return
    app.config["PUBLIC_BASE_URL"] = config_module.demo_base_url(app.instance_path) or app.config["PUBLIC_BASE_URL"]


def _configure_cookies(app: Flask) -> None:
    from datetime import timedelta

    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    # Secure cookies need HTTPS; dev mode (no WeChat credentials) runs on plain http://127.0.0.1.
    app.config["SESSION_COOKIE_SECURE"] = config_module.is_production(app.config)
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=app.config["CONSOLE_TOKEN_TTL_SECONDS"])
    app.config["WTF_CSRF_TIME_LIMIT"] = None  # the token lives as long as the session


def _configure_database(app: Flask) -> None:
    url = app.config.get("SQLALCHEMY_DATABASE_URI") or app.config.get("DATABASE_URL")
    if not url:
        url = "sqlite:///" + os.path.join(app.instance_path, "redvest.sqlite3")
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]  # psycopg 3, not psycopg2
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    from server import json_provider

    # JSON columns (a shift's flags on every scan, audit records) through orjson as well.
    options.setdefault("json_serializer", json_provider.column_text)
    options.setdefault("json_deserializer", json_provider.decode)
    if url.startswith("sqlite"):
        timeout_s = app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000
        options.setdefault("connect_args", {"timeout": timeout_s, "check_same_thread": False})
        if ":memory:" not in url and url.rstrip("/") != "sqlite:":
            # A connection of its own per session, closed after: on Python 3.11 a rollback no
            # longer resets a cursor left unfinished, so a pooled SQLite connection could carry
            # that cursor's old snapshot into the next request, which then read a shift as still
            # open. A new connection costs 0.1 ms to open and 1-1.5 ms to read the schema on first
            # use; the scan path (server/fastsql.py) keeps its own connections.
            from sqlalchemy.pool import NullPool

            options.setdefault("poolclass", NullPool)
    else:
        options.setdefault("pool_pre_ping", True)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
