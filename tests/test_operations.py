"""What an operator watches: /readyz for the load balancer, one JSON log line per request,
and Prometheus metrics behind a token."""
from __future__ import annotations

import json
import os
import shutil
import socket

import pytest
import sqlalchemy as sa

from server.db import db
from server.evidence.photo_files import storage
from server.models import User
from tests import factories
from tests.conftest import REDIS_TEST_URL
from tests.photo_helpers import scene_jpeg, start_shift, upload

METRICS_TOKEN = "metrics-token-for-the-test"


def dead_port() -> int:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_is_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


def test_readyz_answers_ready_when_the_database_and_storage_answer(client):
    res = client.get("/readyz")
    assert res.status_code == 200
    assert res.get_json() == {"status": "ready",
                              "checks": {"database": "ok", "redis": "not configured", "storage": "ok"}}


def test_readyz_names_the_storage_while_its_folder_is_gone_and_recovers(app, client):
    root = storage(app).root
    shutil.rmtree(root)
    res = client.get("/readyz")
    assert res.status_code == 503 and res.get_json()["failed"] == ["storage"]
    os.makedirs(root)
    assert client.get("/readyz").status_code == 200


def test_readyz_names_redis_when_it_is_down(make_app):
    app = make_app(REDIS_URL=f"redis://127.0.0.1:{dead_port()}/0")
    res = app.test_client().get("/readyz")
    assert res.status_code == 503
    assert res.get_json()["failed"] == ["redis"] and res.get_json()["checks"]["database"] == "ok"


@pytest.mark.skipif(not redis_is_up(), reason="needs Redis on 127.0.0.1:6379")
def test_readyz_checks_a_configured_redis(make_app):
    app = make_app(REDIS_URL=REDIS_TEST_URL)
    res = app.test_client().get("/readyz")
    assert res.status_code == 200 and res.get_json()["checks"]["redis"] == "ok"


def test_readyz_names_the_database_when_it_is_unreachable(make_app):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://postgres@127.0.0.1:{dead_port()}/nowhere")
    res = app.test_client().get("/readyz")
    assert res.status_code == 503 and res.get_json()["failed"] == ["database"]


def log_lines(captured: str) -> list[dict]:
    return [json.loads(line) for line in captured.splitlines() if line.startswith('{"request_id"')]


def test_each_request_leaves_one_json_line_without_personal_data(app, client, county, capsys):
    capsys.readouterr()  # drop what building the county printed
    login = client.post("/api/mp/v1/auth/login", json={"code": "dev:newcomer"}).get_json()
    token = login["token"]
    newcomer = {"Authorization": f"Bearer {token}", "X-Request-Id": "proxy-req-42"}
    res = client.post("/api/mp/v1/me/registration", headers=newcomer,
                      json={"name": "张伟", "phone": "13812345678", "unit_id": county.unit_a.id,
                            "privacy_version": client.application.config["PRIVACY_VERSION"]})
    assert res.status_code == 201 and res.headers["X-Request-Id"] == "proxy-req-42"
    user = db.session.execute(sa.select(User).where(User.phone == "13812345678")).scalar_one()
    shift_id = start_shift(client, user, county.post_east)
    photo = upload(client, user, shift_id, scene_jpeg(7)).get_json()
    client.get(f"/api/mp/v1/shifts/{shift_id}", headers=factories.headers(user))
    assert client.get("/api/mp/v1/me", headers={"X-Request-Id": "bad id with spaces"}).status_code == 401

    output = capsys.readouterr().err
    lines = log_lines(output)
    assert [(line["method"], line["path"], line["status"]) for line in lines] == [
        ("POST", "/api/mp/v1/auth/login", 200),
        ("POST", "/api/mp/v1/me/registration", 201),
        ("POST", "/api/mp/v1/shifts", 201),
        ("POST", "/api/mp/v1/shifts/<int:shift_id>/photos", 201),
        ("GET", "/api/mp/v1/shifts/<int:shift_id>", 200),
        ("GET", "/api/mp/v1/me", 401),
    ]
    assert all(set(line) >= {"request_id", "method", "path", "status", "duration_ms", "user_id"} for line in lines)
    assert lines[1]["request_id"] == "proxy-req-42" and lines[1]["user_id"] == user.id
    assert lines[5]["request_id"] != "bad id with spaces" and len(lines[5]["request_id"]) == 32
    assert lines[5]["error"] == "UNAUTHORIZED" and lines[5]["user_id"] is None
    for secret in ("13812345678", user.openid, token, photo["url"].split("?")[0], str(shift_id) + "/photos"):
        assert secret not in output


def test_metrics_are_off_without_a_token(client):
    assert client.get("/metrics").status_code == 404


def test_metrics_need_the_bearer_token_and_count_scans_and_refusals(make_app):
    app = make_app(METRICS_TOKEN=METRICS_TOKEN)
    with app.app_context():
        county = factories.County.build()
        volunteer = factories.volunteer(county.unit_a)
        client = app.test_client()
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401

        def read() -> str:
            res = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
            assert res.status_code == 200
            return res.get_data(as_text=True)

        def value(text: str, sample: str) -> float:
            found = [line for line in text.splitlines() if line.startswith(sample + " ")]
            return float(found[0].split()[-1]) if found else 0.0

        started = 'redvest_scans_total{kind="start"}'
        refused = 'redvest_scan_refusals_total{code="SHIFT_ALREADY_OPEN",kind="start"}'
        requests = ('redvest_http_requests_total{endpoint="mp.start_shift",method="POST",status="201"}')
        before = read()
        start_shift(client, volunteer, county.post_east)
        again = client.post("/api/mp/v1/shifts", headers=factories.headers(volunteer),
                            json=factories.at_post(county.post_east))
        assert again.status_code == 409
        after = read()
    assert value(after, started) == value(before, started) + 1
    assert value(after, refused) == value(before, refused) + 1
    assert value(after, requests) == value(before, requests) + 1
    assert 'redvest_http_request_duration_seconds_bucket{endpoint="mp.start_shift"' in after


def test_metrics_count_wechat_calls_by_outcome_without_the_code_or_token(make_app, fake_wechat):
    from tests.fake_wechat import APPID, SECRET
    app = make_app(WECHAT_APPID=APPID, WECHAT_SECRET=SECRET, METRICS_TOKEN=METRICS_TOKEN)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {METRICS_TOKEN}"}

    def count(outcome: str) -> float:
        text = client.get("/metrics", headers=auth).get_data(as_text=True)
        sample = f'redvest_wechat_calls_total{{api="/sns/jscode2session",outcome="{outcome}"}}'
        found = [line for line in text.splitlines() if line.startswith(sample + " ")]
        return float(found[0].split()[-1]) if found else 0.0

    ok_before, error_before = count("ok"), count("error")
    fake_wechat.code_errors["bad-40029"] = 40029
    assert client.post("/api/mp/v1/auth/login", json={"code": fake_wechat.issue_code("o-metrics")}).status_code == 200
    assert client.post("/api/mp/v1/auth/login", json={"code": "bad-40029"}).status_code != 200
    assert count("ok") == ok_before + 1 and count("error") == error_before + 1
    assert "bad-40029" not in client.get("/metrics", headers=auth).get_data(as_text=True)
