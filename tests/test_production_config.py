"""Production settings: refused loudly at start, read the same way by every process."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from server import config, create_app

STRONG_KEY = "k" * 40
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _flask(args, env, cwd):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("REDVEST", "SECRET_KEY", "PUBLIC_BASE",
                                                                         "DATABASE_URL", "WECHAT_", "STORAGE"))}
    clean.update(env)
    clean["PYTHONPATH"] = ROOT
    return subprocess.run([sys.executable, "-m", "flask", "--app", "server", *args], env=clean, cwd=cwd,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("settings, named", [
    ({"SECRET_KEY": STRONG_KEY}, "PUBLIC_BASE_URL"),
    ({"SECRET_KEY": STRONG_KEY, "PUBLIC_BASE_URL": "http://redvest.example.gov.cn"}, "PUBLIC_BASE_URL"),
    ({"PUBLIC_BASE_URL": "https://redvest.example.gov.cn"}, "SECRET_KEY"),
    ({"PUBLIC_BASE_URL": "https://redvest.example.gov.cn", "SECRET_KEY": "short-but-not-default"}, "SECRET_KEY"),
])
def test_production_refuses_to_start_with_one_clear_line(tmp_path, settings, named):
    env = {"REDVEST_ENV": "production", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", **settings}
    result = _flask(["routes"], env, tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("redvest: refusing to start") and named in lines[0]


def test_production_starts_with_https_and_a_strong_key_on_sqlite(tmp_path):
    """SQLite stays allowed in production for a county on one host."""
    app = create_app({"REDVEST_ENV": "production", "SECRET_KEY": STRONG_KEY,
                      "PUBLIC_BASE_URL": "https://redvest.example.gov.cn",
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"})
    assert app.config["SESSION_COOKIE_SECURE"]


def test_development_keeps_its_local_defaults():
    settings = config.from_environment({})
    config.check_production(settings)  # does not raise
    assert settings["PUBLIC_BASE_URL"].startswith("http://127.0.0.1")


def test_an_env_file_is_read_and_the_environment_wins(tmp_path):
    env_file = tmp_path / "redvest.env"
    env_file.write_text("# comment\nPUBLIC_BASE_URL=https://from-file.example\nTIMEZONE=Asia/Urumqi\n"
                        "MAX_SHIFT_MINUTES=300\n", encoding="utf-8")
    settings = config.from_environment({"REDVEST_ENV_FILE": str(env_file), "TIMEZONE": "Asia/Shanghai"})
    assert settings["PUBLIC_BASE_URL"] == "https://from-file.example"
    assert settings["MAX_SHIFT_MINUTES"] == 300
    assert settings["TIMEZONE"] == "Asia/Shanghai"


def test_a_missing_env_file_is_refused_not_ignored(tmp_path):
    with pytest.raises(config.ConfigError) as err:
        config.from_environment({"REDVEST_ENV_FILE": str(tmp_path / "missing.env")})
    assert "missing.env" in str(err.value.code)


def test_a_cron_job_reads_the_env_file_and_finds_the_database(tmp_path):
    """The README's cron lines once ran without the app's settings and left an empty SQLite file
    behind; with REDVEST_ENV_FILE alone every command finds the configured database."""
    database = tmp_path / "county.sqlite3"
    env_file = tmp_path / "redvest.env"
    env_file.write_text(f"REDVEST_ENV=production\nSECRET_KEY={STRONG_KEY}\n"
                        f"PUBLIC_BASE_URL=https://redvest.example.gov.cn\nDATABASE_URL=sqlite:///{database}\n"
                        f"STORAGE_URL=file://{tmp_path / 'photos'}\n", encoding="utf-8")
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    env = {"REDVEST_ENV_FILE": str(env_file)}
    assert _flask(["db", "upgrade"], env, elsewhere).returncode == 0
    result = _flask(["shifts", "close-stale", "--json"], env, elsewhere)
    assert result.returncode == 0, result.stderr
    assert '"closed": 0' in result.stdout.replace('"closed":0', '"closed": 0')
    assert database.stat().st_size > 0


def test_gunicorn_refuses_in_its_master_instead_of_respawning_workers(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDVEST", "SECRET_KEY", "PUBLIC_BASE"))}
    env.update({"REDVEST_ENV": "production", "SECRET_KEY": STRONG_KEY, "PYTHONPATH": ROOT,
                "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"})
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    result = subprocess.run([gunicorn, "-c", os.path.join(ROOT, "deploy", "gunicorn.conf.py"),
                             "-b", "127.0.0.1:0", "server:create_app()"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "redvest: refusing to start: production needs PUBLIC_BASE_URL" in result.stderr


def test_the_env_file_reaches_libraries_that_read_the_environment(tmp_path, monkeypatch):
    """boto3 reads AWS_ACCESS_KEY_ID from os.environ itself, not from the app's settings."""
    env_file = tmp_path / "redvest.env"
    env_file.write_text("AWS_ACCESS_KEY_ID=from-the-file\nAWS_SECRET_ACCESS_KEY=file-secret\n", encoding="utf-8")
    monkeypatch.setenv("REDVEST_ENV_FILE", str(env_file))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "set-by-the-unit")
    config.from_environment()
    assert os.environ["AWS_ACCESS_KEY_ID"] == "from-the-file"
    assert os.environ["AWS_SECRET_ACCESS_KEY"] == "set-by-the-unit"


def test_behind_the_proxy_the_client_address_is_the_real_one(make_app):
    app = make_app(TRUSTED_PROXIES=1)
    seen = {}

    @app.get("/api/test-only/address")
    def address():
        from flask import request
        seen.update(addr=request.remote_addr, scheme=request.scheme)
        return {}

    app.test_client().get("/api/test-only/address", headers={"X-Forwarded-For": "203.0.113.7",
                                                             "X-Forwarded-Proto": "https"})
    assert seen == {"addr": "203.0.113.7", "scheme": "https"}
