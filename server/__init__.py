"""Red Vest (红马甲): the backend of a county's civic volunteer duty mini-program."""
from __future__ import annotations

import logging
import os

from flask import Flask

from server import config as config_module


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, then environment variables, then ``test_config``."""
    # REDVEST_INSTANCE_PATH (or a test's INSTANCE_PATH) moves the instance folder: SQLite database,
    # photos, files commands write; e.g. a second demo beside the first, or a test's own folder.
    instance = (test_config or {}).get("INSTANCE_PATH") or os.environ.get("REDVEST_INSTANCE_PATH") or None
    app = Flask(__name__, instance_relative_config=True,
                instance_path=os.path.abspath(instance) if instance else None)
    app.config.update(config_module.from_environment())
    if test_config:
        app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    _follow_demo(app, test_config or {})

    _check_secret_key(app)
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

    from server import api_docs, converters, errorhandlers, public
    from server.cli import commands as cli
    from server.evidence import photo_files
    from server.records import verify
    from miniprogram_api import bp as mp_bp
    from server.console import bp as console_pages_bp
    from server.console_api import bp as console_bp

    errorhandlers.register(app)
    converters.register(app)  # before the blueprints: their rules bind converters when added
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
    cli.register(app)
    if not app.logger.handlers:
        logging.basicConfig(level=logging.INFO)
    return app


def _check_secret_key(app: Flask) -> None:
    if config_module.is_production(app.config):
        key = app.config.get("SECRET_KEY") or ""
        if key == config_module.DEV_SECRET_KEY or len(key) < 16:
            raise RuntimeError(
                "Refusing to start in production mode without a strong SECRET_KEY "
                "(set SECRET_KEY to a random string of at least 16 characters)")


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
    else:
        options.setdefault("pool_pre_ping", True)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
