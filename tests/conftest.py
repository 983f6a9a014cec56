"""Fixtures: a fresh app on a freshly migrated database per test, a fake WeChat server,
and factories for every role.

Set TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test) to run the
whole suite on PostgreSQL; without it each test gets its own SQLite file.
"""
from __future__ import annotations

import os
import shutil

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.ctx import _cv_app
from flask.testing import FlaskClient

from server import create_app
from tests import factories, openapi_contract
from tests.fake_wechat import APPID, SECRET, FakeWechat

pytest_plugins = ["tests.browser"]  # the headless Chromium fixtures

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
TEST_SECRET_KEY = "test-secret-key-with-enough-length"


def _is_postgres() -> bool:
    return TEST_DATABASE_URL.startswith(("postgres://", "postgresql"))


# The machine's Redis, a database of each suite's own: .ci/run runs the SQLite and the
# PostgreSQL suites side by side, and a test that empties its database or counts what it
# finds there must not see the other suite's keys.
REDIS_TEST_URL = f"redis://127.0.0.1:6379/{14 if _is_postgres() else 15}"


def _base_config(database_url: str, wechat_base: str, instance: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET_KEY,
        "DATABASE_URL": database_url,
        "WECHAT_API_BASE": wechat_base,
        # As in production (5 s): the fake answers in milliseconds, but on a loaded CI machine a
        # reply once took over a second. The timeout test sets its own shorter one.
        "WECHAT_TIMEOUT": 5.0,
        "WECHAT_APPID": "",
        "WECHAT_SECRET": "",
        "PUBLIC_BASE_URL": "https://redvest.example.gov.cn",
        "REDVEST_ENV": "development",
        "INSTANCE_PATH": os.path.join(instance, "instance"),  # files commands write stay out of the checkout
        "POSTER_CACHE_DIR": os.path.join(instance, "poster-cache"),
        "CERTIFICATE_CACHE_DIR": os.path.join(instance, "certificate-cache"),
        "STORAGE_URL": "file://" + os.path.join(instance, "photos"),
    }


@pytest.fixture(scope="session")
def fake_wechat():
    fake = FakeWechat().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory, fake_wechat):
    """Run the real migrations once; each test then starts from a copy (SQLite) or a truncation (PG)."""
    from flask_migrate import upgrade

    folder = tmp_path_factory.mktemp("template")
    if _is_postgres():
        url = TEST_DATABASE_URL
        engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1)
                                  if url.startswith("postgresql://") else url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        url = f"sqlite:///{folder / 'template.sqlite3'}"
    app = create_app(_base_config(url, fake_wechat.base_url, str(folder)))
    with app.app_context():
        upgrade(revision="heads")
        from server.db import db
        db.engine.dispose()
    return url


def _reset_postgres(url: str) -> None:
    """Empty every table and restart the ids. DELETE with triggers and foreign-key checks off (a
    superuser's session_replication_role) takes ~20 ms where TRUNCATE of the same tables takes
    150-300 ms, once per test on PostgreSQL; it also passes the audit log's no-delete trigger."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1)
                              if url.startswith("postgresql://") else url)
    with engine.begin() as conn:
        tables = [r[0] for r in conn.execute(sa.text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename != 'alembic_version'"))]
        if conn.execute(sa.text("SELECT current_setting('is_superuser')")).scalar() == "on":
            sequences = [r[0] for r in conn.execute(sa.text(
                "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"))]
            conn.exec_driver_sql("; ".join(["SET LOCAL session_replication_role = replica"]
                                           + [f"DELETE FROM {table}" for table in tables]
                                           + [f"ALTER SEQUENCE {seq} RESTART" for seq in sequences]))
        else:
            # TRUNCATE bypasses the audit log's no-delete trigger, which is what a test reset wants.
            conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()


class ValidatingClient(FlaskClient):
    """Checks every API response against the published OpenAPI documents; a response they do not
    describe fails the test that made the request (tests/openapi_contract.py says why)."""

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        openapi_contract.check(response)
        return response


# Every app's test client validates, also of apps a test builds itself with create_app.
Flask.test_client_class = ValidatingClient


class IsolatedClient(ValidatingClient):
    """Each request gets its own app context (fresh `g`, its own database session), as in
    production, even though the test itself runs inside an app context."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)  # read streamed bodies inside that context too
        token = _cv_app.set(None)
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)


@pytest.fixture
def make_app(template_db, tmp_path, fake_wechat):
    """Build an app with extra config on the test's own database; at most one per test."""
    created = []

    def build(**overrides):
        if _is_postgres():
            url = template_db
            if not created:
                _reset_postgres(url)
        else:
            path = tmp_path / "test.sqlite3"
            if not created:
                shutil.copy(template_db.removeprefix("sqlite:///"), path)
            url = f"sqlite:///{path}"
        config = _base_config(url, fake_wechat.base_url, str(tmp_path))
        config.update(overrides)
        app = create_app(config)
        app.test_client_class = IsolatedClient
        created.append(app)
        return app

    yield build
    from server.db import db
    for app in created:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def wechat_app(make_app):
    """An app with WeChat credentials configured (production login, no dev codes)."""
    app = make_app(WECHAT_APPID=APPID, WECHAT_SECRET=SECRET, SECRET_KEY=TEST_SECRET_KEY)
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def county(app):
    """A small county: two units, two districts, posts in each."""
    return factories.County.build()


@pytest.fixture
def live_server(app):
    """The app served over real HTTP on 127.0.0.1, one thread per request."""
    import threading
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
